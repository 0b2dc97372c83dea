package job

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

const seed = "../../../shared/seed/mustang-ssh-guest.yaml"

// TestInvalidJobs checks that every invalid fixture fails with exactly the
// diagnostics in its .err golden file.
func TestInvalidJobs(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 25 {
		t.Fatalf("only %d invalid fixtures", len(files))
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) { checkInvalid(t, f) })
	}
}

// checkInvalid checks that the job file f fails with exactly the diagnostics
// of its .err golden file (rewritten with -update).
func checkInvalid(t *testing.T, f string) {
	t.Helper()
	_, diags := Load(f)
	if len(diags) == 0 {
		t.Fatalf("%s: no diagnostics", f)
	}
	var b strings.Builder
	for _, d := range diags {
		if d.Pos.Line < 1 || d.Pos.Column < 1 {
			t.Errorf("diagnostic without a position: %v", d)
		}
		b.WriteString(d.String() + "\n")
	}
	golden := strings.TrimSuffix(f, ".yaml") + ".err"
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if b.String() != string(want) {
		t.Errorf("diagnostics differ\n got:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestSeedIsValid(t *testing.T) {
	requireSeed(t)
	j, diags := Load(seed)
	if len(diags) > 0 {
		t.Fatalf("seed job: %v", diags.Error())
	}
	if j.Name != "ssh guest with standard images" || len(j.Actions) != 6 {
		t.Fatalf("decoded %q with %d actions", j.Name, len(j.Actions))
	}
	if j.Timeouts.Job.Duration.Minutes() != 60 || j.Timeouts.Action.Duration.Minutes() != 20 || j.Timeouts.Connection.Duration.Minutes() != 2 {
		t.Errorf("timeouts: %+v", j.Timeouts)
	}
	// The inline definition repeats `install:`; as in PyYAML the last one wins.
	defs := j.Actions[4].Params["definitions"].([]any)
	deps := defs[0].(map[string]any)["repository"].(map[string]any)["install"].(map[string]any)["deps"].([]any)
	if len(deps) != 3 {
		t.Errorf("inline install deps = %v, want the last install: block", deps)
	}
}

// TestLAVASampleJobsAreValid checks that every one of LAVA's sample jobs
// passes validation (LAVA's own schema accepts them all). Skipped without the
// fixtures, except under CI=true (see lavaSampleJobs).
func TestLAVASampleJobsAreValid(t *testing.T) {
	files := lavaSampleJobs(t)
	for _, f := range files {
		if _, diags := Load(f); len(diags) > 0 {
			t.Errorf("%s:\n%s", f, diags.Error())
		}
	}
}

func TestSplitSeed(t *testing.T) {
	requireSeed(t)
	j, diags := Load(seed)
	if len(diags) > 0 {
		t.Fatal(diags.Error())
	}
	subs, err := SplitGroup(j, "group-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 4 {
		t.Fatalf("%d sub-jobs, want 4", len(subs))
	}
	// Roles in file order: guest ×3 (sub_id 0..2), then host (sub_id 3).
	for i, s := range subs {
		wantRole := "guest"
		if i == 3 {
			wantRole = "host"
		}
		p := s.Protocols["lava-multinode"].(map[string]any)
		if s.Role != wantRole || s.SubID != i || s.GroupSize != 4 || s.TargetGroup != "group-1" ||
			p["role"] != wantRole || p["sub_id"] != i || p["group_size"] != 4 || p["target_group"] != "group-1" {
			t.Errorf("sub-job %d: role %s sub_id %d size %d group %s proto %v", i, s.Role, s.SubID, s.GroupSize, s.TargetGroup, p)
		}
		if s.DeviceType != "mustang" {
			t.Errorf("sub-job %d: device type %q (guests run with the host's)", i, s.DeviceType)
		}
		var sections []string
		for _, b := range s.Actions {
			sections = append(sections, b.Section+":"+b.Method)
		}
		want := "deploy:ssh boot:ssh test:definitions"
		if wantRole == "host" {
			want = "deploy:tftp boot:grub-efi test:definitions"
			if p["request"] != nil {
				t.Errorf("host has request %v", p["request"])
			}
		} else if p["request"] != "lava-start" || p["expect_role"] != "host" {
			t.Errorf("guest protocol block %v", p)
		}
		if got := strings.Join(sections, " "); got != want {
			t.Errorf("sub-job %d actions: %s, want %s", i, got, want)
		}
	}
	if subs[0].RoleTimeout() == nil || subs[0].RoleTimeout().Duration.Minutes() != 15 {
		t.Errorf("guest role timeout %v", subs[0].RoleTimeout())
	}
}

func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile(seed); err == nil {
		f.Add(b)
	}
	files, _ := filepath.Glob("testdata/invalid/*.yaml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		j, diags := Parse("fuzz.yaml", data)
		for _, d := range diags {
			if d.Pos.Line < 1 {
				t.Fatalf("diagnostic without a line: %v", d)
			}
		}
		if j != nil && len(diags) == 0 {
			if _, err := Split(j); err != nil && j.MultiNode == nil {
				t.Fatalf("split of a single-node job: %v", err)
			}
		}
	})
}

func BenchmarkLoadSeed(b *testing.B) {
	data, err := os.ReadFile(seed)
	if err != nil {
		b.Skip("seed job not present")
	}
	for i := 0; i < b.N; i++ {
		if _, diags := Parse(seed, data); len(diags) > 0 {
			b.Fatal(diags.Error())
		}
	}
}

func TestLintMultiNode(t *testing.T) {
	files, _ := filepath.Glob("testdata/lint/*.yaml")
	for _, f := range files {
		j, diags := Load(f)
		if len(diags) > 0 {
			t.Fatalf("%s: %s", f, diags.Error())
		}
		var b strings.Builder
		for _, d := range LintMultiNode(j) {
			b.WriteString(d.String() + "\n")
		}
		golden := strings.TrimSuffix(f, ".yaml") + ".err"
		if *update {
			_ = os.WriteFile(golden, []byte(b.String()), 0o644)
		}
		want, _ := os.ReadFile(golden)
		if b.String() != string(want) {
			t.Errorf("%s lint:\n got:\n%s\nwant:\n%s", f, b.String(), want)
		}
	}
	if j, _ := Load(seed); j != nil {
		if d := LintMultiNode(j); len(d) > 0 {
			t.Errorf("the seed job does not lint clean: %s", d.Error())
		}
	}
}

// requireSeed skips without ../shared's seed job, and fails under CI, which
// always has ../shared beside the clone.
func requireSeed(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(seed); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the shared seed job is missing under CI: %v", err)
		}
		t.Skip("shared seed job not present")
	}
}
