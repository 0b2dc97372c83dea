package pipelinetest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lavacore/lavacore/core/pluginhost"
	"github.com/lavacore/lavacore/internal/plugintest"
)

// lavacoreBinary is $LAVACORE_BIN/lavacore with its plugins beside it (make
// bench builds them), else a fresh build of both into dir; "" when they do
// not build.
func lavacoreBinary(b testing.TB, dir string) string {
	if d := os.Getenv("LAVACORE_BIN"); d != "" {
		if p := filepath.Join(d, "lavacore"); fileExists(p) && fileExists(filepath.Join(d, "plugins")) {
			return p
		}
	}
	out := filepath.Join(dir, "lavacore")
	cmd := exec.Command("go", "build", "-o", out, "../../cmd/lavacore")
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Logf("go build ./cmd/lavacore: %v\n%s", err, msg)
		return ""
	}
	if err := plugintest.Build(filepath.Join(dir, "plugins")); err != nil {
		b.Logf("build the plugins: %v", err)
		return ""
	}
	return out
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// processBench runs `lavacore args…` as a fresh process per iteration, with
// only the plugins beside the binary.
func processBench(b *testing.B, args ...string) {
	bin := lavacoreBinary(b, b.TempDir())
	if bin == "" {
		b.Skip("cmd/lavacore does not build")
	}
	run := func() ([]byte, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), pluginhost.PathEnv+"=", "HOME="+b.TempDir())
		return cmd.CombinedOutput()
	}
	if out, err := run(); err != nil {
		b.Skipf("lavacore %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	b.ResetTimer()
	for b.Loop() {
		if out, err := run(); err != nil {
			b.Fatalf("lavacore %s: %v\n%s", args[0], err, out)
		}
	}
}

func seedAndLab(b *testing.B) (string, string) {
	seed, err := filepath.Abs(seedJob(b))
	if err != nil {
		b.Fatal(err)
	}
	lab, _ := filepath.Abs("../../examples/lab")
	return seed, lab
}

// BenchmarkProcessValidate is `lavacore validate` of the founding job, a
// fresh process reading the plugins' manifests (target ≤ 15 ms; no plugin starts).
func BenchmarkProcessValidate(b *testing.B) {
	seed, _ := seedAndLab(b)
	processBench(b, "validate", seed)
}

// BenchmarkProcessDescribe is `lavacore describe` of the founding job on the
// example lab, a fresh process starting the plugins the job uses (target ≤ 150 ms).
func BenchmarkProcessDescribe(b *testing.B) {
	seed, lab := seedAndLab(b)
	processBench(b, "describe", seed, "--lab", lab)
}

// BenchmarkBuiltinPluginStart is one of lavacore's own plugins started and
// handshaken (target ≤ 50 ms), then stopped (reported apart).
func BenchmarkBuiltinPluginStart(b *testing.B) {
	bin := lavacoreBinary(b, b.TempDir())
	if bin == "" {
		b.Skip("cmd/lavacore does not build")
	}
	cat := pluginhost.Scan([]string{filepath.Join(filepath.Dir(bin), "plugins")})
	var e *pluginhost.Entry
	for _, x := range cat.Entries {
		if x.Name == "tftp" {
			e = x
		}
	}
	if e == nil || !e.Usable() {
		b.Skipf("no usable tftp plugin in %v", cat.Dirs)
	}
	var starting, stopping time.Duration
	for b.Loop() {
		t0 := time.Now()
		p, err := pluginhost.Start(context.Background(), e.Binary, pluginhost.Options{})
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		p.Kill()
		starting += t1.Sub(t0)
		stopping += time.Since(t1)
	}
	b.ReportMetric(float64(starting.Microseconds())/1000/float64(b.N), "ms-start")
	b.ReportMetric(float64(stopping.Microseconds())/1000/float64(b.N), "ms-stop")
}

// BenchmarkBinarySizes reports the size of lavacore and of each plugin (MB).
func BenchmarkBinarySizes(b *testing.B) {
	bin := lavacoreBinary(b, b.TempDir())
	if bin == "" {
		b.Skip("cmd/lavacore does not build")
	}
	files := []string{bin}
	ps, _ := filepath.Glob(filepath.Join(filepath.Dir(bin), "plugins", pluginhost.Prefix+"*"))
	for _, p := range ps {
		if !strings.HasSuffix(p, pluginhost.ChecksumSuffix) && !strings.HasSuffix(p, pluginhost.ManifestSuffix) {
			files = append(files, p)
		}
	}
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(filepath.Base(f), func(b *testing.B) {
			for b.Loop() {
			}
			b.ReportMetric(float64(st.Size())/1e6, "MB")
		})
	}
}

// BenchmarkProcessDescribeMemory is the peak resident memory of the whole
// process tree of `lavacore describe` of the founding job (lavacore and the
// plugins it starts; the sum of their VmHWM, sampled every 2 ms), a proxy for
// a job's tree (scripts/treemem.sh measures any command).
func BenchmarkProcessDescribeMemory(b *testing.B) {
	seed, lab := seedAndLab(b)
	bin := lavacoreBinary(b, b.TempDir())
	if bin == "" {
		b.Skip("cmd/lavacore does not build")
	}
	var total, procs float64
	for b.Loop() {
		cmd := exec.Command(bin, "describe", seed, "--lab", lab)
		cmd.Env = append(os.Environ(), pluginhost.PathEnv+"=", "HOME="+b.TempDir())
		kb, n, err := treePeak(cmd)
		if err != nil {
			b.Fatal(err)
		}
		total += float64(kb) / 1024
		procs += float64(n)
	}
	b.ReportMetric(total/float64(b.N), "MB-tree")
	b.ReportMetric(procs/float64(b.N), "processes")
}

// treePeak runs cmd and returns the sum of the peak resident sets (kB) of
// every process of its tree, as last sampled, and how many there were.
func treePeak(cmd *exec.Cmd) (int, int, error) {
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	peak := map[int]int{}
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(2 * time.Minute)
	for {
		for _, pid := range descendants(cmd.Process.Pid) {
			if kb := vmHWM(pid); kb > peak[pid] {
				peak[pid] = kb
			}
		}
		select {
		case err := <-done:
			sum := 0
			for _, kb := range peak {
				sum += kb
			}
			return sum, len(peak), err
		case <-deadline:
			_ = cmd.Process.Kill()
			return 0, 0, fmt.Errorf("waiting for %v: still running after 2 minutes", cmd.Args)
		case <-tick.C:
		}
	}
}

// descendants is pid and every process under it.
func descendants(pid int) []int {
	out := []int{pid}
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, t := range tasks {
		raw, _ := os.ReadFile(t)
		for _, f := range strings.Fields(string(raw)) {
			if c, err := strconv.Atoi(f); err == nil {
				out = append(out, descendants(c)...)
			}
		}
	}
	return out
}

// vmHWM is a process's peak resident set in kB (0 when it is gone).
func vmHWM(pid int) int {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return kb
		}
	}
	return 0
}
