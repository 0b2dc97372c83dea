package pipelinetest

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lavacore/lavacore/core/device/lavayaml"
	ljob "github.com/lavacore/lavacore/core/job"
	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/plugins/qemu"
)

// qemuRefsIdentical is the number of LAVA's qemu pipeline references
// lavacore describes exactly; the test fails when it drops.
//
// The others: kvm-command.yaml (LAVA's test adds user commands to the
// device before building it; the rendered ref device has none) and
// qemu-debian-installer.yaml (deploy iso-installer + boot qemu-iso, not
// written yet).
const qemuRefsIdentical = 9

// TestConformanceQEMU compares lavacore's pipelines with LAVA's for every
// reference LAVA builds on a qemu device (refs.tsv), on the device file LAVA
// rendered for it (ref-devices/), LAVA HEAD's tree (dropVLAN): names, levels,
// classes, timeouts, retries, urls and texts, in order.
func TestConformanceQEMU(t *testing.T) {
	f, err := os.Open(filepath.Join(fixtures, "refs.tsv"))
	if err != nil {
		t.Skipf("LAVA fixtures absent: %v", err)
	}
	defer f.Close()
	reg := builtinRegistry(t, qemu.Methods()...)
	identical, total := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 4 || cols[2] != "qemu" {
			continue
		}
		ref, job := cols[0], cols[3]
		total++
		t.Run(ref, func(t *testing.T) {
			want := loadRef(t, ref)
			// the job decoder keeps the file's key order (images …), the test's own does not
			j, diags := ljob.Load(filepath.Join(fixtures, "sample_jobs", job))
			if len(diags) > 0 {
				t.Fatalf("job: %v", diags)
			}
			dev, probs := lavayaml.LoadFile(filepath.Join(fixtures, "ref-devices", ref), lavayaml.Options{Type: "qemu", Spec: pipeline.SpecFunc(reg)})
			if probs.HasErrors() {
				t.Fatalf("ref device: %v", probs)
			}
			p, err := pipeline.Build(j, dev, reg, testDisp)
			if err != nil {
				t.Logf("not built: %v", err)
				return
			}
			var got, exp []string
			flatten(dropVLAN(p.Describe(), ""), &got)
			flatten(want, &exp)
			if d := cmp.Diff(exp, got); d != "" {
				t.Logf("differs from LAVA's %s (-lava +lavacore):\n%s", ref, d)
				return
			}
			identical++
		})
	}
	t.Logf("qemu references identical: %d of %d", identical, total)
	if identical < qemuRefsIdentical {
		t.Errorf("%d qemu references identical, fewer than the %d recorded", identical, qemuRefsIdentical)
	}
}
