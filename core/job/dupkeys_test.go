package job

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestParse_DuplicateKeyHidesTheValueInUse: a key written twice shows a
// reviewer one value while the dispatcher (PyYAML's last-wins, and get())
// uses the other. With Options.StrictKeys the job is refused at the second
// key; by default it is a warning and the last value is used, as in LAVA.
func TestParse_DuplicateKeyHidesTheValueInUse(t *testing.T) {
	const head = "job_name: dup\ndevice_type: qemu\nvisibility: public\n"
	cases := []struct {
		name, job, want string
		used            func(j *Job) any
		wantUsed        any
	}{
		{"TopLevelTimeout", head + "timeouts:\n  job: {minutes: 5}\n  action: {minutes: 1}\n  job: {minutes: 500}\nactions: []\n",
			"dup.yaml:7:3: timeouts.job: duplicate key (first at line 5)",
			func(j *Job) any { return j.Timeouts.Job.Duration.Minutes() }, 500.0},
		{"InlineDefinitionPath", head + `timeouts:
  job: {minutes: 5}
actions:
- test:
    definitions:
    - from: inline
      name: smoke
      path: inline/smoke.yaml
      repository:
        metadata: {format: Lava-Test Test Definition 1.0, name: smoke}
        run: {steps: [echo ok]}
      path: ../../../../etc/cron.d/x.yaml
`,
			"dup.yaml:15:7: actions[0].test.definitions[0].path: duplicate key (first at line 11)",
			func(j *Job) any {
				return j.Actions[0].Params["definitions"].([]any)[0].(map[string]any)["path"]
			}, "../../../../etc/cron.d/x.yaml"},
		{"TopLevelKey", head + "timeouts: {job: {minutes: 5}}\njob_name: other\nactions: []\n",
			"dup.yaml:5:1: job_name: duplicate key (first at line 1)",
			func(j *Job) any { return j.Name }, "other"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, diags := Options{StrictKeys: true}.Parse("dup.yaml", []byte(c.job))
			if !strings.Contains(diags.Error()+"\n", c.want+"\n") {
				t.Errorf("strict: want %q; got:\n%s", c.want, diags.Error())
			}
			j, diags := Parse("dup.yaml", []byte(c.job))
			if strings.Contains(diags.Error(), "duplicate key") {
				t.Errorf("by default a duplicate key is not an error:\n%s", diags.Error())
			}
			if j == nil {
				t.Fatalf("not decoded: %s", diags.Error())
			}
			if len(j.Warnings) != 1 || j.Warnings[0].String() != c.want+"; the last one is used, as in LAVA" {
				t.Errorf("warnings: %v", j.Warnings)
			}
			if got := c.used(j); got != c.wantUsed {
				t.Errorf("value in use %v, want the last one %v", got, c.wantUsed)
			}
		})
	}
}

// TestParse_MergeKeysMayRepeat: `<<` twice is YAML's way to merge two
// anchors, not a duplicate.
func TestParse_MergeKeysMayRepeat(t *testing.T) {
	job := "job_name: m\ndevice_type: qemu\nvisibility: public\ntimeouts: {job: {minutes: 5}}\n" +
		"metadata:\n  a: &a {x: 1}\n  b: &b {y: 2}\n  c:\n    <<: *a\n    <<: *b\nactions: []\n"
	j, diags := Options{StrictKeys: true}.Parse("m.yaml", []byte(job))
	if strings.Contains(diags.Error(), "duplicate") || j == nil || len(j.Warnings) > 0 {
		t.Fatalf("merge keys reported: %s %v", diags.Error(), j)
	}
}

// TestDuplicateKeysInKnownJobs lists the duplicate keys of the founding job
// (the repository's copy) and LAVA's sample jobs: warnings, never errors.
// The only other warning of these jobs is docker-test-multinode's
// placeholder target_group.
func TestDuplicateKeysInKnownJobs(t *testing.T) {
	want := map[string][]string{
		"mustang-ssh-guest.yaml":     {"mustang-ssh-guest.yaml:131:9: actions[4].test.definitions[0].repository.install: duplicate key (first at line 120); the last one is used, as in LAVA"},
		"kvm-command.yaml":           {"kvm-command.yaml:42:9: actions[3].test.timeout: duplicate key (first at line 39); the last one is used, as in LAVA"},
		"kvm-context.yaml":           {"kvm-context.yaml:45:9: actions[2].test.timeout: duplicate key (first at line 42); the last one is used, as in LAVA"},
		"kvm-noos.yaml":              {"kvm-noos.yaml:44:9: actions[2].test.timeout: duplicate key (first at line 41); the last one is used, as in LAVA"},
		"kvm.yaml":                   {"kvm.yaml:45:9: actions[2].test.timeout: duplicate key (first at line 42); the last one is used, as in LAVA"},
		"docker-test-multinode.yaml": {"docker-test-multinode.yaml:17:19: protocols.lava-multinode.target_group: target_group in a MultiNode submission is ignored: each run of the job gets a new group"},
		"mustang-menu-ramdisk.yaml":  {"mustang-menu-ramdisk.yaml:35:6: actions[0].deploy.timeout: duplicate key (first at line 19); the last one is used, as in LAVA", "mustang-menu-ramdisk.yaml:36:6: actions[0].deploy.to: duplicate key (first at line 21); the last one is used, as in LAVA"},
	}
	files := append(lavaSampleJobs(t), "../../examples/jobs/mustang-ssh-guest.yaml", "../../examples/jobs/single-node-nfs.yaml", "../../examples/jobs/single-node-ramdisk.yaml")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		j, _ := Parse(name, data)
		var got []string
		if j != nil {
			for _, w := range j.Warnings {
				got = append(got, w.String())
			}
		}
		if strings.Join(got, "\n") != strings.Join(want[name], "\n") {
			t.Errorf("%s warnings:\n got: %q\nwant: %q", name, got, want[name])
		}
	}
}
