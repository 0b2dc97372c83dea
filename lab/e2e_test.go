package lab_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/core/htmlreport/browsertest"
	"github.com/lavacore/lavacore/core/pluginhost"
	"github.com/lavacore/lavacore/internal/headless"
	"github.com/lavacore/lavacore/internal/plugintest"
)

// These tests run the real path: the virtual lab's QEMU boards, netbooted by
// lavacore over TFTP with GRUB, Linux, NFS or ramdisk roots and ssh guests.
// They need root and what `make deps` installs; `make test` sets LAVACORE_LAB=1.

func repoRoot(t *testing.T) string {
	_, f, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(f))
}

// lavacore returns the lavacore binary (LAVACORE_BIN from the Makefile, or
// built here with its plugins beside it).
func lavacore(t *testing.T) string {
	if d := os.Getenv("LAVACORE_BIN"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "lavacore")); err == nil {
			return filepath.Join(d, "lavacore")
		}
	}
	bin := filepath.Join(t.TempDir(), "lavacore")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/lavacore")
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if err := plugintest.Build(filepath.Join(filepath.Dir(bin), "plugins")); err != nil {
		t.Fatal(err)
	}
	return bin
}

type result struct {
	Suite, Name, Result string
}

func readResults(t *testing.T, dir string) []result {
	b, err := os.ReadFile(filepath.Join(dir, "results.yaml"))
	if err != nil {
		t.Fatalf("results.yaml: %v", err)
	}
	var rs []result
	if err := yaml.Unmarshal(b, &rs); err != nil {
		t.Fatalf("results.yaml: %v", err)
	}
	return rs
}

type outcome struct {
	Health, Error string
	Type          string `yaml:"error_type"`
	Timing        struct{ Wall, Board, Lavacore string }
}

func readOutcome(t *testing.T, dir string) outcome {
	b, err := os.ReadFile(filepath.Join(dir, "result.yaml"))
	if err != nil {
		t.Fatalf("result.yaml: %v", err)
	}
	var o outcome
	if err := yaml.Unmarshal(b, &o); err != nil {
		t.Fatal(err)
	}
	return o
}

func run(t *testing.T, bin, labDir, job, out string) (string, error) {
	t.Helper()
	start := time.Now()
	cmd := exec.Command(bin, "run", job, "--lab", labDir, "--output-dir", out)
	cmd.Dir = repoRoot(t)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	t.Logf("%s: %s in %s", filepath.Base(job), map[bool]string{true: "exit 0", false: "exit non-zero"}[err == nil], time.Since(start).Round(time.Second))
	return buf.String(), err
}

func TestVirtualLab(t *testing.T) {
	if os.Getenv("LAVACORE_LAB") != "1" {
		t.Skip("the virtual lab needs root and `make deps`; set LAVACORE_LAB=1 (make test does)")
	}
	bin := lavacore(t)
	// The lab's addresses are fixed (the example jobs name them), so the test
	// uses the one lab of this machine: $LAVACORE_LAB_DIR or the default.
	dirOut, err := exec.Command(bin, "lab", "dir").Output()
	if err != nil {
		t.Fatal(err)
	}
	labDir := strings.TrimSpace(string(dirOut))
	// leave the lab directory's boards as they were (as TestSmokeArm does):
	// a lab keeps the boards it has device files for
	armFile := filepath.Join(labDir, "devices", "arm-01.hcl")
	if _, err := os.Stat(armFile); os.IsNotExist(err) {
		t.Cleanup(func() { _ = os.Remove(armFile) })
	}
	// one x86 board and one ARM board (U-Boot); --image all builds the
	// x86 images, --arm-boards the arm64 ones
	up := exec.Command(bin, "lab", "up", "--boards", "1", "--arm-boards", "1", "--image", "all")
	start := time.Now()
	if out, err := up.CombinedOutput(); err != nil {
		t.Fatalf("lab up: %v\n%s", err, out)
	}
	t.Logf("lab up (build + start): %s", time.Since(start).Round(time.Second))
	defer func() {
		down := exec.Command(bin, "lab", "down")
		if out, err := down.CombinedOutput(); err != nil {
			t.Errorf("lab down: %v\n%s", err, out)
		}
		assertNothingLeft(t, labDir)
	}()
	outRoot := t.TempDir()

	complete := []struct {
		job   string
		cases []string // suite/name that must pass
	}{
		{"examples/jobs/single-node-ramdisk.yaml", []string{"0_smoke-inline/uname", "0_smoke-inline/measured", "1_smoke-tests/linux-uname", "lava/0_smoke-inline", "lava/1_smoke-tests", "lava/job"}},
		{"examples/jobs/qemu.yaml", []string{"0_qemu-smoke/kernel", "0_qemu-smoke/overlay-drive", "0_qemu-smoke/cpuinfo", "lava/0_qemu-smoke", "lava/job"}},
		{"examples/jobs/single-node-nfs.yaml", []string{"0_nfs-inline/root-on-nfs", "0_nfs-inline/sshd-active", "1_smoke-tests/linux-pwd", "2_singlenode-advanced/loadavg", "2_singlenode-advanced/parsed-case", "lava/2_singlenode-advanced", "lava/job"}},
		// the ARM board: U-Boot netboots the arm64 kernel (booti) with the
		// busybox ramdisk, or with the ramdisk mounting the job's NFS root
		{"examples/jobs/uboot-ramdisk.yaml", []string{"0_uboot-ramdisk/arch", "0_uboot-ramdisk/root-on-ramdisk", "0_uboot-ramdisk/network", "0_uboot-ramdisk/measured", "lava/0_uboot-ramdisk", "lava/login-action", "lava/job"}},
		{"examples/jobs/uboot-nfs.yaml", []string{"0_uboot-nfs/arch", "0_uboot-nfs/root-on-nfs", "0_uboot-nfs/modules-deployed", "lava/0_uboot-nfs", "lava/login-action", "lava/job"}},
	}
	for _, c := range complete {
		t.Run(filepath.Base(c.job), func(t *testing.T) {
			out := filepath.Join(outRoot, filepath.Base(c.job))
			log, err := run(t, bin, labDir, c.job, out)
			if err != nil {
				t.Fatalf("job not Complete: %v\n%s", err, tail(log))
			}
			rs := readResults(t, out)
			assertPass(t, rs, c.cases)
			if c.job == "examples/jobs/single-node-ramdisk.yaml" {
				assertLavaSuite(t, rs, ramdiskLavaSuite)
			}
			if _, err := os.Stat(filepath.Join(out, "junit.xml")); err != nil {
				t.Error(err)
			}
			tm := readOutcome(t, out).Timing
			t.Logf("%s: wall %s = board %s + lavacore %s", filepath.Base(c.job), tm.Wall, tm.Board, tm.Lavacore)
		})
	}

	// An out-of-tree plugin, installed in a directory of its own, runs on
	// the lab's board next to the built-ins (a command block in the same job).
	t.Run("examples/plugin-hello", func(t *testing.T) {
		job := helloJob(t, bin)
		for _, args := range [][]string{{"validate", job, "--lab", labDir}, {"describe", job, "--lab", labDir}} {
			cmd := exec.Command(bin, args...)
			if out, err := cmd.CombinedOutput(); err != nil || (args[0] == "describe" && !strings.Contains(string(out), "class: HelloBoot")) {
				t.Fatalf("lavacore %s: %v\n%s", args[0], err, out)
			}
		}
		out := filepath.Join(outRoot, "plugin-hello")
		log, err := run(t, bin, labDir, job, out)
		if err != nil {
			t.Fatalf("hello job not Complete: %v\n%s", err, tail(log))
		}
		assertPass(t, readResults(t, out), []string{"lava/hello", "lava/job"})
		if !strings.Contains(log, "hello, lavacore, from job") || !strings.Contains(log, "Running user command 'power_off'") {
			t.Errorf("the log lacks the hello or the power_off command:\n%s", tail(log))
		}
	})

	t.Run("mustang-ssh-guest", func(t *testing.T) {
		out := filepath.Join(outRoot, "founding")
		log, err := run(t, bin, labDir, "examples/jobs/mustang-ssh-guest.yaml", out)
		if err != nil {
			t.Fatalf("founding job not Complete: %v\n%s", err, tail(log))
		}
		for _, sub := range []string{"guest-0", "guest-1", "guest-2", "host-3"} {
			assertFounding(t, filepath.Join(out, sub), sub)
		}
		// report.html in a real browser: four lanes, the arrows of the
		// host's lava-send ipv4 / lava_start to the three guests' waits and
		// of the lava-sync, an action's console lines on a click, no JS error
		t.Run("report in chromium", func(t *testing.T) {
			b := headless.ForTest(t)
			browsertest.Check(t, b, out, browsertest.Want{Lanes: 4, WaitArrows: 6, SyncArrows: 1})
		})
	})

	// The same group across processes, as across machines: one `lavacore
	// run --role R --sub-id N` per sub-job, meeting at `lavacore coordinator`.
	t.Run("mustang-ssh-guest across processes", func(t *testing.T) {
		g := startGroup(t, bin, labDir, filepath.Join(outRoot, "across"), "4242")
		for _, p := range g.procs {
			if err := p.wait(); err != nil {
				t.Errorf("%s: %v\n%s", p.sub, err, tail(p.output()))
			}
		}
		if t.Failed() {
			t.Logf("coordinator:\n%s", tail(g.coordLog.String()))
			return
		}
		for _, p := range g.procs {
			assertFounding(t, filepath.Join(outRoot, "across", p.sub, p.sub), p.sub)
		}
	})

	// Killing one guest mid-run fails the group within seconds, naming it.
	t.Run("a guest killed mid-run", func(t *testing.T) {
		g := startGroup(t, bin, labDir, filepath.Join(outRoot, "kill"), "4343")
		victim := g.procs[1] // guest-0, job id 4343
		deadline := time.Now().Add(10 * time.Minute)
		for !strings.Contains(victim.output(), "end: 2 login-ssh") {
			if time.Now().After(deadline) {
				t.Fatalf("guest-0 did not log into the host within 10 minutes:\n%s", tail(victim.output()))
			}
			time.Sleep(200 * time.Millisecond)
		}
		_ = victim.cmd.Process.Kill()
		killed := time.Now()
		host := g.procs[0]
		if err := host.wait(); err == nil {
			t.Fatalf("the host completed although guest-0 was killed:\n%s", tail(host.output()))
		}
		took := time.Since(killed)
		o := readOutcome(t, filepath.Join(outRoot, "kill", "host-3", "host-3"))
		if !strings.Contains(o.Error, "4343 (guest)") {
			t.Errorf("the host's error does not name the killed guest 4343 (guest): %s", o.Error)
		}
		t.Logf("host Incomplete %s after guest-0 was killed: %s", took.Round(100*time.Millisecond), o.Error)
		for _, p := range g.procs[2:] {
			if err := p.wait(); err == nil {
				t.Errorf("%s completed although guest-0 was killed", p.sub)
			}
		}
	})

	// Each failure ends Incomplete with its error type, and its error in
	// result.yaml quotes the console lines that prove it.
	failing := []struct {
		job, errType string
		says         []string // in the error: what went wrong, and the console's proof
	}{
		{"lab/testdata/bad-commands.yaml", "", []string{"Command 'ramdisk-typo' not found"}},
		{"lab/testdata/kernel-panic.yaml", "Job", []string{"Kernel panic", "end Kernel panic"}},
		{"lab/testdata/qemu-not-a-kernel.yaml", "Job", []string{"the kernel did not start", "last console lines:", "Booting from ROM"}},
		{"lab/testdata/no-login.yaml", "Job", []string{"login-action timed out", `"this-never-appears:"`, "last console lines:", "stretch login:"}},
		// the ARM board: a U-Boot command error ends the boot at once,
		// quoting U-Boot's lines (dnsmasq's TFTP "file … not found")
		{"lab/testdata/uboot-tftp-missing-file.yaml", "Infrastructure", []string{"matched a bootloader error message: 'TFTP error: 'file .* not found'",
			"last console lines:", "tftp 0x40400000 no-such-dir/Image", "Filename 'no-such-dir/Image'.", "no-such-dir/Image not found for 10.77.0.151' (1)"}},
		// a kernel that never boots: U-Boot starts it, the console stays
		// silent, LAVA's kernel start message times out
		{"lab/testdata/uboot-kernel-never-boots.yaml", "Job", []string{"auto-login-action timed out", "the kernel did not start", `(waited for "Linux version [0-9]")`,
			"last console lines:", "booti 0x40400000 0x44000000 0x4fe00000", "Starting kernel ..."}},
	}
	for _, f := range failing {
		t.Run(filepath.Base(f.job), func(t *testing.T) {
			out := filepath.Join(outRoot, filepath.Base(f.job))
			log, err := run(t, bin, labDir, f.job, out)
			if err == nil {
				t.Fatalf("job Complete, want Incomplete\n%s", tail(log))
			}
			if f.errType == "" {
				// refused before it ran: the terminal says why
				for _, w := range f.says {
					if !strings.Contains(log, w) {
						t.Errorf("output does not say %q:\n%s", w, tail(log))
					}
				}
				return
			}
			o := readOutcome(t, out)
			if o.Health != "Incomplete" || o.Type != f.errType {
				t.Errorf("outcome %s %s, want Incomplete %s", o.Health, o.Type, f.errType)
			}
			for _, w := range f.says {
				if !strings.Contains(o.Error, w) {
					t.Errorf("result.yaml's error does not say %q:\n%s", w, o.Error)
				}
			}
		})
	}
}

// helloJob builds examples/plugin-hello (a module of its own), installs it
// with `lavacore plugins install` into a plugin directory of its own, puts
// that directory first on LAVACORE_PLUGIN_PATH (for the rest of the calling
// test) and returns examples/plugin-hello/job.yaml for the lab's boards:
// device type mustang, and a built-in command block after the hello boot.
func helloJob(t *testing.T, bin string) string {
	t.Helper()
	tmp := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(tmp, "hello-plugin"), ".")
	build.Dir = filepath.Join(repoRoot(t), "examples", "plugin-hello")
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build examples/plugin-hello: %v\n%s", err, out)
	}
	dir := filepath.Join(tmp, "plugins")
	if out, err := exec.Command(bin, "plugins", "install", filepath.Join(tmp, "hello-plugin"), dir).CombinedOutput(); err != nil {
		t.Fatalf("plugins install: %v\n%s", err, out)
	}
	path := dir
	if p := os.Getenv(pluginhost.PathEnv); p != "" {
		path += string(os.PathListSeparator) + p
	}
	t.Setenv(pluginhost.PathEnv, path)
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "examples", "plugin-hello", "job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	job := strings.Replace(string(src), "device_type: ssh", "device_type: mustang", 1)
	if job == string(src) {
		t.Fatal("examples/plugin-hello/job.yaml no longer says device_type: ssh")
	}
	job += "- command:\n    name: power_off\n"
	f := filepath.Join(tmp, "hello-on-the-lab.yaml")
	if err := os.WriteFile(f, []byte(job), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// assertFounding checks one sub-job of the founding job: every result
// passes, and the cases of its role are there.
func assertFounding(t *testing.T, dir, sub string) {
	t.Helper()
	rs := readResults(t, dir)
	for _, r := range rs {
		if r.Result != "pass" {
			t.Errorf("%s: %s/%s = %s", sub, r.Suite, r.Name, r.Result)
		}
	}
	want := []string{"lava/job", "lava/multinode-sync-clients"}
	if strings.HasPrefix(sub, "guest") {
		want = append(want, "lava/1_ssh-client", "0_pre-smoke-tests/linux-uname", "2_post-smoke-tests/linux-uname")
	} else {
		want = append(want, "lava/0_ssh-inline", "lava/multinode-send-ipv4", "lava/multinode-send-lava_start", "1_smoke-tests/linux-uname")
	}
	assertPass(t, rs, want)
}

// group is the founding job run as one process per sub-job around a
// `lavacore coordinator` process.
type group struct {
	coordLog *syncBuffer
	procs    []*groupProc // host-3, guest-0, guest-1, guest-2
}

type groupProc struct {
	sub  string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan error
	err  error
}

func (p *groupProc) output() string { return p.out.String() }

// wait waits for the process (at most 20 minutes) and returns how it ended.
func (p *groupProc) wait() error {
	select {
	case err, ok := <-p.done:
		if ok {
			p.err = err
		}
	case <-time.After(20 * time.Minute):
		_ = p.cmd.Process.Kill()
		return fmt.Errorf("still running after 20 minutes")
	}
	return p.err
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func startGroup(t *testing.T, bin, labDir, out, jobID string) *group {
	t.Helper()
	addr := freeAddr(t)
	g := &group{coordLog: &syncBuffer{}}
	// the lab's coordinator secret: the coordinator and every run process read it
	secret := filepath.Join(t.TempDir(), "coordinator.secret")
	if err := os.WriteFile(secret, []byte("e2e-coordinator-secret-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	coord := exec.Command(bin, "coordinator", "--listen", addr, "--secret-file", secret)
	coord.Stdout, coord.Stderr = g.coordLog, g.coordLog
	if err := coord.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = coord.Process.Kill(); _ = coord.Wait() })
	for _, p := range []struct {
		sub  string
		args []string
	}{
		{"host-3", []string{"--role", "host"}},
		{"guest-0", []string{"--role", "guest", "--sub-id", "0"}},
		{"guest-1", []string{"--role", "guest", "--sub-id", "1"}},
		{"guest-2", []string{"--role", "guest", "--sub-id", "2"}},
	} {
		args := append([]string{"run", "examples/jobs/mustang-ssh-guest.yaml", "--lab", labDir,
			"--output-dir", filepath.Join(out, p.sub), "--coordinator", addr, "--coordinator-secret-file", secret, "--job-id", jobID}, p.args...)
		gp := &groupProc{sub: p.sub, cmd: exec.Command(bin, args...), out: &syncBuffer{}, done: make(chan error, 1)}
		gp.cmd.Dir = repoRoot(t)
		gp.cmd.Stdout, gp.cmd.Stderr = gp.out, gp.out
		if err := gp.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { gp.done <- gp.cmd.Wait(); close(gp.done) }()
		t.Cleanup(func() { _ = gp.cmd.Process.Kill(); _ = gp.wait() })
		g.procs = append(g.procs, gp)
	}
	return g
}

// freeAddr is a free 127.0.0.1 port.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func assertPass(t *testing.T, rs []result, want []string) {
	t.Helper()
	got := map[string]string{}
	for _, r := range rs {
		got[r.Suite+"/"+r.Name] = r.Result
	}
	for _, w := range want {
		if got[w] != "pass" {
			t.Errorf("%s = %q, want pass", w, got[w])
		}
	}
}

// ramdiskLavaSuite is the lava suite Debian's lava-run 2023.01 logged for
// single-node-ramdisk.yaml on the lab's board (17 of its 26 results; the
// other 9 are the two definitions' test cases), in lavacore's order: the
// overlay before the downloads, as LAVA HEAD's tftp-deploy runs them.
var ramdiskLavaSuite = []string{"validate",
	"test-overlay", "test-install-overlay", "test-runscript-overlay", "git-repo-action",
	"test-overlay", "test-install-overlay", "test-runscript-overlay",
	"http-download", "http-download", "pdu-reboot", "kernel-messages", "login-action",
	"0_smoke-inline", "1_smoke-tests", "power-off", "job"}

// assertLavaSuite checks the lava suite's result names, in order.
func assertLavaSuite(t *testing.T, rs []result, want []string) {
	t.Helper()
	var got []string
	for _, r := range rs {
		if r.Suite == "lava" {
			got = append(got, r.Name)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("lava suite\n%q\nwant (as LAVA 2023.01 logs it)\n%q", got, want)
	}
}

func tail(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 60 {
		lines = lines[len(lines)-60:]
	}
	return strings.Join(lines, "\n")
}
