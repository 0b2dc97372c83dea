package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/core/job"
	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/sdk"
)

// packOverlay stands for compress-overlay: it leaves an overlay tarball and
// tree holding the job's secrets in the sub-job's work directory.
type packOverlay struct{}

func (packOverlay) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionDeploy, Name: "pack-overlay-test"}
}
func (packOverlay) Accepts(sdk.Request) (bool, string) { return true, "" }
func (packOverlay) Describe(sdk.Request) (sdk.ActionSpec, error) {
	return sdk.ActionSpec{Name: "compress-overlay", Summary: "compress-overlay", Description: "test"}, nil
}
func (packOverlay) Validate(context.Context, sdk.Request) sdk.Diagnostics { return nil }
func (packOverlay) Cleanup(context.Context, sdk.Call, sdk.Host) error     { return nil }
func (packOverlay) Run(_ context.Context, call sdk.Call, host sdk.Host) error {
	// an action result as a plugin's arrives: its size a float (JSON)
	if err := host.Result(sdk.Result{Definition: "lava", Case: call.Action, Level: call.Level, Result: "pass",
		Extra: map[string]any{"size": float64(15305012), "label": "overlay"}}); err != nil {
		return err
	}
	w := call.Dispatcher.WorkDir
	if err := os.MkdirAll(filepath.Join(w, "overlay-123", "lava-1"), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(w, "overlay-123", "lava-1", "secrets"), []byte("TOKEN=s3cret\n"), 0o600); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(w, "downloads"), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(w, "overlay-"+call.Level+".tar.gz"), []byte("TOKEN=s3cret\n"), 0o600)
}

func runPackOverlay(t *testing.T, o Options) string {
	t.Helper()
	lab, diags := device.LoadLab("../../internal/pipelinetest/testdata/lab", device.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("lab: %v", diags)
	}
	out := t.TempDir()
	j, jd := job.ParseWith("job.yaml", []byte("job_name: secrets\ndevice_type: mustang\ntimeouts: {job: {minutes: 1}}\n"+
		"visibility: public\nsecrets: {TOKEN: s3cret}\nactions:\n- deploy: {to: pack-overlay-test}\n"),
		job.Options{Methods: []sdk.MethodInfo{packOverlay{}.Info()}})
	if len(jd) > 0 {
		t.Fatal(jd.Error())
	}
	o.Job, o.Lab, o.OutputDir, o.JobID, o.SubID, o.Device = j, lab, out, "1", -1, "mustang1"
	o.Registry = pipeline.NewStaticRegistry(packOverlay{})
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() {
		t.Fatalf("%+v", res.SubJobs)
	}
	return out
}

// The overlay tarball (and tree) holding the job's secrets stayed in the
// output directory after the run, and so did the downloads (113 MB on the
// lab's NFS job): work/ is removed unless KeepWork, the overlays unless
// KeepOverlay.
func TestRun_WorkAndOverlayWithSecretsLeftInOutput(t *testing.T) {
	for _, c := range []struct {
		keepWork, keepOverlay bool
		overlays, downloads   bool
	}{
		{false, false, false, false},
		{false, true, true, false},
		{true, false, false, true},
		{true, true, true, true},
	} {
		out := runPackOverlay(t, Options{KeepWork: c.keepWork, KeepOverlay: c.keepOverlay})
		left, _ := filepath.Glob(filepath.Join(out, "work", "overlay-*"))
		if c.overlays && len(left) != 2 {
			t.Errorf("%+v: left %v, want the tarball and the tree", c, left)
		}
		if !c.overlays && len(left) != 0 {
			t.Errorf("%+v: overlay left in the output directory after the run: %v", c, left)
		}
		_, err := os.Stat(filepath.Join(out, "work", "downloads"))
		if c.downloads != (err == nil) {
			t.Errorf("%+v: downloads kept = %v", c, err == nil)
		}
		if !c.keepWork && !c.keepOverlay {
			if _, err := os.Stat(filepath.Join(out, "work")); !os.IsNotExist(err) {
				t.Errorf("work/ left after the run: %v", err)
			}
		}
	}
}

// TestRun_LavaSuiteAsLAVALogsIt: validate first, an action's own result at
// its end (namespace, level, duration, integer size), the job last, after
// "Job finished correctly".
func TestRun_LavaSuiteAsLAVALogsIt(t *testing.T) {
	out := runPackOverlay(t, Options{})
	b, err := os.ReadFile(filepath.Join(out, "log.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var results []string
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for _, l := range lines {
		if strings.Contains(l, `"lvl": "results"`) {
			_, msg, _ := strings.Cut(l, `"msg": `)
			results = append(results, msg)
		}
	}
	want := []string{
		`{"definition": "lava", "case": "validate", "result": "pass"}}`,
		`{"definition": "lava", "namespace": "common", "case": "compress-overlay", "level": "1", "duration": "`,
		`{"definition": "lava", "case": "job", "result": "pass"}}`,
	}
	if len(results) != len(want) {
		t.Fatalf("results records %q", results)
	}
	for i, w := range want {
		if !strings.HasPrefix(results[i], w) {
			t.Errorf("record %d = %s\nwant prefix %s", i, results[i], w)
		}
	}
	if !strings.HasSuffix(results[1], `"result": "pass", "extra": {"label": "overlay", "size": ! "15305012"}}}`) {
		t.Errorf("action result %s", results[1])
	}
	if !strings.Contains(lines[len(lines)-2], "Job finished correctly") {
		t.Errorf("before the job result: %s", lines[len(lines)-2])
	}
}
