package console

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/lavacore/lavacore/core/console/internal/benchlog"
)

// TestShellPatterns are the test shell's and kernel-message patterns:
// ten patterns as LAVA waits for them while a test runs.
var TestShellPatterns = benchlog.TestShellKernel

// consoleLog returns a console log of n lines (about 67 bytes each), a
// third of them LAVA signals, ending with the runner's exit.
func consoleLog(n int) ([]byte, int) { return benchlog.Log(n, "\r\n") }

// RunPatterns is the list plugins/testshell/run.go waits for while the
// test shell runs (sdk/overlay's PatternExit, PatternInstallFail,
// PatternSignal, PatternMultiNode).
var RunPatterns = benchlog.TestShell

// benchLists are the pattern lists the pty benchmarks wait for.
var benchLists = []struct {
	name     string
	patterns []string
}{
	{"signals", benchlog.Signals},
	{"testshell", RunPatterns},
	{"testshell+kernel", TestShellPatterns},
}

func drain(tb testing.TB, c *Console, want int) {
	drainWith(tb, c, TestShellPatterns, want)
}

// drainWith waits for patterns until the connection closes and checks the
// number of matches; it returns the bytes consumed (before + match).
func drainWith(tb testing.TB, c *Console, patterns []string, want int) int {
	ctx := context.Background()
	got, n := 0, 0
	for {
		m, err := c.Expect(ctx, patterns, time.Minute)
		if err != nil {
			if err.Error() != "Connection closed" {
				tb.Fatal(err)
			}
			break
		}
		got++
		n += len(m.Before) + len(m.Text)
	}
	if got != want {
		tb.Fatalf("%d matches, want %d", got, want)
	}
	return n
}

// BenchmarkExpectThroughput: MB/s of console data scanned with ten
// patterns, from memory (no transport cost).
func BenchmarkExpectThroughput(b *testing.B) {
	data, signals := consoleLog(benchlog.Lines)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		c, _ := New(&sliceConn{data: data, n: 32 << 10}, Options{})
		drain(b, c, signals)
		c.Close()
	}
}

// BenchmarkExpectLists: BenchmarkExpectThroughput for each pattern list of
// the pty benchmarks.
func BenchmarkExpectLists(b *testing.B) {
	data, signals := consoleLog(benchlog.Lines)
	for _, l := range benchLists {
		b.Run(l.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				c, _ := New(&sliceConn{data: data, n: 32 << 10}, Options{})
				drainWith(b, c, l.patterns, signals)
				c.Close()
			}
		})
	}
}

// BenchmarkExpectThroughputLogged adds line logging and the transcript.
func BenchmarkExpectThroughputLogged(b *testing.B) {
	data, signals := consoleLog(benchlog.Lines)
	dir := b.TempDir()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		lines := 0
		c, _ := New(&sliceConn{data: data, n: 32 << 10}, Options{Dir: dir, Log: func(_ sdkLevel, _ string) { lines++ }})
		drain(b, c, signals)
		c.Close()
	}
}

// BenchmarkPtyCat is the baseline: `cat` of the 6.7 MB log through a pty,
// read raw until EOF.
func BenchmarkPtyCat(b *testing.B) {
	path, data, _ := writeLog(b)
	b.SetBytes(int64(len(data)))
	buf := make([]byte, 32<<10)
	cpu := cpuTime()
	for b.Loop() {
		conn, err := OpenCommand(context.Background(), "cat "+path)
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := conn.Read(buf); err != nil {
				break
			}
		}
		conn.Close()
	}
	reportCPU(b, cpu)
}

// BenchmarkPtyCatExpect is the same `cat` through a Console waiting for
// the test shell's patterns (testshell: plugins/testshell's list;
// testshell+kernel: ten patterns, kernel messages too) as the test shell
// does (whole process: pty, reader, expect, no logging).
func BenchmarkPtyCatExpect(b *testing.B) {
	path, data, signals := writeLog(b)
	for _, l := range benchLists {
		b.Run(l.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			cpu := cpuTime()
			for b.Loop() {
				c, err := Dial(context.Background(), sdkSpec("cat "+path), Options{})
				if err != nil {
					b.Fatal(err)
				}
				drainWith(b, c, l.patterns, signals)
				c.Close()
			}
			reportCPU(b, cpu)
		})
	}
}

// BenchmarkPexpectCat is the reference LAVA sets: Python's pexpect
// (testdata/pexpect_cat.py) spawning the same `cat` on a pty and looping
// expect() over the same pattern lists until EOF. It checks that pexpect
// and a Console find the same matches and consume the same bytes. Skipped
// without python3-pexpect (scripts/deps.d/console.apt).
func BenchmarkPexpectCat(b *testing.B) {
	if err := exec.Command("python3", "-c", "import pexpect").Run(); err != nil {
		b.Skip("python3-pexpect is not installed (scripts/deps.d/console.apt)")
	}
	script, err := filepath.Abs(filepath.Join("testdata", "pexpect_cat.py"))
	if err != nil {
		b.Fatal(err)
	}
	path, data, signals := writeLog(b)
	for _, l := range benchLists {
		b.Run(l.name, func(b *testing.B) {
			// What the Console finds, to compare (not timed).
			c, err := Dial(context.Background(), sdkSpec("cat "+path), Options{})
			if err != nil {
				b.Fatal(err)
			}
			n := drainWith(b, c, l.patterns, signals)
			c.Close()
			want := fmt.Sprintf("matches %d bytes %d\n", signals, n)
			b.SetBytes(int64(len(data)))
			cpu := cpuTime()
			for b.Loop() {
				out, err := exec.Command("python3", append([]string{script, path}, l.patterns...)...).Output()
				if err != nil {
					b.Fatalf("pexpect_cat.py: %v\n%s", err, out)
				}
				if string(out) != want {
					b.Fatalf("pexpect: %q, console: %q", out, want)
				}
			}
			reportCPU(b, cpu)
		})
	}
}

// cpuTime is the CPU time (user and system) of this process and of its
// children waited for (cat, python3): on a loaded machine it says more
// about the work done than ns/op.
func cpuTime() time.Duration {
	var self, kids syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	return time.Duration(self.Utime.Nano() + self.Stime.Nano() + kids.Utime.Nano() + kids.Stime.Nano())
}

// reportCPU reports the CPU time per op since since (cpuTime).
func reportCPU(b *testing.B, since time.Duration) {
	b.ReportMetric(float64(cpuTime()-since)/float64(b.N), "cpu-ns/op")
}

func writeLog(b *testing.B) (string, []byte, int) {
	// cat through a pty turns \n into \r\n: write \n line ends.
	data, signals := benchlog.Log(benchlog.Lines, "\n")
	path := filepath.Join(b.TempDir(), "console.log")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	return path, data, signals
}

// BenchmarkRoundTrip: SendLine then Expect of the answer over a pipe.
func BenchmarkRoundTrip(b *testing.B) {
	a, dev := net.Pipe()
	c, _ := New(pipeConn{a}, Options{})
	defer c.Close()
	go func() {
		buf := make([]byte, 64)
		for {
			n, err := dev.Read(buf)
			if err != nil {
				return
			}
			if buf[n-1] == '\n' {
				dev.Write([]byte("pong\r\n# "))
			}
		}
	}()
	ctx := context.Background()
	for b.Loop() {
		if err := c.SendLine(ctx, "ping"); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Expect(ctx, []string{`# `}, time.Second); err != nil {
			b.Fatal(err)
		}
	}
	dev.Close()
	_ = io.EOF
}
