package multinode

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/lavacore/lavacore/protocols/multinode/coordinator"
	"github.com/lavacore/lavacore/sdk"
)

// debianCoordinator starts Debian's lava-coordinator on a free port.
func debianCoordinator(t testing.TB) string {
	t.Helper()
	if os.Getenv("LAVACORE_LAB") != "1" {
		t.Skip("interop with Debian's lava-coordinator: set LAVACORE_LAB=1 after `make deps`")
	}
	bin, err := exec.LookPath("lava-coordinator")
	if err != nil {
		t.Skip("lava-coordinator is not installed (make deps)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir := t.TempDir()
	conf := filepath.Join(dir, "coordinator.conf")
	b, _ := json.Marshal(map[string]any{"port": port, "blocksize": 4096, "poll_delay": 1, "coordinator_hostname": "127.0.0.1"})
	if err := os.WriteFile(conf, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config", conf, "--logfile", filepath.Join(dir, "coordinator.log"), "--loglevel", "DEBUG")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("lava-coordinator did not listen on %s", addr)
	return ""
}

// TestInteropDebianCoordinator runs a host and two delayed-start guests with
// lavacore's protocol against Debian's lava-coordinator (LAVA's poll protocol).
func TestInteropDebianCoordinator(t *testing.T) {
	addr := debianCoordinator(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	group := fmt.Sprintf("interop-%d", time.Now().UnixNano())
	par := func(role string, sub int, extra map[string]any) map[string]any {
		p := map[string]any{"target_group": group, "role": role, "group_size": 3, "sub_id": sub, "timeout": map[string]any{"minutes": 1}}
		for k, v := range extra {
			p[k] = v
		}
		return p
	}
	var wg sync.WaitGroup
	for i, id := range []string{"501", "502"} {
		wg.Add(1)
		go func(i int, id string) {
			defer wg.Done()
			p := NewWith(nil)
			if err := p.Configure(ctx, sdk.ProtocolConfig{JobID: id, Coordinator: addr,
				Params: par("guest", i, map[string]any{"request": "lava-start", "expect_role": "host"})}); err != nil {
				t.Error(err)
				return
			}
			r, err := p.Call(ctx, map[string]any{"request": "lava-wait", "messageID": "ipv4"})
			if err != nil || fmt.Sprint(r["message"]) != "map[500:map[ipaddr:10.0.0.5]]" {
				t.Errorf("guest %s wait: %v %v", id, r, err)
			}
			if _, err := p.Call(ctx, map[string]any{"request": "lava-sync", "messageID": "clients"}); err != nil {
				t.Errorf("guest %s sync: %v", id, err)
			}
			if err := p.Finalize(ctx, true); err != nil {
				t.Errorf("guest %s finalize: %v", id, err)
			}
		}(i, id)
	}
	host := NewWith(nil)
	if err := host.Configure(ctx, sdk.ProtocolConfig{JobID: "500", Coordinator: addr, Params: par("host", 2, nil)}); err != nil {
		t.Fatal(err)
	}
	for _, req := range []map[string]any{
		{"request": "lava-send", "messageID": "ipv4", "message": map[string]any{"ipaddr": "10.0.0.5"}},
		{"request": "lava-send", "messageID": "lava_start"},
		{"request": "lava-sync", "messageID": "clients"},
	} {
		if _, err := host.Call(ctx, req); err != nil {
			t.Fatalf("host %v: %v", req["request"], err)
		}
	}
	if err := host.Finalize(ctx, true); err != nil {
		t.Error(err)
	}
	wg.Wait()
}

// TestSameRepliesAsDebian sends one transcript of raw LAVA frames to Debian's
// coordinator and to lavacore's, and compares every reply.
func TestSameRepliesAsDebian(t *testing.T) {
	debian := debianCoordinator(t)
	srv := &coordinator.Server{C: coordinator.New(), AllowUnauthenticated: true} // as --lava-listen serves LAVA's dispatchers
	a, err := srv.ListenAndServe("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ours := a.String()
	g := fmt.Sprintf("cmp-%d", time.Now().UnixNano())
	req := func(client, role, request string, kv ...any) coordinator.Request {
		r := coordinator.Request{"group_name": g, "client_name": client, "role": role, "request": request, "hostname": "w"}
		for i := 0; i+1 < len(kv); i += 2 {
			r[kv[i].(string)] = kv[i+1]
		}
		return r
	}
	steps := []coordinator.Request{
		req("1", "host", "group_data", "group_size", 2),
		req("2", "guest", "group_data", "group_size", 2),
		req("1", "host", "group_data", "group_size", 2),
		req("2", "guest", "lava_wait_all", "messageID", "lava_start", "waitrole", "host"),
		req("1", "host", "lava_wait_all", "messageID", "never"),
		req("2", "guest", "lava_wait", "messageID", "ipv4"),
		req("1", "host", "lava_send", "messageID", "ipv4", "message", map[string]any{"ipaddr": "10.0.0.5"}),
		req("2", "guest", "lava_wait", "messageID", "ipv4"),
		req("1", "host", "lava_send", "messageID", "lava_start", "message", map[string]any{}),
		req("2", "guest", "lava_wait_all", "messageID", "lava_start", "waitrole", "host"),
		req("1", "host", "lava_sync", "messageID", "s"),
		req("2", "guest", "lava_sync", "messageID", "s"),
		req("1", "host", "lava_sync", "messageID", "s"),
		req("2", "guest", "lava_sync", "messageID", "s"),
		req("1", "host", "clear_group", "group_size", 2),
		req("2", "guest", "clear_group", "group_size", 2),
		req("1", "host", "lava_send", "messageID", "x", "message", map[string]any{}),
	}
	ask := func(addr string, r coordinator.Request) string {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := coordinator.WriteFrame(c, r); err != nil {
			t.Fatal(err)
		}
		c.(*net.TCPConn).CloseWrite()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		m, err := coordinator.ReadFrame(c)
		if err != nil {
			return "error: " + err.Error()
		}
		delete(m, "error") // lavacore's nacks say why; LAVA's do not
		b, _ := json.Marshal(m)
		return string(b)
	}
	for i, s := range steps {
		d, o := ask(debian, s), ask(ours, s)
		if d != o {
			t.Errorf("step %d %s %v: Debian %s, lavacore %s", i, s["request"], s["messageID"], d, o)
		}
	}
}

// BenchmarkSyncReleaseDebian measures lava-sync release latency after the
// last arrival against Debian's lava-coordinator, polled as LAVA's dispatcher
// does (poll_delay 1 s), beside coordinator.BenchmarkSyncRelease (push).
func BenchmarkSyncReleaseDebian(b *testing.B) {
	if os.Getenv("LAVACORE_LAB") != "1" {
		b.Skip("set LAVACORE_LAB=1 after make deps")
	}
	if _, err := exec.LookPath("lava-coordinator"); err != nil {
		b.Skip("lava-coordinator is not installed")
	}
	for _, n := range []int{2, 32} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			addr := debianCoordinator(b)
			var lat []time.Duration
			for it := 0; it < b.N; it++ {
				grp := fmt.Sprintf("d%d-%d-%d", n, it, time.Now().UnixNano())
				ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
				var wg sync.WaitGroup
				var mu sync.Mutex
				var last time.Time
				rel := make([]time.Time, n)
				for i := 0; i < n; i++ {
					wg.Add(1)
					go func(i int) {
						defer wg.Done()
						cl := &coordinator.TCP{Addr: addr, Poll: true, PollDelay: time.Second}
						base := coordinator.Request{"group_name": grp, "client_name": fmt.Sprint(i), "role": "r", "group_size": n, "hostname": "w"}
						r := map[string]any{}
						for k, v := range base {
							r[k] = v
						}
						r["request"] = "group_data"
						if _, err := cl.Call(ctx, r); err != nil {
							b.Error(err)
							return
						}
						r["request"], r["messageID"] = "lava_sync", "s"
						mu.Lock()
						if now := time.Now(); now.After(last) {
							last = now
						}
						mu.Unlock()
						if _, err := cl.Call(ctx, r); err != nil {
							b.Error(err)
						}
						rel[i] = time.Now()
					}(i)
				}
				wg.Wait()
				cancel()
				for _, r := range rel {
					lat = append(lat, r.Sub(last))
				}
			}
			sortDur(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
			b.ReportMetric(float64(lat[(len(lat)-1)*99/100].Milliseconds()), "p99-ms")
		})
	}
}

func sortDur(d []time.Duration) {
	for i := 1; i < len(d); i++ {
		for j := i; j > 0 && d[j] < d[j-1]; j-- {
			d[j], d[j-1] = d[j-1], d[j]
		}
	}
}
