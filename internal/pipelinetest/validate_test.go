package pipelinetest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lavacore/lavacore/core/job"
	"github.com/lavacore/lavacore/core/pipeline"
)

// Validation problems from the methods, placed in the job file.
func TestValidateProblems(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "bad-mustang.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	j := decodeJobBytes(t, "bad-mustang.yaml", src)
	lab := loadTestLab(t)
	p, err := pipeline.Build(j, labDevice(t, lab, "mustang1"), builtinRegistry(t), testDisp)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, pr := range p.Validate(context.Background()) {
		got = append(got, pr.String())
	}
	want := strings.Split(strings.TrimSpace(string(mustRead(t, "testdata/bad-mustang.golden"))), "\n")
	if *update {
		_ = os.WriteFile("testdata/bad-mustang.golden", []byte(strings.Join(got, "\n")+"\n"), 0o644)
		return
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !*update {
		t.Fatal(err)
	}
	return b
}

// Build reports every block it cannot build, each placed in the job file.
func TestBuildErrors(t *testing.T) {
	src := []byte(`device_type: mustang
job_name: x
timeouts: {job: {minutes: 15}}
actions:
- deploy:
    to: tftp
    kernel: {url: "ftp://example.com/vmlinuz"}
- boot: {method: u-boot, commands: nfs}
- test:
    definitions:
    - {from: svn, name: a, path: a.yaml, repository: http://example.com/t}
`)
	j := decodeJobBytes(t, "job.yaml", src)
	_, err := pipeline.Build(j, labDevice(t, loadTestLab(t), "mustang1"), builtinRegistry(t), testDisp)
	// every boot method registered gives its reason, in name order (the
	// list grows with the methods: only its shape is checked)
	want := []string{"job.yaml:5:3: actions[0].deploy.tftp: Unsupported url protocol scheme: ftp\n" +
		"job.yaml:8:3: actions[1].boot.u-boot: None of the boot strategies accepted your boot parameters, reasons given:\n",
		"grub: \"method\" was not \"grub\"\ngrub-efi: \"method\" was not \"grub-efi\"\n",
		"ssh: \"method\" was not \"ssh\"\n",
		"\n\njob.yaml:9:3: actions[2].test.definitions: No testdef_repo handler is available for the given repository type 'svn'."}
	if err == nil || !strings.HasPrefix(err.Error(), want[0]) || !strings.HasSuffix(err.Error(), want[3]) ||
		!strings.Contains(err.Error(), want[1]) || !strings.Contains(err.Error(), want[2]) {
		t.Errorf("err =\n%s\nwant\n%s", err, strings.Join(want, "…"))
	}
}

func TestAssignDevicesErrors(t *testing.T) {
	lab := loadTestLab(t)
	j := decodeJobBytes(t, "job.yaml", []byte("device_type: x15\njob_name: x\ntimeouts: {job: {minutes: 1}}\nactions: []\n"))
	_, err := pipeline.AssignDevices([]*job.Job{j}, nil, lab, "")
	want := `job: no device of type "x15" in the lab testdata/lab (device types in the lab: mustang, qemu, qemu-uboot-arm64, ssh)`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
	_, err = pipeline.AssignDevices([]*job.Job{j}, nil, lab, "nope")
	if err == nil || !strings.Contains(err.Error(), `job: device nope:`) {
		t.Errorf("err = %v", err)
	}
	j.DeviceType = "ssh"
	subs, err := pipeline.AssignDevices([]*job.Job{j}, nil, lab, "")
	if err != nil || subs[0].Device.Name != "ssh-host-01" {
		t.Errorf("subs %+v, err %v", subs, err)
	}
}

func TestValidateLongTimeoutWarning(t *testing.T) {
	j := decodeJobBytes(t, "job.yaml", []byte("device_type: mustang\njob_name: x\ntimeouts: {job: {minutes: 1}, action: {minutes: 1}}\nactions:\n- boot: {method: grub-efi, commands: nfs, timeout: {minutes: 2}}\n"))
	p, err := pipeline.Build(j, labDevice(t, loadTestLab(t), "mustang1"), builtinRegistry(t), testDisp)
	if err != nil {
		t.Fatal(err)
	}
	probs := p.Validate(context.Background())
	if len(probs) == 0 || probs[0].String() != "job.yaml:5:3: timeouts: 1 grub-main-action: its timeout (120 s) is longer than the job timeout (60 s) (warning)" {
		t.Errorf("%v", probs)
	}
}
