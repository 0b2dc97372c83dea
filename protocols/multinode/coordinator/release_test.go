package coordinator

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSyncRelease: n lavacore clients (push requests, HMAC proofs) of
// one group sync over loopback TCP. Every client but the last is held in
// its lava_sync (the coordinator has its arrival and its parked
// connection) before the last one sends its own, so what is measured is
// the release, not a backlog of arrivals: each client's latency is from
// the moment the last client starts sending its lava_sync (dial, proof,
// request) to the moment that client's Call returns the release. Reports
// p50 and p99 over every client of every iteration, and the process's CPU
// time (both sides, both cores) from the last arrival to the last release.
func BenchmarkSyncRelease(b *testing.B) {
	raiseNoFile()
	for _, n := range []int{2, 32, 256} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			srv := &Server{C: New(), Secret: testSecret}
			addr, err := srv.ListenAndServe("127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			var lat, cpu []time.Duration
			for it := 0; it < b.N; it++ {
				l, c, _ := syncOnce(b, inProcess{srv.C}, addr.String(), fmt.Sprintf("g%d", it), n)
				lat, cpu = append(lat, l...), append(cpu, c)
			}
			b.ReportMetric(ms(pct(lat, 50)), "p50-ms")
			b.ReportMetric(ms(pct(lat, 99)), "p99-ms")
			b.ReportMetric(ms(pct(cpu, 50)), "cpu-ms")
		})
	}
}

// coordinatorSide is what syncOnce needs to know of the coordinator it
// runs clients against.
type coordinatorSide interface {
	// parkedSyncs is how many clients of grp arrived at sync id and are
	// held (their connection parked).
	parkedSyncs(grp, id string) int
	// cpuTime is the coordinator's process's CPU time (0: this process).
	cpuTime() time.Duration
}

type inProcess struct{ c *Coordinator }

func (p inProcess) parkedSyncs(grp, id string) int { return parkedSyncs(p.c, grp, id) }
func (inProcess) cpuTime() time.Duration           { return 0 }

// syncOnce runs one group of n through group_data and a lava_sync; it
// returns each client's release latency, this process's CPU time from the
// last arrival to the last release (both sides if the coordinator is in
// this process) and the coordinator's process's CPU time in that time.
func syncOnce(b testing.TB, srv coordinatorSide, addr, grp string, n int) ([]time.Duration, time.Duration, time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	released := make([]time.Time, n)
	lastGo := make(chan struct{})
	var last time.Time
	var cpuAtLast time.Duration
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			cl := &TCP{Addr: addr, Secret: testSecret}
			base := Request{"group_name": grp, "client_name": fmt.Sprint(i), "role": "r", "group_size": float64(n)}
			r := copyAny(base)
			r["request"] = "group_data"
			if _, err := cl.Call(ctx, r); err != nil {
				b.Error(err)
				return
			}
			r = copyAny(base)
			r["request"], r["messageID"] = "lava_sync", "s"
			if i == n-1 {
				select {
				case <-lastGo:
				case <-ctx.Done():
					b.Error("the others did not all park their lava_sync")
					return
				}
				last, cpuAtLast = time.Now(), cpuTime()
			}
			if _, err := cl.Call(ctx, r); err != nil {
				b.Error(err)
			}
			released[i] = time.Now()
		}(i)
	}
	// The last client goes once every other one is held in its lava_sync.
	for srv.parkedSyncs(grp, "s") < n-1 {
		if ctx.Err() != nil {
			b.Fatalf("%s: the clients' lava_sync requests did not park within 60 s", grp)
		}
		time.Sleep(time.Millisecond)
	}
	srvBefore := srv.cpuTime()
	close(lastGo)
	wg.Wait()
	cpu := cpuTime() - cpuAtLast
	srvCPU := srv.cpuTime() - srvBefore
	lat := make([]time.Duration, n)
	for i, r := range released {
		lat[i] = r.Sub(last)
	}
	return lat, cpu, srvCPU
}

// parkedSyncs is how many clients of grp arrived at sync id and are held
// (their connection parked).
func parkedSyncs(c *Coordinator, grp, id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.groups[grp]
	if g == nil {
		return 0
	}
	return min(len(g.syncs[id]), len(g.parked))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pct is the p-th percentile of d.
func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[(len(s)-1)*p/100]
}
