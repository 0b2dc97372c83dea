package pipelinetest

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/core/pluginhost"
)

// cliRefs are the refs TestConformanceCLI also describes with the real
// binary: GRUB, an ssh guest, iPXE, U-Boot and QEMU.
var cliRefs = map[string]bool{
	"grub.yaml": true, "mustang-grub-efi-nfs.yaml": true, "ssh-guest.yaml": true, "synquacer_dtb.yaml": true,
	"ipxe.yaml": true, "ipxe-monitor.yaml": true, "mustang-uefi.yaml": true, "uboot-ramdisk.yaml": true, "kvm.yaml": true,
}

// TestConformanceCLI proves the command line's path: for a handful of refs,
// `lavacore describe JOB --lava-device DEV --lava-version 2026.08 --output
// json`, run as a process with only lavacore's plugins beside it, gives the
// outcome the in-process comparison gives (a tree with the same first
// difference, or a refusal).
func TestConformanceCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds lavacore and its plugins")
	}
	dir := fixturesDir(t)
	bin := lavacoreBinary(t, t.TempDir())
	if bin == "" {
		t.Fatal("cmd/lavacore or the plugins do not build")
	}
	reg := builtinRegistry(t)
	n := 0
	for _, row := range readRefs(t) {
		if !cliRefs[row.Ref] {
			continue
		}
		n++
		t.Run(row.Ref, func(t *testing.T) {
			want := compareRef(t, reg, row)
			cmd := exec.Command(bin, "describe", filepath.Join(dir, "sample_jobs", row.Job),
				"--lava-device", filepath.Join(dir, "ref-devices", row.Ref),
				"--lava-version", conformanceVersion, "--output", "json")
			cmd.Env = append(os.Environ(), pluginhost.PathEnv+"=", "HOME="+t.TempDir())
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if !want.Tree {
				if err == nil {
					t.Errorf("in process: %s; lavacore describe succeeded", want.Diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("lavacore describe: %v\n%s", err, stderr.Bytes())
			}
			var subs []pipeline.SubJobDescription
			if err := json.Unmarshal(stdout.Bytes(), &subs); err != nil || len(subs) == 0 {
				t.Fatalf("lavacore describe --output json: %v (%d sub-jobs)", err, len(subs))
			}
			if got := firstDifference(loadRef(t, row.Ref), subs[0].Pipeline); got != want.Diff {
				t.Errorf("lavacore describe: %q; in process: %q", got, want.Diff)
			}
		})
	}
	if n != len(cliRefs) {
		t.Errorf("%d of the %d CLI refs are in refs.tsv", n, len(cliRefs))
	}
}
