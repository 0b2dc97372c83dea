package coordinator

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func raiseNoFile() {
	var r syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r) == nil && r.Cur < 8192 {
		r.Cur = min(r.Max, 8192)
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r)
	}
}

// BenchmarkConcurrentClients: 1,024 clients register with one group at once
// over loopback TCP; reports the connection errors (target 0).
func BenchmarkConcurrentClients(b *testing.B) {
	raiseNoFile()
	srv := &Server{C: New(), Secret: testSecret}
	srv.C.Limits.MaxGroupSize = 1024
	addr, err := srv.ListenAndServe("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	const n = 1024
	var errs atomic.Int64
	for it := 0; it < b.N; it++ {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				cl := &TCP{Addr: addr.String(), Secret: testSecret}
				r := Request{"group_name": fmt.Sprintf("c%d", it), "client_name": fmt.Sprint(i), "role": "r",
					"group_size": float64(n), "request": "group_data"}
				if _, err := cl.once(ctx, r, true); err != nil {
					errs.Add(1)
				}
			}(i)
		}
		wg.Wait()
		cancel()
	}
	b.ReportMetric(float64(errs.Load())/float64(b.N), "conn-errors/op")
}

// BenchmarkRequests: sequential lava_send requests over loopback TCP, one
// connection each (LAVA's protocol).
func BenchmarkRequests(b *testing.B) {
	srv := &Server{C: New(), AllowUnauthenticated: true} // LAVA's clients
	addr, err := srv.ListenAndServe("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	cl := &TCP{Addr: addr.String(), Poll: true}
	ctx := context.Background()
	base := Request{"group_name": "rps", "client_name": "1", "role": "r", "group_size": 1.0, "request": "group_data"}
	if _, err := cl.Call(ctx, base); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		r := Request{"group_name": "rps", "client_name": "1", "role": "r", "request": "lava_send", "messageID": "m",
			"message": map[string]any{"i": float64(i)}}
		if _, err := cl.Call(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}
