package runner

import (
	"context"
	"os"
	"path/filepath"
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
func (packOverlay) Run(_ context.Context, call sdk.Call, _ sdk.Host) error {
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

// The overlay tarball (and tree) holding the job's secrets stayed in the
// output directory after the run; it is removed unless KeepOverlay.
func TestRun_OverlayWithSecretsLeftInOutput(t *testing.T) {
	lab, diags := device.LoadLab("../../internal/pipelinetest/testdata/lab", device.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("lab: %v", diags)
	}
	for _, keep := range []bool{false, true} {
		out := t.TempDir()
		j, jd := job.ParseWith("job.yaml", []byte("job_name: secrets\ndevice_type: mustang\ntimeouts: {job: {minutes: 1}}\n"+
			"visibility: public\nsecrets: {TOKEN: s3cret}\nactions:\n- deploy: {to: pack-overlay-test}\n"),
			job.Options{Methods: []sdk.MethodInfo{packOverlay{}.Info()}})
		if len(jd) > 0 {
			t.Fatal(jd.Error())
		}
		res, err := Run(context.Background(), Options{Job: j, Lab: lab, OutputDir: out, JobID: "1", SubID: -1,
			Device: "mustang1", Registry: pipeline.NewStaticRegistry(packOverlay{}), KeepOverlay: keep})
		if err != nil {
			t.Fatal(err)
		}
		if !res.OK() {
			t.Fatalf("keep=%v: %+v", keep, res.SubJobs)
		}
		left, _ := filepath.Glob(filepath.Join(out, "work", "overlay-*"))
		if keep && len(left) != 2 {
			t.Errorf("KeepOverlay: left %v, want the tarball and the tree", left)
		}
		if !keep && len(left) != 0 {
			t.Errorf("overlay left in the output directory after the run: %v", left)
		}
		if _, err := os.Stat(filepath.Join(out, "work", "downloads")); err != nil {
			t.Errorf("other work files removed too: %v", err)
		}
	}
}
