package coordinator

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

func req(client, role, request string, kv ...any) Request {
	r := Request{"group_name": "grp-a", "client_name": client, "role": role, "request": request, "hostname": "w1"}
	for i := 0; i+1 < len(kv); i += 2 {
		r[kv[i].(string)] = kv[i+1]
	}
	return r
}

func js(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestLAVATranscript replays the transcript verified against LAVA's
// lava-coordinator (lava-multinode.md §2.7): same requests, same replies.
func TestLAVATranscript(t *testing.T) {
	c := New()
	steps := []struct {
		r    Request
		want string
	}{
		{req("100", "host", "group_data", "group_size", 3.0), `{"response":"wait"}`},
		{req("101", "guest", "group_data", "group_size", 3.0), `{"response":"wait"}`},
		{req("102", "guest", "group_data", "group_size", 3.0), `{"response":"group_data","roles":{"100":"host","101":"guest","102":"guest"}}`},
		{req("100", "host", "group_data", "group_size", 3.0), `{"response":"group_data","roles":{"100":"host","101":"guest","102":"guest"}}`},
		{req("101", "guest", "lava_wait_all", "messageID", "lava_start", "waitrole", "host"), `{"response":"wait"}`},
		{req("100", "host", "lava_wait_all", "messageID", "X"), `{"response":"nack"}`},
		{req("100", "host", "lava_wait", "messageID", "ipv4"), `{"response":"wait"}`},
		{req("100", "host", "lava_send", "messageID", "ipv4", "message", map[string]any{"ipaddr": "10.0.0.5"}), `{"response":"ack"}`},
		{req("101", "guest", "lava_wait", "messageID", "ipv4"), `{"message":{"100":{"ipaddr":"10.0.0.5"}},"response":"ack"}`},
		{req("100", "host", "lava_send", "messageID", "lava_start", "message", map[string]any{}), `{"response":"ack"}`},
		{req("101", "guest", "lava_wait_all", "messageID", "lava_start", "waitrole", "host"), `{"message":{"100":{}},"response":"ack"}`},
		{req("100", "host", "lava_wait_all", "messageID", "ipv4"), `{"response":"wait"}`},
		{req("100", "host", "lava_sync", "messageID", "clients"), `{"response":"wait"}`},
		{req("101", "guest", "lava_sync", "messageID", "clients"), `{"response":"wait"}`},
		{req("102", "guest", "lava_sync", "messageID", "clients"), `{"response":"wait"}`},
		{req("100", "host", "lava_sync", "messageID", "clients"), `{"message":"clients","response":"ack"}`},
		{req("101", "guest", "lava_sync", "messageID", "clients"), `{"message":"clients","response":"ack"}`},
		{req("102", "guest", "lava_sync", "messageID", "clients"), `{"message":"clients","response":"ack"}`},
		{req("102", "guest", "lava_sync", "messageID", "clients"), `{"response":"wait"}`},
		{req("100", "host", "lava-send", "messageID", "x"), `nack`},
		{req("100", "host", "clear_group", "group_size", 3.0), `{"response":"ack"}`},
		{req("101", "guest", "clear_group", "group_size", 3.0), `{"response":"ack"}`},
		{req("102", "guest", "clear_group", "group_size", 3.0), `{"response":"ack"}`},
		{req("100", "host", "lava_send", "messageID", "x", "message", map[string]any{}), `nack`},
	}
	for i, s := range steps {
		got := c.Handle(s.r)
		if s.want == "nack" {
			if got["response"] != "nack" {
				t.Errorf("step %d %s: got %s, want a nack", i, s.r["request"], js(got))
			}
			continue
		}
		if js(got) != s.want {
			t.Errorf("step %d %s %v: got %s, want %s", i, s.r["request"], s.r["messageID"], js(got), s.want)
		}
	}
}

func TestUnknownWaitRoleDoesNotCrash(t *testing.T) {
	c := New()
	c.Handle(req("1", "a", "group_data", "group_size", 1.0))
	c.Handle(req("1", "a", "lava_send", "messageID", "m", "message", map[string]any{}))
	r := c.Handle(req("1", "a", "lava_wait_all", "messageID", "m", "waitrole", "nosuch"))
	if r["response"] != "nack" || !strings.Contains(fmt.Sprint(r["error"]), "nosuch") {
		t.Fatalf("got %v", r)
	}
	if r := c.Handle(Request{"request": "lava_send"}); r["response"] != "nack" {
		t.Fatalf("missing group_name: %v", r)
	}
}

// TestPushSyncReleasesAll: N clients sync through Wait; all return once the last arrives.
func TestPushSyncReleasesAll(t *testing.T) {
	for _, n := range []int{2, 32} {
		c := New()
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				id := fmt.Sprint(i)
				base := Request{"group_name": "g", "client_name": id, "role": "r", "group_size": float64(n)}
				r := copyAny(base)
				r["request"] = "group_data"
				if _, err := c.Wait(ctx, r); err != nil {
					errs <- err
					return
				}
				r = copyAny(base)
				r["request"], r["messageID"] = "lava_sync", "s"
				got, err := c.Wait(ctx, r)
				if err != nil || got["message"] != "s" {
					errs <- fmt.Errorf("client %s: %v %v", id, got, err)
				}
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}
}

func TestDeadPeerFailsWaiters(t *testing.T) {
	c := New()
	for _, cl := range []string{"host", "guest"} {
		c.Handle(Request{"group_name": "g", "client_name": cl, "role": cl, "request": "group_data", "group_size": 2.0})
	}
	// The guest's lava_wait has been answered "wait": it waits from now on.
	waiting := make(chan struct{})
	var once sync.Once
	c.Logf = func(format string, a ...any) {
		if line := fmt.Sprintf(format, a...); strings.Contains(line, `client "guest" "lava_wait" "ipv4"`) && strings.HasSuffix(line, "-> wait") {
			once.Do(func() { close(waiting) })
		}
	}
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := c.Wait(ctx, Request{"group_name": "g", "client_name": "guest", "role": "guest", "request": "lava_wait", "messageID": "ipv4"})
		done <- err
	}()
	select {
	case <-waiting:
	case err := <-done:
		t.Fatalf("the guest's wait ended before the peer failed: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("timed out after 10s waiting for the guest's lava_wait to be answered \"wait\"")
	}
	c.Handle(Request{"group_name": "g", "client_name": "host", "role": "host", "request": "lavacore_fail", "reason": "kernel panic"})
	// Released by the failure at once; Wait's own periodic re-check is 5 s,
	// so a release within 10 s may be that re-check on a loaded machine:
	// the error must name the dead peer either way.
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "host (host): kernel panic") {
			t.Fatalf("error %v does not name the dead peer", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("timed out after 10s waiting for the peer's failure to release the waiter")
	}
}

func TestWaitTimeoutNamesWhoIsMissing(t *testing.T) {
	c := New()
	for _, cl := range []string{"1", "2"} {
		c.Handle(Request{"group_name": "g", "client_name": cl, "role": "r" + cl, "request": "group_data", "group_size": 2.0})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Wait(ctx, Request{"group_name": "g", "client_name": "1", "role": "r1", "request": "lava_sync", "messageID": "clients"})
	if err == nil || !strings.Contains(err.Error(), "lava_sync clients") || !strings.Contains(err.Error(), "not arrived: [2 (r2)]") {
		t.Fatalf("timeout error: %v", err)
	}
}

func TestServerPollAndPush(t *testing.T) {
	srv := &Server{C: New(), Secret: testSecret}
	addr, err := srv.ListenAndServe("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	push, err := Detect(ctx, addr.String())
	if err != nil || push.Poll || !push.AuthRequired {
		t.Fatalf("detect: %v poll=%v", err, push != nil && push.Poll)
	}
	push.Secret = testSecret
	poll := &TCP{Addr: addr.String(), Poll: true, PollDelay: 20 * time.Millisecond, Secret: testSecret}
	var wg sync.WaitGroup
	for i, cl := range []Client{push, poll} {
		wg.Add(1)
		go func(i int, cl Client) {
			defer wg.Done()
			base := Request{"group_name": "g", "client_name": fmt.Sprint(i), "role": "r", "group_size": 2.0}
			r := copyAny(base)
			r["request"] = "group_data"
			if _, err := cl.Call(ctx, r); err != nil {
				t.Error(err)
				return
			}
			r = copyAny(base)
			r["request"], r["messageID"] = "lava_sync", "s"
			if got, err := cl.Call(ctx, r); err != nil || got["message"] != "s" {
				t.Errorf("client %d sync: %v %v", i, got, err)
			}
		}(i, cl)
	}
	wg.Wait()
}

func TestServerSurvivesHostileFrames(t *testing.T) {
	srv := &Server{C: New(), ReadTimeout: 200 * time.Millisecond}
	addr, err := srv.ListenAndServe("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, junk := range []string{"", "zzzzzzzz{}", "FFFFFFFF", "00000005{", "00000002[]", "0000000A{\"a\":1}xx", "00000004null"} {
		conn, err := net.Dial("tcp", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		conn.Write([]byte(junk))
		conn.(*net.TCPConn).CloseWrite()
		buf := make([]byte, 100)
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		conn.Read(buf)
		conn.Close()
	}
	// Still serving.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := Detect(ctx, addr.String()); err != nil {
		t.Fatal(err)
	}
}

func FuzzFrame(f *testing.F) {
	f.Add([]byte(`00000013{"response": "ack"}`))
	f.Add([]byte(`0000002D{"request":"lava_send","group_name":"g","x":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadFrame(strings.NewReader(string(data)))
		if err == nil {
			New().Handle(m)
		}
	})
}
