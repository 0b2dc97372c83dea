package multinode

// Ports of the protocol-side cases of LAVA's tests/lava_dispatcher/test_multinode.py
// (lava-multinode.md §7.2) and of the test-shell API of §3.3: what the
// dispatcher sends for each lava-send / lava-wait / lava-wait-all / lava-sync,
// the reply it types back to the test shell, and how its calls time out.
// LAVA's cases are read for behaviour only; these tests are lavacore's own.
// Each runs on the embedded coordinator and on lavacore's over TCP.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lavacore/lavacore/protocols/multinode/coordinator"
	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/overlay"
	"github.com/lavacore/lavacore/sdk/overlay/signals"
)

// member is one sub-job of a test group.
type member struct {
	id, role string
	extra    map[string]any // protocol parameters beside target_group, role, group_size
}

// transports runs f once per way of reaching a coordinator.
func transports(t *testing.T, f func(t *testing.T, newProto func() *Protocol, coordAddr string)) {
	t.Run("embedded", func(t *testing.T) {
		c := coordinator.New()
		f(t, func() *Protocol { return NewWith(c).(*Protocol) }, "")
	})
	t.Run("tcp", func(t *testing.T) {
		f(t, func() *Protocol { return NewWith(nil).(*Protocol) }, lavacoreCoordinator(t))
	})
}

// configureAll registers every member concurrently (group_data waits for the
// whole group) and returns their protocols, in the members' order.
func configureAll(t *testing.T, ctx context.Context, newProto func() *Protocol, addr, group string, ms ...member) []*Protocol {
	t.Helper()
	ps := make([]*Protocol, len(ms))
	errs := make([]error, len(ms))
	var wg sync.WaitGroup
	for i, m := range ms {
		ps[i] = newProto()
		par := map[string]any{"target_group": group, "role": m.role, "group_size": len(ms), "sub_id": i}
		for k, v := range m.extra {
			par[k] = v
		}
		wg.Add(1)
		go func(i int, par map[string]any) {
			defer wg.Done()
			errs[i] = ps[i].Configure(ctx, sdk.ProtocolConfig{JobID: ms[i].id, Coordinator: addr, Params: par})
		}(i, par)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("configuring %s: %v", ms[i].id, err)
		}
	}
	t.Cleanup(func() {
		for _, p := range ps {
			_ = p.Finalize(context.Background(), true)
		}
	})
	return ps
}

func errType(err error) sdk.ErrorType {
	var se *sdk.Error
	if errors.As(err, &se) {
		return se.Type
	}
	return ""
}

// TestLAVAProtocolBadCalls ports test_multinode.py's TestProtocol cases: the
// dispatcher refuses a bad call before anything reaches the coordinator.
func TestLAVAProtocolBadCalls(t *testing.T) {
	transports(t, func(t *testing.T, newProto func() *Protocol, addr string) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		p := configureAll(t, ctx, newProto, addr, "bad-calls", member{id: "100", role: "client"})[0]
		cases := []struct {
			name string
			req  map[string]any
			typ  sdk.ErrorType
			msg  string
		}{
			// ports test_multinode.py: TestProtocol.test_empty_data
			{"test_empty_data", nil, sdk.Job, "No data to be sent over protocol lava-multinode"},
			{"test_empty_data (empty map)", map[string]any{}, sdk.Job, "No data to be sent"},
			// ports test_multinode.py: TestProtocol.test_missing_request
			{"test_missing_request", map[string]any{"None": ""}, sdk.Job, "Bad API call over protocol - missing request"},
			// ports test_multinode.py: TestProtocol.test_fail_aggregation
			{"test_fail_aggregation", map[string]any{"request": "aggregate"}, sdk.Job, "Pipeline submission has not been implemented."},
			// ports test_multinode.py: TestProtocol.test_unsupported_request
			{"test_unsupported_request", map[string]any{"request": "unsupported", "port": 3, "blocksize": 8, "messageID": 7}, sdk.Test, "Unsupported api call: unsupported"},
			// ports test_multinode.py: TestProtocol.test_lava_send_too_long.
			// DELIBERATE DIFFERENCE: the limit is coordinator.MaxFrame (1 MiB),
			// not LAVA's 0xFFFE characters.
			{"test_lava_send_too_long", map[string]any{"request": "lava_send", "port": 3, "blocksize": 8,
				"messageID": strings.Repeat("a", coordinator.MaxFrame+10)}, sdk.Job, "Message was too long to send!"},
			// lava-multinode.md §2.5: lava-start is not an action call
			{"lava-start call", map[string]any{"request": "lava-start", "messageID": "x"}, sdk.Test, "Unsupported api call: lava_start"},
			// §2.5: messageID is mandatory
			{"missing messageID", map[string]any{"request": "lava-wait"}, sdk.Job, "Missing messageID"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				start := time.Now()
				r, err := p.Call(ctx, tc.req)
				if err == nil || errType(err) != tc.typ || !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("reply %v, error %v (%s); want a %s error %q", r, err, errType(err), tc.typ, tc.msg)
				}
				if d := time.Since(start); d > 10*time.Second {
					t.Errorf("refused after %s", d)
				}
			})
		}
		// a refused call is not sent: below the frame limit, the same long ID is fine
		if r, err := p.Call(ctx, map[string]any{"request": "lava_send", "messageID": strings.Repeat("a", 0xFFFE+10)}); err != nil || r["response"] != "ack" {
			t.Fatalf("a 64 KiB messageID: %v %v", r, err)
		}
	})
}

// TestLAVAProtocolMessages ports the message cases of test_multinode.py's
// TestMultinode through the protocol: the replies are the coordinator's,
// in LAVA's shape ({"response": "ack", "message": {sender: {k: v}}}).
func TestLAVAProtocolMessages(t *testing.T) {
	transports(t, func(t *testing.T, newProto func() *Protocol, addr string) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()

		// ports test_multinode.py: test_client_send_keyvalue
		t.Run("test_client_send_keyvalue", func(t *testing.T) {
			ps := configureAll(t, ctx, newProto, addr, "keyvalue", member{id: "100", role: "client"}, member{id: "101", role: "server"})
			r, err := ps[0].Call(ctx, map[string]any{"request": "lava-send", "messageID": "test", "message": map[string]any{"key": "value"}})
			if err != nil || js(r) != `{"response":"ack"}` {
				t.Fatalf("send: %v %v", js(r), err)
			}
			r, err = ps[0].Call(ctx, map[string]any{"request": "lava_wait", "messageID": "test"})
			if err != nil || js(r) != `{"message":{"100":{"key":"value"}},"response":"ack"}` {
				t.Fatalf("wait: %v %v", js(r), err)
			}
		})

		// ports test_multinode.py: test_wait, test_wait_all and test_wait_all_role:
		// the client's call holds until the server has sent.
		for _, tc := range []struct {
			name, request, role string
			clientSends         bool
			want                string
		}{
			{"test_wait", "lava-wait", "", false, `{"message":{"101":{}},"response":"ack"}`},
			{"test_wait_all", "lava-wait-all", "", true, `{"message":{"100":{},"101":{}},"response":"ack"}`},
			// the action-call spelling of the role is "role"; the test shell's is "waitrole"
			{"test_wait_all_role", "lava-wait-all", "server", false, `{"message":{"101":{}},"response":"ack"}`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ps := configureAll(t, ctx, newProto, addr, tc.name, member{id: "100", role: "client"}, member{id: "101", role: "server"})
				id := tc.name
				if tc.clientSends {
					if _, err := ps[0].Call(ctx, map[string]any{"request": "lava-send", "messageID": id}); err != nil {
						t.Fatal(err)
					}
				}
				got := make(chan string, 1)
				go func() {
					req := map[string]any{"request": tc.request, "messageID": id}
					if tc.role != "" {
						req["role"] = tc.role
					}
					r, err := ps[0].Call(ctx, req)
					got <- fmt.Sprintf("%s %v", js(r), err)
				}()
				select {
				case g := <-got:
					t.Fatalf("the client's %s returned before the server sent: %s", tc.request, g)
				case <-time.After(100 * time.Millisecond):
				}
				if _, err := ps[1].Call(ctx, map[string]any{"request": "lava-send", "messageID": id, "message": nil}); err != nil {
					t.Fatal(err)
				}
				if g := <-got; g != tc.want+" <nil>" {
					t.Fatalf("got %s, want %s", g, tc.want)
				}
			})
		}
	})
}

// shellStep is one line a node's test shell prints and the line the
// dispatcher must type back ("" for lava-send, which reads no reply).
type shellStep struct {
	node  int
	line  string
	reply string
	cache string // /tmp/lava_multi_node_cache.txt after the helper read the reply ("" none)
}

// TestLAVATestShellAPI ports test_multinode.py: test_multinode_test_protocol
// (the <LAVA_MULTI_NODE> <LAVA_(\S+) ([^>]+)> request lines) and the
// lava-multinode.md §3.3 table: each console request is turned into the
// coordinator request, and the reply typed back is LAVA's, byte for byte.
func TestLAVATestShellAPI(t *testing.T) {
	transports(t, func(t *testing.T, newProto func() *Protocol, addr string) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		ps := configureAll(t, ctx, newProto, addr, "shell", member{id: "10", role: "host"}, member{id: "11", role: "guest"}, member{id: "12", role: "guest"})
		steps := []shellStep{
			// wait-all on an ID nobody sent, no role: the coordinator refuses
			{1, "<LAVA_MULTI_NODE> <LAVA_WAIT_ALL never>", "<LAVA_WAIT_ALL_COMPLETE nack>", ""},
			// lava-send ipv4 ipaddr=… note="hello world": values keep their spaces
			{0, "<LAVA_MULTI_NODE> <LAVA_SEND ipv4 ipaddr=10.0.0.5 note=hello world>", "", ""},
			{1, "<LAVA_MULTI_NODE> <LAVA_WAIT ipv4>", `<LAVA_WAIT_COMPLETE 10:ipaddr=10.0.0.5 10:note=hello\0040world>`, // escaped: see signals.FormatReply
				"10:ipaddr=10.0.0.5\n10:note=hello world\n"},
			// a send without pairs: the sender contributes nothing to the reply
			{0, "<LAVA_MULTI_NODE> <LAVA_SEND lava_start>", "", ""},
			{2, "<LAVA_MULTI_NODE> <LAVA_WAIT_ALL lava_start host>", "<LAVA_WAIT_ALL_COMPLETE>", ""},
			// wait-all with a role: every guest's data, sorted by sender
			{2, "<LAVA_MULTI_NODE> <LAVA_SEND done status=ok>", "", ""},
			{1, "<LAVA_MULTI_NODE> <LAVA_SEND done status=fine rc=0>", "", ""},
			{0, "<LAVA_MULTI_NODE> <LAVA_WAIT_ALL done guest>", "<LAVA_WAIT_ALL_COMPLETE 11:rc=0 11:status=fine 12:status=ok>",
				"11:rc=0\n11:status=fine\n12:status=ok\n"},
			// special characters in values ('=', ':', '/', '?', quotes, UTF-8)
			{0, `<LAVA_MULTI_NODE> <LAVA_SEND spec path=/tmp/a=b url=http://x:80/p?q=1 msg=héllo "wörld" ✓>`, "", ""},
			{2, "<LAVA_MULTI_NODE> <LAVA_WAIT spec>", `<LAVA_WAIT_COMPLETE 10:msg=h\0303\0251llo\0040\0042w\0303\0266rld\0042\0040\0342\0234\0223 10:path=/tmp/a=b 10:url=http://x:80/p\0077q=1>`,
				"10:msg=héllo \"wörld\" ✓\n10:path=/tmp/a=b\n10:url=http://x:80/p?q=1\n"},
			// a messageID spelled "nack" is an ordinary ID (test_poller.py: test_17_nack_check)
			{1, "<LAVA_MULTI_NODE> <LAVA_SEND nack>", "", ""},
			{0, "<LAVA_MULTI_NODE> <LAVA_WAIT nack>", "<LAVA_WAIT_COMPLETE>", ""},
		}
		var parser signals.Parser
		for i, s := range steps {
			reply, err := shell(ctx, ps[s.node], &parser, s.line)
			if err != nil {
				t.Fatalf("step %d (%s): %v", i, s.line, err)
			}
			if reply != s.reply {
				t.Errorf("step %d (%s): typed back %q, want %q", i, s.line, reply, s.reply)
			}
			if s.reply == "" {
				continue
			}
			cache, ok := signals.CacheFile(reply)
			if cache != s.cache || ok != (s.cache != "") {
				t.Errorf("step %d: cache file %q (%v), want %q", i, cache, ok, s.cache)
			}
		}
		// lava-sync clients from all three: each is typed <LAVA_SYNC_COMPLETE>
		// once the last arrives.
		var wg sync.WaitGroup
		for n := range ps {
			wg.Add(1)
			go func(n int) {
				defer wg.Done()
				var p signals.Parser
				reply, err := shell(ctx, ps[n], &p, "<LAVA_MULTI_NODE> <LAVA_SYNC clients>")
				if err != nil || reply != "<LAVA_SYNC_COMPLETE>" {
					t.Errorf("node %d sync: %q %v", n, reply, err)
				}
			}(n)
		}
		wg.Wait()
	})
}

// shell does what the test shell's dispatcher side does with one console
// line: parse the request, call the protocol, format the reply to type back.
func shell(ctx context.Context, p *Protocol, parser *signals.Parser, line string) (string, error) {
	evs := parser.Feed(line)
	if len(evs) != 1 || !evs[0].MultiNode() || evs[0].Err != nil {
		return "", fmt.Errorf("parsed %+v", evs)
	}
	req, err := overlay.MultiNodeRequest(evs[0])
	if err != nil {
		return "", err
	}
	r, err := p.Call(ctx, req)
	if err != nil {
		return "", err
	}
	if evs[0].Kind == signals.Send {
		if r["response"] != "ack" {
			return "", fmt.Errorf("send: %v", r)
		}
		return "", nil
	}
	return overlay.MultiNodeReply(string(evs[0].Kind), r), nil
}

// TestLAVAProtocolTimeouts ports test_multinode.py: test_multinode_timeout
// and TestDelayedStart.test_lava_start, with lava-multinode.md §6.2: the
// role's timeout bounds the delayed start and every test-shell call; a
// call's own timeout bounds that call; expiry is a MultinodeTimeout naming
// what was awaited.
func TestLAVAProtocolTimeouts(t *testing.T) {
	transports(t, func(t *testing.T, newProto func() *Protocol, addr string) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		short := map[string]any{"seconds": 0.3}

		// ports TestDelayedStart.test_lava_start: the client (request: lava-start,
		// expect_role: server) is delayed by up to its role timeout; the server
		// is not delayed. (The bad case, expect_role == role, is TestBadCalls.)
		t.Run("test_lava_start", func(t *testing.T) {
			server, client := newProto(), newProto()
			serverDone := make(chan error, 1)
			go func() {
				serverDone <- server.Configure(ctx, sdk.ProtocolConfig{JobID: "201", Coordinator: addr,
					Params: map[string]any{"target_group": "delayed", "role": "server", "group_size": 2, "timeout": short}})
			}()
			start := time.Now()
			err := client.Configure(ctx, sdk.ProtocolConfig{JobID: "200", Coordinator: addr,
				Params: map[string]any{"target_group": "delayed", "role": "client", "group_size": 2,
					"request": "lava-start", "expect_role": "server", "timeout": short}})
			if err := <-serverDone; err != nil {
				t.Fatalf("the server is not delayed: %v", err)
			}
			if errType(err) != MultinodeTimeout || !strings.Contains(err.Error(), "waiting for lava_start from role server") {
				t.Fatalf("delayed start: %v (%s), want a MultinodeTimeout", err, errType(err))
			}
			if d := time.Since(start); d < 250*time.Millisecond || d > 10*time.Second {
				t.Errorf("the delayed start gave up after %s, want the 300ms role timeout", d)
			}
			_ = server.Finalize(ctx, true)
			_ = client.Finalize(ctx, false)
		})

		// ports test_multinode_timeout: the role timeout bounds a test-shell call.
		t.Run("test_multinode_timeout", func(t *testing.T) {
			ps := configureAll(t, ctx, newProto, addr, "role-timeout",
				member{id: "300", role: "client", extra: map[string]any{"timeout": short}}, member{id: "301", role: "server"})
			cases := []struct {
				name string
				req  map[string]any
				want string
			}{
				{"lava-sync alone", map[string]any{"request": "lava-sync", "messageID": "clients"}, "lava-sync clients"},
				{"lava-wait unsent", map[string]any{"request": "lava-wait", "messageID": "ipv4"}, "lava-wait ipv4"},
				{"lava-wait-all for a role that never sends", map[string]any{"request": "lava-wait-all", "messageID": "x", "waitrole": "server"}, "lava-wait-all x"},
			}
			for _, tc := range cases {
				start := time.Now()
				r, err := ps[0].Call(ctx, tc.req)
				if errType(err) != MultinodeTimeout || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s: reply %v, error %v (%s); want a MultinodeTimeout for %q", tc.name, r, err, errType(err), tc.want)
				}
				if d := time.Since(start); d > 10*time.Second {
					t.Errorf("%s: timed out after %s, want about 300ms", tc.name, d)
				}
			}
		})

		// A call's own timeout bounds that call (an action's protocol block).
		// DELIBERATE DIFFERENCE: in LAVA such a timeout also becomes the poll
		// timeout of every later call; in lavacore it bounds only its call.
		t.Run("call timeout", func(t *testing.T) {
			ps := configureAll(t, ctx, newProto, addr, "call-timeout",
				member{id: "400", role: "client", extra: map[string]any{"timeout": map[string]any{"minutes": 10}}}, member{id: "401", role: "server"})
			start := time.Now()
			_, err := ps[0].Call(ctx, map[string]any{"request": "lava-wait", "messageID": "ipv4", "timeout": short})
			if errType(err) != MultinodeTimeout {
				t.Fatalf("%v (%s), want a MultinodeTimeout", err, errType(err))
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("timed out after %s, want about 300ms", d)
			}
			// the timed-out wait left nothing behind: once the server sends, the same wait is answered
			if _, err := ps[1].Call(ctx, map[string]any{"request": "lava-send", "messageID": "ipv4", "message": map[string]any{"ipaddr": "1.2.3.4"}}); err != nil {
				t.Fatal(err)
			}
			r, err := ps[0].Call(ctx, map[string]any{"request": "lava-wait", "messageID": "ipv4", "timeout": short})
			if err != nil || js(r) != `{"message":{"401":{"ipaddr":"1.2.3.4"}},"response":"ack"}` {
				t.Fatalf("wait after the send: %s %v", js(r), err)
			}
		})
	})
}

func js(v any) string {
	if m, ok := v.(map[string]any); ok && m == nil {
		return "null"
	}
	b, _ := json.Marshal(v)
	return string(b)
}
