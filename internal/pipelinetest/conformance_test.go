package pipelinetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/sdk"
)

// fixtures is LAVA's own test data (GPL, read-only, outside the repository).
const fixtures = "../../../shared/lava-fixtures"

var testDisp = sdk.Dispatcher{IP: "192.168.0.2", TFTPRoot: "/srv/tftp", NFSRoot: "/var/lib/lava/dispatcher/tmp"}

func loadTestLab(t testing.TB) *device.Lab {
	t.Helper()
	lab, diags := device.LoadLab("testdata/lab", device.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("testdata/lab: %v", diags)
	}
	return lab
}

func labDevice(t testing.TB, lab *device.Lab, name string) *device.Device {
	t.Helper()
	d, diags := lab.Device(name, nil)
	if diags.HasErrors() {
		t.Fatalf("%s: %v", name, diags)
	}
	return d
}

// ssh-guest's device is bbb-02 trimmed for a dynamic connection: what matters
// is its ssh deploy/boot methods and base.jinja2's timeouts.
func bbbGuestDevice() *device.Device {
	return &device.Device{
		Name: "bbb-02", Type: "beaglebone-black", Guest: true,
		Methods: map[string]map[string]any{
			"deploy/ssh": {"host": "", "port": float64(22), "user": "root", "identity_file": "dynamic_vm_keys/lava",
				"options": []any{"-o", "Compression=yes", "-o", "PasswordAuthentication=no", "-o", "LogLevel=FATAL"}},
			"boot/ssh": {},
		},
		Constants: map[string]any{"failure_retry": float64(1), "kernel-start-message": ""},
		ActionTimeouts: map[string]time.Duration{
			"download-retry": 15 * time.Minute, "http-download": 5 * time.Minute, "lava-test-shell": 3 * time.Minute,
			"power-off": 10 * time.Second, "pdu-reboot": 30 * time.Second, "reset-device": 30 * time.Second,
			"bootloader-commands": 3 * time.Minute, "bootloader-interrupt": 30 * time.Second, "auto-login-action": 2 * time.Minute,
		},
		ConnectionTimeouts: map[string]time.Duration{"lava-test-shell": 10 * time.Second, "auto-login-action": 2 * time.Minute},
	}
}

// schroot stands in for LAVA's boot schroot (not a lavacore method) so the
// ssh-deploy fixture keeps its numbering.
type schroot struct{ fakeMethod }

func (schroot) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionBoot, Name: "schroot"}
}
func (schroot) Describe(sdk.Request) (sdk.ActionSpec, error) {
	return sdk.ActionSpec{Name: "schroot-login", Class: "SchrootAction",
		Description: "enter schroot using existing connection", Summary: "enter specified schroot"}, nil
}

// dropVLAN removes lavacore's lava-vland-overlay placeholder and renumbers
// the levels, giving the tree LAVA HEAD builds (it dropped VLANd in April 2026).
func dropVLAN(ds []pipeline.Description, parent string) []pipeline.Description {
	var out []pipeline.Description
	for _, d := range ds {
		if d.Name == "lava-vland-overlay" {
			continue
		}
		pos := strconv.Itoa(len(out) + 1)
		if parent == "" {
			d.Level = pos
		} else {
			d.Level = parent + "." + pos
		}
		d.Pipeline = dropVLAN(d.Pipeline, d.Level)
		out = append(out, d)
	}
	return out
}

func flatten(ds []pipeline.Description, out *[]string) {
	for _, d := range ds {
		line := fmt.Sprintf("%-10s %-28s %-26s timeout=%v max_retries=%d", d.Level, d.Name, d.Class, d.Timeout, d.MaxRetries)
		if d.URL != "" {
			line += " url=" + d.URL
		}
		line += " | " + d.Description + " | " + d.Summary
		*out = append(*out, line)
		flatten(d.Pipeline, out)
	}
}

func loadRef(t *testing.T, name string) []pipeline.Description {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(fixtures, "pipeline_refs", name))
	if err != nil {
		t.Skipf("LAVA fixtures absent: %v", err)
	}
	var ref []pipeline.Description
	if err := yaml.Unmarshal(src, &ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

// TestConformance compares lavacore's pipelines with LAVA's pipeline_refs:
// names, classes, levels, timeouts, max_retries, urls and texts.
//
// Deliberate differences, undone before comparing:
//   - lava-overlay has a lava-vland-overlay placeholder at x.1.2 (LAVA before
//     April 2026) so that the guest's compress-overlay is 1.1.5 (founding job).
func TestConformance(t *testing.T) {
	lab := loadTestLab(t)
	cases := []struct {
		job, ref string
		dev      func() *device.Device
		extra    []sdk.Method
	}{
		{"mustang-grub-efi-nfs.yaml", "mustang-grub-efi-nfs.yaml", func() *device.Device { return labDevice(t, lab, "mustang1") }, nil},
		{"bbb-ssh-guest.yaml", "ssh-guest.yaml", bbbGuestDevice, nil},
		{"bbb-ssh-guest.yaml", "bbb-ssh-guest.yaml", bbbGuestDevice, nil},
		{"ssh-deploy.yaml", "ssh-deploy.yaml", func() *device.Device { return labDevice(t, lab, "ssh-host-01") }, []sdk.Method{schroot{}}},
	}
	for _, c := range cases {
		t.Run(c.ref, func(t *testing.T) {
			ref := loadRef(t, c.ref)
			j := decodeJob(t, filepath.Join(fixtures, "sample_jobs", c.job))
			p, err := pipeline.Build(j, c.dev(), builtinRegistry(t, c.extra...), testDisp)
			if err != nil {
				t.Fatal(err)
			}
			var got, want []string
			flatten(dropVLAN(p.Describe(), ""), &got)
			flatten(ref, &want)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("pipeline differs from LAVA's %s (-lava +lavacore):\n%s", c.ref, d)
			}
			// Every method of the tree validates the fixture.
			for i := range j.Actions {
				n := p.Actions[i]
				if diags := n.Method.Validate(context.Background(), *n.Request); diags.HasErrors() {
					t.Errorf("actions[%d]: %v", i, diags)
				}
			}
		})
	}
}

// TestSeedGuestOverlayLevel: the founding document's /<job_id>-overlay-1.1.5.tar.gz.
func TestSeedGuestOverlayLevel(t *testing.T) {
	subs := seedSubJobs(t)
	if len(subs) != 4 {
		t.Fatalf("%d sub-jobs, want 4", len(subs))
	}
	guests := 0
	for _, s := range subs {
		p, err := pipeline.Build(s.Job, s.Device, builtinRegistry(t), testDisp)
		if err != nil {
			t.Fatal(err)
		}
		n := p.Find("1.1.5")
		if s.Job.Role == "guest" {
			guests++
			if n == nil || n.Name != "compress-overlay" {
				t.Errorf("guest sub_id %d: level 1.1.5 is %v, want compress-overlay", s.Job.SubID, n)
			}
		}
		if !strings.HasPrefix(p.Actions[len(p.Actions)-1].Name, "finalize") {
			t.Errorf("last action is not finalize")
		}
	}
	if guests != 3 {
		t.Errorf("%d guests, want 3", guests)
	}
}
