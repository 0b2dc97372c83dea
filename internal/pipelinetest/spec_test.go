package pipelinetest

import (
	"testing"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/core/pipeline"
)

// The built-in device types decode with the methods' device specs (as
// `lavacore run` loads labs) and build the same seed pipelines.
func TestLabWithMethodSpecs(t *testing.T) {
	for _, dir := range []string{"testdata/lab", "../../examples/lab"} {
		lab, diags := device.LoadLab(dir, device.LoadOptions{Spec: pipeline.SpecFunc(builtinRegistry(t))})
		if diags.HasErrors() {
			t.Fatalf("%s: %v", dir, diags)
		}
		if len(lab.Devices) == 0 {
			t.Fatalf("%s: no devices", dir)
		}
	}
	lab, _ := device.LoadLab("testdata/lab", device.LoadOptions{Spec: pipeline.SpecFunc(builtinRegistry(t))})
	plain := loadTestLab(t)
	for _, name := range []string{"mustang1", "ssh-host-01"} {
		a, _ := lab.Device(name, nil)
		b, _ := plain.Device(name, nil)
		for k, m := range b.Methods {
			for attr := range m {
				if _, ok := a.Methods[k][attr]; !ok {
					t.Errorf("%s %s: %s lost with the spec: %v", name, k, attr, a.Methods[k])
				}
			}
		}
		pa, err := pipeline.Build(decodeJob(t, "testdata/bad-mustang.yaml"), a, builtinRegistry(t), testDisp)
		if name == "mustang1" && (err != nil || len(pa.Describe()) != 4) {
			t.Errorf("build with spec device: %v", err)
		}
	}
}
