package coordinator

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkHeldClients: 8,192 lavacore clients (16 groups of 512) each hold
// a push lava_wait on the coordinator over loopback TCP. Reports what the
// process holds for them once every wait is parked (heap in use plus
// goroutine stacks, after a GC: MB, KB/client, stack-MB), the peak of heap
// in use plus stacks while they connect (garbage included, sampled every
// 5 ms: peak-MB) and the process's peak resident set (VmHWM, reset before
// the clients connect: peak-rss-MB). The clients are bare connections in
// the same process (some 0.4 KB each), so this is almost all the server's.
func BenchmarkHeldClients(b *testing.B) {
	raiseNoFile()
	const groups, size = 16, 512
	for it := 0; it < b.N; it++ {
		before, stackBefore := inUse()
		resetPeakRSS()
		stop := samplePeak()
		srv := &Server{C: New(), Secret: testSecret}
		addr, err := srv.ListenAndServe("127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		var conns []net.Conn
		for gi := 0; gi < groups; gi++ {
			for ci := 0; ci < size; ci++ {
				conn, err := net.Dial("tcp", addr.String())
				if err != nil {
					b.Fatal(err)
				}
				conns = append(conns, conn)
				r, err := Sign(testSecret, Request{"group_name": fmt.Sprintf("mem%d-%d", it, gi), "client_name": fmt.Sprint(ci),
					"role": "r", "hostname": "h", "group_size": float64(size), "request": "lava_wait", "messageID": "never",
					"push": true, "push_timeout": 600.0}, time.Now())
				if err != nil {
					b.Fatal(err)
				}
				if err := WriteFrame(conn, r); err != nil {
					b.Fatal(err)
				}
			}
		}
		deadline := time.Now().Add(60 * time.Second)
		for parkedAll(srv.C) < groups*size {
			if time.Now().After(deadline) {
				b.Fatalf("after 60 s, %d of %d clients are held", parkedAll(srv.C), groups*size)
			}
			time.Sleep(20 * time.Millisecond)
		}
		peak := stop()
		rss := peakRSS()
		after, stackAfter := inUse()
		held := after - before
		b.ReportMetric(float64(stackAfter-stackBefore)/(1<<20), "stack-MB")
		b.ReportMetric(float64(held)/(1<<20), "MB")
		b.ReportMetric(float64(held)/1024/float64(groups*size), "KB/client")
		b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
		b.ReportMetric(float64(rss)/(1<<20), "peak-rss-MB")
		b.ReportMetric(float64(runtime.NumGoroutine()), "goroutines")
		for _, c := range conns {
			c.Close()
		}
		srv.Close()
	}
}

func inUse() (all, stacks int64) {
	for range 4 {
		runtime.GC() // each GC may halve a parked goroutine's stack
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse + m.StackInuse), int64(m.StackInuse)
}

// samplePeak samples heap in use plus goroutine stacks every 5 ms until
// the returned function is called; that returns the largest sample.
func samplePeak() func() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/heap/stacks:bytes"}}
	var peak atomic.Uint64
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64() + s[1].Value.Uint64() + s[2].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-stopped
		return peak.Load()
	}
}

// resetPeakRSS resets the process's VmHWM to its current resident set.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS is the process's VmHWM in bytes (0 where /proc does not say).
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// parkedAll is how many held requests the coordinator has parked.
func parkedAll(c *Coordinator) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, g := range c.groups {
		n += len(g.parked)
	}
	return n
}
