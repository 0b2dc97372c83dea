package lab_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/lab"
)

// Debian's lava-run runs examples/jobs/single-node-ramdisk.yaml Complete on
// board-01 from the device file lab/lava renders (through
// scripts/bench-lava.sh, which sets up what lava-run needs and puts it back),
// and /etc/default/tftpd-hpa and /var/lib/lava/dispatcher/tmp are left as
// they were. Needs root, the lab (brought up and down if it is down) and
// scripts/deps.d/lava-run.apt; LAVACORE_LAB=1.
func TestLavaRunOnLabBoard(t *testing.T) {
	if os.Getenv("LAVACORE_LAB") != "1" {
		t.Skip("the virtual lab needs root and `make deps`; set LAVACORE_LAB=1 (make test does)")
	}
	lab.NeedRender(t)
	if _, err := exec.LookPath("lava-run"); err != nil {
		t.Fatalf("no lava-run (make deps: scripts/deps.d/lava-run.apt): %v", err)
	}
	before, err := os.ReadFile("/etc/default/tftpd-hpa")
	if err != nil {
		t.Fatalf("make deps installs tftpd-hpa: %v", err)
	}
	out := t.TempDir()
	cmd := exec.Command("bash", filepath.Join(repoRoot(t), "scripts", "bench-lava.sh"), "-n", "1", "-j", "ramdisk", "-m", "warm", "-t", "lava", "-o", out)
	cmd.Env = append(os.Environ(), "LAVACORE="+lavacore(t), "LAB_LOCK=")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	runErr := cmd.Run()
	t.Logf("bench-lava.sh:\n%s", buf.String())
	if after, err := os.ReadFile("/etc/default/tftpd-hpa"); err != nil || !bytes.Equal(after, before) {
		t.Errorf("/etc/default/tftpd-hpa not put back (%v):\n%s", err, after)
	}
	if mounts, err := os.ReadFile("/proc/self/mounts"); err == nil && strings.Contains(string(mounts), " /var/lib/lava/dispatcher/tmp ") {
		t.Errorf("/var/lib/lava/dispatcher/tmp is still mounted")
	}
	if runErr != nil {
		t.Fatalf("bench-lava.sh: %v", runErr)
	}
	tsv, err := os.ReadFile(filepath.Join(out, "runs.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(tsv)), "\n")
	if len(lines) != 2 {
		t.Fatalf("runs.tsv:\n%s", tsv)
	}
	f := strings.Split(lines[1], "\t")
	if len(f) < 9 || f[0] != "lava" || f[4] != "0" || f[6] == "nan" {
		t.Fatalf("lava-run did not complete with a board time: %q", f)
	}
	log, err := os.ReadFile(filepath.Join(out, "runs", "ramdisk-warm-1-lava", "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`{"case": "uname", "definition": "0_smoke-inline", `,
		`"msg": "Job finished correctly"`,
	} {
		if !strings.Contains(string(log), want) {
			t.Errorf("lava-run's log has no %s", want)
		}
	}
}
