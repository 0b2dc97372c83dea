package multinode

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lavacore/lavacore/protocols/multinode/coordinator"
	"github.com/lavacore/lavacore/sdk"
)

func params(role string, sub int, extra map[string]any) map[string]any {
	p := map[string]any{"target_group": "grp", "role": role, "group_size": 3, "sub_id": sub,
		"timeout": map[string]any{"minutes": 1}}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

// TestDelayedStartAndMessages: guests wait for lava_start, then receive the
// host's ipv4 message; everyone syncs.
func TestDelayedStartAndMessages(t *testing.T) {
	c := coordinator.New()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	guest := map[string]any{"request": "lava-start", "expect_role": "host", "connection": "ssh", "host_role": "host"}
	var wg sync.WaitGroup
	started := make(chan string, 3)
	for i, id := range []string{"11", "12"} {
		wg.Add(1)
		go func(i int, id string) {
			defer wg.Done()
			p := NewWith(c)
			if err := p.Configure(ctx, sdk.ProtocolConfig{JobID: id, Params: params("guest", i, guest)}); err != nil {
				t.Error(err)
				return
			}
			started <- id
			r, err := p.Call(ctx, map[string]any{"request": "lava-wait", "messageID": "ipv4"})
			if err != nil || r["message"].(map[string]any)["10"].(map[string]any)["ipaddr"] != "10.0.0.5" {
				t.Errorf("guest %s wait: %v %v", id, r, err)
			}
			if _, err := p.Call(ctx, map[string]any{"request": "lava-sync", "messageID": "clients"}); err != nil {
				t.Error(err)
			}
			_ = p.Finalize(ctx, true)
		}(i, id)
	}
	host := NewWith(c)
	if err := host.Configure(ctx, sdk.ProtocolConfig{JobID: "10", Params: params("host", 2, nil)}); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-started:
		t.Fatalf("guest %s started before lava_start", id)
	case <-time.After(100 * time.Millisecond):
	}
	if _, err := host.Call(ctx, map[string]any{"request": "lava-send", "messageID": "ipv4", "message": map[string]any{"ipaddr": "10.0.0.5"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := host.Call(ctx, map[string]any{"request": "lava-send", "messageID": "lava_start"}); err != nil {
		t.Fatal(err)
	}
	if _, err := host.Call(ctx, map[string]any{"request": "lava-sync", "messageID": "clients"}); err != nil {
		t.Fatal(err)
	}
	_ = host.Finalize(ctx, true)
	wg.Wait()
}

// TestFailedHostReleasesGuests: a host that fails makes the guests' delayed
// start fail within seconds, naming it.
func TestFailedHostReleasesGuests(t *testing.T) {
	c := coordinator.New()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	guest := map[string]any{"request": "lava-start", "expect_role": "host"}
	errs := make(chan error, 2)
	for i, id := range []string{"21", "22"} {
		go func(i int, id string) {
			p := NewWith(c)
			errs <- p.Configure(ctx, sdk.ProtocolConfig{JobID: id, Params: params("guest", i, guest)})
		}(i, id)
	}
	host := NewWith(c)
	if err := host.Configure(ctx, sdk.ProtocolConfig{JobID: "20", Params: params("host", 2, nil)}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_ = host.Finalize(ctx, false)
	for i := 0; i < 2; i++ {
		err := <-errs
		if err == nil || !strings.Contains(err.Error(), "20 (host)") {
			t.Errorf("guest error %v does not name the failed host", err)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("guests released after %s", d)
	}
}

func TestBadCalls(t *testing.T) {
	p := NewWith(coordinator.New())
	ctx := context.Background()
	if _, err := p.Call(ctx, map[string]any{"request": "lava-send"}); err == nil {
		t.Error("call before Configure accepted")
	}
	err := p.Configure(ctx, sdk.ProtocolConfig{JobID: "1", Params: params("host", 0, map[string]any{"group_size": 1, "request": "lava-start", "expect_role": "host"})})
	if err == nil || !strings.Contains(err.Error(), "expect_role must not match") {
		t.Errorf("lava-start on own role: %v", err)
	}
}
