// Command conbench measures the console engine as a whole process: it runs
// `cat FILE` on a pty and either reads it raw (-raw, the baseline) or waits
// through it with a pattern list, as the lava test shell does, printing
// matches, bytes and seconds.
//
//	go run ./core/console/internal/conbench -raw /tmp/console.log
//	go run ./core/console/internal/conbench /tmp/console.log
//
// With -runs N it compares, alternating within each run so that all see
// the same machine: cat read raw through a pty, the console engine, and
// (with -pexpect SCRIPT, core/console/testdata/pexpect_cat.py) Python's
// pexpect; it prints each run, the load average, and the medians and their
// ratios. -busy K starts K busy loops (sh -c 'while :; do :; done') for
// the measurement and kills them after. -write FILE writes the standard
// benchmark log (6.7 MB, 100,000 lines) first.
//
//	go run ./core/console/internal/conbench -write /tmp/console.log -runs 7 -busy 2 \
//	    -pexpect core/console/testdata/pexpect_cat.py /tmp/console.log
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/lavacore/lavacore/core/console"
	"github.com/lavacore/lavacore/core/console/internal/benchlog"
	"github.com/lavacore/lavacore/sdk"
)

var lists = map[string][]string{
	"signals":          benchlog.Signals,
	"testshell":        benchlog.TestShell,
	"testshell+kernel": benchlog.TestShellKernel,
}

func main() {
	raw := flag.Bool("raw", false, "read the pty raw (baseline)")
	logDir := flag.String("log", "", "also write the transcript here and split lines for the log")
	list := flag.String("patterns", "testshell+kernel", "pattern list: signals, testshell or testshell+kernel")
	runs := flag.Int("runs", 0, "compare cat, the console (and pexpect) this many times, alternating")
	busy := flag.Int("busy", 0, "busy loops to run beside the comparison")
	pexpect := flag.String("pexpect", "", "pexpect_cat.py, to compare with pexpect too")
	write := flag.String("write", "", "write the standard benchmark log to FILE first")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the whole run here")
	timeout := flag.Duration("timeout", time.Minute, "each Expect's timeout (0: none)")
	tracef := flag.String("trace", "", "write an execution trace of the whole run here")
	flag.Parse()
	if *tracef != "" {
		f, err := os.Create(*tracef)
		if err != nil {
			fail(err)
		}
		if err := trace.Start(f); err != nil {
			fail(err)
		}
		defer trace.Stop()
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
		defer pprof.StopCPUProfile()
	}
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: conbench [-raw] [-log DIR] [-patterns LIST] [-runs N [-busy K] [-pexpect SCRIPT]] [-write] FILE")
		os.Exit(2)
	}
	path := flag.Arg(0)
	if *write != "" {
		data, _ := benchlog.Log(benchlog.Lines, "\n") // the pty adds the \r
		if err := os.WriteFile(*write, data, 0o644); err != nil {
			fail(err)
		}
	}
	patterns, ok := lists[*list]
	if !ok {
		fail(fmt.Errorf("no pattern list %q", *list))
	}
	if *runs > 0 {
		compare(path, patterns, *timeout, *runs, *busy, *pexpect, *list)
		return
	}
	start := time.Now()
	var n, matches int
	var err error
	if *raw {
		n, err = readRaw(path)
	} else {
		matches, n, err = expect(path, patterns, *timeout, *logDir)
	}
	if err != nil {
		fail(err)
	}
	d := time.Since(start)
	fmt.Printf("matches %d bytes %d seconds %.3f MB/s %.1f\n", matches, n, d.Seconds(), float64(n)/d.Seconds()/1e6)
}

// readRaw reads `cat path` through a pty until EOF: the baseline.
func readRaw(path string) (int, error) {
	conn, err := console.Open(context.Background(), sdk.ConsoleSpec{Command: "cat " + path})
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	buf := make([]byte, 32<<10)
	n := 0
	for {
		k, err := conn.Read(buf)
		n += k
		if err != nil {
			return n, nil
		}
	}
}

// expect waits for patterns through `cat path` until the connection ends.
func expect(path string, patterns []string, timeout time.Duration, logDir string) (matches, n int, err error) {
	ctx := context.Background()
	opts := console.Options{Name: "bench", Dir: logDir}
	if logDir != "" {
		opts.Log = func(sdk.LogLevel, string) {}
	}
	c, err := console.Dial(ctx, sdk.ConsoleSpec{Command: "cat " + path}, opts)
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	for {
		m, err := c.Expect(ctx, patterns, timeout)
		if err != nil {
			if err.Error() != "Connection closed" {
				return 0, 0, err
			}
			return matches, n, nil
		}
		matches++
		n += len(m.Before) + len(m.Text)
	}
}

// sample is one measurement: wall time, CPU time (this process and the
// children it waited for: cat, python3) and this process's own CPU time.
// sw counts this process's context switches (voluntary: it waited;
// involuntary: it was preempted).
type sample struct {
	wall, cpu, self time.Duration
	sw, isw         int64
}

func measure(f func() error) sample {
	var r0, r1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
	c0, s0, t0 := cpuTime(), selfTime(), time.Now()
	if err := f(); err != nil {
		fail(err)
	}
	s := sample{time.Since(t0), cpuTime() - c0, selfTime() - s0, 0, 0}
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
	s.sw, s.isw = r1.Nvcsw-r0.Nvcsw, r1.Nivcsw-r0.Nivcsw
	return s
}

func compare(path string, patterns []string, timeout time.Duration, runs, busy int, script, list string) {
	var loops []*exec.Cmd
	for range busy {
		cmd := exec.Command("sh", "-c", "while :; do :; done")
		if err := cmd.Start(); err != nil {
			fail(err)
		}
		loops = append(loops, cmd)
	}
	defer func() {
		for _, cmd := range loops {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	if busy > 0 {
		time.Sleep(time.Second) // let the loops take their share
	}
	names := []string{"cat", "console"}
	if script != "" {
		names = append(names, "pexpect")
	}
	fmt.Printf("conbench: %s, patterns %s, %d busy loops, load %s\n", path, list, busy, loadavg())
	all := map[string][]sample{}
	want := ""
	for r := range runs {
		var line []string
		// Alternate the order too: whoever runs first sees the caches cold.
		order := slices.Clone(names)
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, name := range order {
			var s sample
			switch name {
			case "cat":
				s = measure(func() error { _, err := readRaw(path); return err })
			case "console":
				s = measure(func() error {
					m, n, err := expect(path, patterns, timeout, "")
					if err == nil {
						want = fmt.Sprintf("matches %d bytes %d\n", m, n)
					}
					return err
				})
			case "pexpect":
				s = measure(func() error {
					out, err := exec.Command("python3", append([]string{script, path}, patterns...)...).Output()
					if err != nil {
						return fmt.Errorf("%s: %v", script, err)
					}
					if string(out) != want && want != "" {
						return fmt.Errorf("pexpect: %q, console: %q", out, want)
					}
					return nil
				})
			}
			all[name] = append(all[name], s)
			line = append(line, fmt.Sprintf("%s %.1f ms (cpu %.1f, self %.1f, switches %d+%d)", name, ms(s.wall), ms(s.cpu), ms(s.self), s.sw, s.isw))
		}
		fmt.Printf("run %d: %s; load %s\n", r+1, strings.Join(line, ", "), loadavg())
	}
	med := map[string]float64{}
	for _, name := range names {
		var w, c, o []float64
		for _, s := range all[name] {
			w = append(w, ms(s.wall))
			c = append(c, ms(s.cpu))
			o = append(o, ms(s.self))
		}
		med[name] = median(w)
		fmt.Printf("median %s: %.1f ms wall, %.1f ms cpu (%.1f ms of it this process's)\n", name, med[name], median(c), median(o))
	}
	var ratios []float64
	for i := range all["cat"] {
		ratios = append(ratios, float64(all["console"][i].wall)/float64(all["cat"][i].wall))
	}
	fmt.Printf("console/cat: %.3f (medians), %.3f (median of the runs' ratios)\n", med["console"]/med["cat"], median(ratios))
	if script != "" {
		fmt.Printf("pexpect/console: %.2f\n", med["pexpect"]/med["console"])
	}
	fmt.Printf("load %s\n", loadavg())
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func cpuTime() time.Duration {
	var self, kids syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	return time.Duration(self.Utime.Nano() + self.Stime.Nano() + kids.Utime.Nano() + kids.Stime.Nano())
}

// selfTime is the CPU time (user and system) of this process.
func selfTime() time.Duration {
	var self syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	return time.Duration(self.Utime.Nano() + self.Stime.Nano())
}

// loadavg is the first three fields of /proc/loadavg.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "conbench:", err)
	os.Exit(1)
}
