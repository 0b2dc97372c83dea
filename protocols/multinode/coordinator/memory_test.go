package coordinator

import (
	"fmt"
	"net"
	"runtime"
	"testing"
	"time"
)

// BenchmarkHeldClients: 8,192 lavacore clients (16 groups of 512) each hold
// a push lava_wait on the coordinator over loopback TCP; reports what the
// process holds for them once every wait is parked (heap in use plus
// goroutine stacks, after a GC), in MB and in KB per client. The clients are
// bare connections, so this is almost all the server's.
func BenchmarkHeldClients(b *testing.B) {
	raiseNoFile()
	const groups, size = 16, 512
	for it := 0; it < b.N; it++ {
		before, stackBefore := inUse()
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
		for registered(srv.C) < groups*size {
			if time.Now().After(deadline) {
				b.Fatalf("after 60 s, %d of %d clients registered", registered(srv.C), groups*size)
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // every wait parks
		after, stackAfter := inUse()
		held := after - before
		b.ReportMetric(float64(stackAfter-stackBefore)/(1<<20), "stack-MB")
		b.ReportMetric(float64(held)/(1<<20), "MB")
		b.ReportMetric(float64(held)/1024/float64(groups*size), "KB/client")
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

func registered(c *Coordinator) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, g := range c.groups {
		n += len(g.clients)
	}
	return n
}
