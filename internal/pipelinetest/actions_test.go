package pipelinetest

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/core/job"
	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/plugins/command"
	"github.com/lavacore/lavacore/plugins/fastboot"
	"github.com/lavacore/lavacore/plugins/grub"
	"github.com/lavacore/lavacore/plugins/monitor"
	"github.com/lavacore/lavacore/plugins/qemu"
	"github.com/lavacore/lavacore/plugins/ssh"
	"github.com/lavacore/lavacore/plugins/testshell"
	"github.com/lavacore/lavacore/plugins/tftp"
	"github.com/lavacore/lavacore/plugins/uboot"
	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

// TestDeclaredActionsHaveCode builds the repository's jobs (examples/jobs,
// testdata) and every LAVA sample job lavacore can build on the test lab,
// and checks that each action a block's method declares (and finalize's)
// is registered with code: a new action without code fails here, not on a
// board.
func TestDeclaredActionsHaveCode(t *testing.T) {
	lab := loadTestLab(t)
	reg := builtinRegistry(t) // command included
	// the methods' own values: MissingActions reads their action tables,
	// which do not cross the wire
	raw := map[string]sdk.Method{}
	for _, ms := range [][]sdk.Method{tftp.Methods(), ssh.Methods(), grub.Methods(), testshell.Methods(), command.Methods(), monitor.Methods(), uboot.Methods(), qemu.Methods(), fastboot.Methods()} {
		for _, m := range ms {
			raw[m.Info().Key()] = m
		}
	}
	ours, _ := filepath.Glob("../../examples/jobs/*.yaml")
	ours = append(ours, "testdata/command-job.yaml")
	pins := map[string]string{"testdata/command-job.yaml": "mustang2"} // the device with user commands
	lava, _ := filepath.Glob(filepath.Join(fixtures, "sample_jobs", "*.yaml"))
	seen := map[string]bool{ // method keys checked at least once
		"boot/grub": true, // no device of the test lab has a boot "grub" block: plugins/grub's tests check it
		// no U-Boot device in the test lab: TestUBootConformance checks them on LAVA's devices
		"boot/u-boot": true, "boot/bootloader": true, "boot/minimal": true, "deploy/nfs": true,
	}
	built := 0
	for _, path := range append(ours, lava...) {
		mustBuild := !strings.HasPrefix(path, fixtures)
		j, diags := job.Load(path)
		if len(diags) > 0 {
			if mustBuild {
				t.Errorf("%s: %v", path, diags)
			}
			continue
		}
		subs, err := job.SplitGroup(j, "group-1")
		if err != nil {
			if mustBuild {
				t.Errorf("%s: %v", path, err)
			}
			continue
		}
		var roles map[string]*job.Role
		if j.MultiNode != nil {
			roles = j.MultiNode.Roles
		}
		assigned, err := pipeline.AssignDevices(subs, roles, lab, pins[path])
		if err != nil && j.MultiNode == nil && !mustBuild {
			assigned, err = pipeline.AssignDevices(subs, roles, lab, "mustang1")
		}
		if err != nil {
			if mustBuild {
				t.Errorf("%s: %v", path, err)
			}
			continue
		}
		for _, s := range assigned {
			p, err := pipeline.Build(s.Job, s.Device, reg, testDisp)
			if err != nil {
				if mustBuild {
					t.Errorf("%s (%s): %v", path, s.Job.Role, err)
				}
				continue
			}
			built++
			for _, n := range p.Actions {
				key := n.Method.Info().Key()
				seen[key] = true
				m := raw[key]
				if m == nil {
					m = n.Method // finalize: core's own
				}
				for _, problem := range sdktest.MissingActions(m, *n.Request) {
					t.Errorf("%s (%s): %s", filepath.Base(path), s.Job.Role, problem)
				}
			}
		}
	}
	// and every pipeline ref's job on its own (rendered) device
	for _, row := range readRefs(t) {
		ps, err := buildRef(t, reg, row)
		if err != nil {
			continue
		}
		for _, p := range ps {
			built++
			for _, n := range p.Actions {
				key := n.Method.Info().Key()
				seen[key] = true
				m := raw[key]
				if m == nil {
					m = n.Method
				}
				for _, problem := range sdktest.MissingActions(m, *n.Request) {
					t.Errorf("%s: %s", row.Ref, problem)
				}
			}
		}
	}
	// every built-in method was exercised
	var missing []string
	for _, m := range reg.All() {
		if !seen[m.Info().Key()] {
			missing = append(missing, m.Info().Key())
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no job used %s", strings.Join(missing, ", "))
	}
	t.Logf("%d pipelines checked", built)
}
