package coordinator

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkSyncReleaseProcess is BenchmarkSyncRelease with the coordinator
// in its own process, as a lab runs it (the clients, 256 sub-jobs'
// dispatchers, in this one): besides p50 and p99 it reports the
// coordinator's CPU time per release (server-cpu-ms) and the clients'
// (client-cpu-ms), so the coordinator's share of a release is known apart
// from the benchmark's own 256 clients on the same two cores.
func BenchmarkSyncReleaseProcess(b *testing.B) {
	raiseNoFile()
	for _, n := range []int{32, 256} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			p := startCoordinatorProcess(b)
			var lat, cpu, srv []time.Duration
			for it := 0; it < b.N; it++ {
				l, c, s := syncOnce(b, p, p.addr, fmt.Sprintf("g%d", it), n)
				lat, cpu, srv = append(lat, l...), append(cpu, c), append(srv, s)
			}
			b.ReportMetric(ms(pct(lat, 50)), "p50-ms")
			b.ReportMetric(ms(pct(lat, 99)), "p99-ms")
			b.ReportMetric(ms(pct(srv, 50)), "server-cpu-ms")
			b.ReportMetric(ms(pct(cpu, 50)), "client-cpu-ms")
		})
	}
}

// TestCoordinatorProcess is the coordinator process of
// BenchmarkSyncReleaseProcess: it prints its address, then answers one
// command a line on stdin ("parked GROUP ID", "cpu") until stdin closes.
func TestCoordinatorProcess(t *testing.T) {
	if os.Getenv("LAVACORE_TEST_COORDINATOR_PROCESS") != "1" {
		t.Skip("the coordinator process of BenchmarkSyncReleaseProcess")
	}
	raiseNoFile()
	srv := &Server{C: New(), Secret: testSecret}
	addr, err := srv.ListenAndServe("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	fmt.Println(addr)
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		switch f := strings.Fields(sc.Text()); {
		case len(f) == 3 && f[0] == "parked":
			fmt.Println(parkedSyncs(srv.C, f[1], f[2]))
		case len(f) == 1 && f[0] == "cpu":
			fmt.Println(int64(cpuTime()))
		default:
			fmt.Println("?")
		}
	}
}

// coordinatorProcess is a coordinator in a child process (this test
// binary running TestCoordinatorProcess).
type coordinatorProcess struct {
	b    testing.TB
	addr string
	mu   sync.Mutex
	in   io.Writer
	out  *bufio.Reader
}

func startCoordinatorProcess(b testing.TB) *coordinatorProcess {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCoordinatorProcess$")
	cmd.Env = append(os.Environ(), "LAVACORE_TEST_COORDINATOR_PROCESS=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { in.Close(); cmd.Wait() })
	p := &coordinatorProcess{b: b, in: in, out: bufio.NewReader(out)}
	p.addr = p.line()
	return p
}

// line reads one line the child printed (it prints nothing else on stdout).
func (p *coordinatorProcess) line() string {
	s, err := p.out.ReadString('\n')
	if err != nil {
		p.b.Fatalf("coordinator process: %v", err)
	}
	return strings.TrimSpace(s)
}

func (p *coordinatorProcess) ask(cmd string) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.in, cmd)
	v, err := strconv.ParseInt(p.line(), 10, 64)
	if err != nil {
		p.b.Fatalf("coordinator process: %s: %v", cmd, err)
	}
	return v
}

func (p *coordinatorProcess) parkedSyncs(grp, id string) int {
	return int(p.ask("parked " + grp + " " + id))
}

func (p *coordinatorProcess) cpuTime() time.Duration { return time.Duration(p.ask("cpu")) }
