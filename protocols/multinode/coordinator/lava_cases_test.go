package coordinator

// Ports of the cases of LAVA's tests/lava_coordinator/test_poller.py and of
// the coordinator-level cases of tests/lava_dispatcher/test_multinode.py
// (lava-multinode.md §7.1, §7.2). LAVA's cases are read for behaviour only;
// the tests below are lavacore's own. Every case runs twice: against the
// state machine (Handle) and over TCP, one request per connection, framed
// as LAVA's dispatcher frames it (the poll protocol).

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// step is one request of a ported case and the reply it must get.
type step struct {
	client, role, request string
	fields                map[string]any // messageID, message, waitrole, group_size …
	// want is the reply's JSON without lavacore's "error" explanation of a
	// nack (LAVA's replies are compared key for key, message included).
	want string
}

// lavaCase is one ported LAVA test case: a group of size clients registered
// with the roles given (in that order), then the steps. After the steps each
// registered client sends clear_group and the group must be gone, as every
// LAVA case checks in its cleanup.
type lavaCase struct {
	name    string
	size    int
	clients [][2]string // {client_name, role}, registered in this order
	steps   []step
	noClear bool // the case leaves no group behind (nothing registered)
}

func st(client, role, request, want string, kv ...any) step {
	f := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		f[kv[i].(string)] = kv[i+1]
	}
	return step{client: client, role: role, request: request, fields: f, want: want}
}

const (
	ack  = `{"response":"ack"}`
	wait = `{"response":"wait"}`
	nck  = `{"response":"nack"}`
)

// network message of LAVA's lava-network case (test_16), as two boards sent it.
func network(host, ip string) map[string]any {
	return map[string]any{"hostname-full": host + ".localdomain", "hostname": host, "netmask": "Mask:255.255.0.0",
		"dns_1": "192.168.1.32", "default-gateway": "192.168.1.1", "ipv6": "addr:", "ipv4": "addr:" + ip}
}

func lavaCases() []lavaCase {
	kv := map[string]any{"key": "value"}
	two := [][2]string{{"node_one", "tester"}, {"node_two", "tester"}}
	cs := [][2]string{{"client_one", "client"}, {"client_two", "client"}, {"server", "server"}}
	return []lavaCase{
		// ports test_poller.py: test_01_poll — a request without "request" is refused.
		{name: "test_poller/test_01_poll", noClear: true, steps: []step{
			{request: "", fields: map[string]any{}, want: nck},
		}},
		// ports test_poller.py: test_02_receive — the same, expecting the refusal explicitly.
		// Also ports test_multinode.py: test_empty_poll and test_empty_receive.
		{name: "test_poller/test_02_receive", noClear: true, steps: []step{
			{request: "", fields: map[string]any{}, want: nck},
			{request: "", fields: map[string]any{"group_name": "g"}, want: nck},
		}},
		// ports test_poller.py: test_03_missing_client_name — LAVA's _updateData
		// returns None; lavacore answers nack and creates no group.
		{name: "test_poller/test_03_missing_client_name", noClear: true, steps: []step{
			st("", "tester", "lava_send", nck, "messageID", "m", "group_size", 2),
			st("", "tester", "group_data", nck, "group_size", 2),
		}},
		// ports test_poller.py: test_04_missing_group_size — a new group needs its size.
		{name: "test_poller/test_04_missing_group_size", noClear: true, steps: []step{
			st("testpoller", "tester", "group_data", nck),
			st("testpoller", "tester", "group_data", nck, "group_size", 0),
			st("testpoller", "tester", "lava_send", nck, "messageID", "m"),
		}},
		// ports test_poller.py: test_05_start_group_incomplete (and test_multinode.py:
		// test_start_group_incomplete) — 1 of 2 registers: it waits; its clear_group
		// alone deletes the group (the count is of registered clients).
		{name: "test_poller/test_05_start_group_incomplete", size: 2, steps: []step{
			st("incomplete", "tester", "group_data", wait, "group_size", 2),
			st("incomplete", "tester", "group_data", wait, "group_size", 2),
		}},
		// ports test_poller.py: test_06_start_group_complete (and test_multinode.py:
		// test_start_group_complete) — 2 of 2 register: the group_data reply names both.
		{name: "test_poller/test_06_start_group_complete", size: 2, steps: []step{
			st("completing", "tester", "group_data", wait, "group_size", 2),
			st("completed", "tester", "group_data", `{"response":"group_data","roles":{"completed":"tester","completing":"tester"}}`, "group_size", 2),
			st("completing", "tester", "group_data", `{"response":"group_data","roles":{"completed":"tester","completing":"tester"}}`, "group_size", 2),
		}},
		// ports test_poller.py: test_07_lava_send_check — the test shell's spelling
		// "lava-send" is not a coordinator request (only the dispatcher rewrites - to _).
		{name: "test_poller/test_07_lava_send_check", size: 2, clients: two, steps: []step{
			st("node_two", "tester", "lava-send", nck, "messageID", "sending_test", "message", nil),
			st("node_two", "tester", "lava_send", ack, "messageID", "sending_test", "message", nil),
		}},
		// ports test_poller.py: test_08_lava_send_keypair — client names with a space.
		{name: "test_poller/test_08_lava_send_keypair", size: 2, clients: [][2]string{{"node one", "tester"}, {"node two", "tester"}}, steps: []step{
			st("node two", "tester", "lava_send", ack, "messageID", "keyvalue_test", "message", kv),
			st("node one", "tester", "lava_wait", `{"message":{"node two":{"key":"value"}},"response":"ack"}`, "messageID", "keyvalue_test"),
		}},
		// ports test_poller.py: test_09_lava_wait_check — a wait on an ID nobody
		// sent is "wait" (poll again); on a sent one, ack with {} for a send without data.
		{name: "test_poller/test_09_lava_wait_check", size: 2, clients: two, steps: []step{
			st("node_two", "tester", "lava_send", ack, "messageID", "sending_test", "message", nil),
			st("node_two", "tester", "lava_wait", wait, "messageID", "missing message", "message", nil),
			st("node_two", "tester", "lava_wait", wait, "messageID", "missing message", "message", nil),
			st("node_two", "tester", "lava_wait", `{"message":{"node_two":{}},"response":"ack"}`, "messageID", "sending_test", "message", nil),
			st("node_one", "tester", "lava_wait", `{"message":{"node_two":{}},"response":"ack"}`, "messageID", "sending_test", "message", nil),
		}},
		// ports test_poller.py: test_10_lava_wait_keypair — the reply is {sender: {k: v}}.
		{name: "test_poller/test_10_lava_wait_keypair", size: 2, clients: two, steps: []step{
			st("node_two", "tester", "lava_send", ack, "messageID", "keyvalue_test", "message", kv),
			st("node_two", "tester", "lava_wait", `{"message":{"node_two":{"key":"value"}},"response":"ack"}`, "messageID", "keyvalue_test", "message", nil),
		}},
		// ports test_poller.py: test_11_lava_wait_all — without a role it waits for
		// every client, the caller included, then returns every sender's data.
		{name: "test_poller/test_11_lava_wait_all", size: 2, clients: two, steps: []step{
			st("node_two", "tester", "lava_send", ack, "messageID", "waitall_test", "message", nil),
			st("node_two", "tester", "lava_wait_all", wait, "messageID", "waitall_test", "message", nil),
			st("node_one", "tester", "lava_wait_all", wait, "messageID", "waitall_test", "message", nil),
			st("node_one", "tester", "lava_send", ack, "messageID", "waitall_test", "message", nil),
			st("node_one", "tester", "lava_wait_all", `{"message":{"node_one":{},"node_two":{}},"response":"ack"}`, "messageID", "waitall_test", "message", nil),
			st("node_two", "tester", "lava_wait_all", `{"message":{"node_one":{},"node_two":{}},"response":"ack"}`, "messageID", "waitall_test", "message", nil),
		}},
		// ports test_poller.py: test_12_lava_sync — each client's first poll
		// registers it ("wait"); once all arrived each gets ack with the ID.
		{name: "test_poller/test_12_lava_sync", size: 2, clients: two, steps: []step{
			st("node_two", "tester", "lava_sync", wait, "messageID", "waitall_test", "message", nil),
			st("node_one", "tester", "lava_sync", wait, "messageID", "waitall_test", "message", nil),
			st("node_one", "tester", "lava_sync", `{"message":"waitall_test","response":"ack"}`, "messageID", "waitall_test", "message", nil),
			st("node_two", "tester", "lava_sync", `{"message":"waitall_test","response":"ack"}`, "messageID", "waitall_test", "message", nil),
			// the ID was cleared when both picked it up: a new round starts
			st("node_two", "tester", "lava_sync", wait, "messageID", "waitall_test", "message", nil),
		}},
		// ports test_poller.py: test_13_lava_wait_all_role — nack before any send;
		// wait while the role's first client has not sent (also for the server
		// waiting on role client); then ack with every sender so far.
		{name: "test_poller/test_13_lava_wait_all_role", size: 3, clients: cs, steps: []step{
			st("client_two", "client", "lava_wait_all", nck, "messageID", "wait-all-role", "message", nil),
			st("client_two", "client", "lava_send", ack, "messageID", "wait-all-role", "message", nil),
			st("client_two", "client", "lava_wait_all", wait, "messageID", "wait-all-role", "message", nil),
			st("server", "server", "lava_wait_all", wait, "messageID", "wait-all-role", "waitrole", "client", "message", nil),
			st("client_one", "client", "lava_send", ack, "messageID", "wait-all-role", "message", nil),
			st("client_one", "client", "lava_wait_all", `{"message":{"client_one":{},"client_two":{}},"response":"ack"}`, "messageID", "wait-all-role", "waitrole", "client", "message", nil),
			st("server", "server", "lava_wait_all", `{"message":{"client_one":{},"client_two":{}},"response":"ack"}`, "messageID", "wait-all-role", "waitrole", "client", "message", nil),
		}},
		// ports test_poller.py: test_14_lava_wait_all_keypair — without a role the
		// server must send too; the reply carries all three senders' pairs.
		{name: "test_poller/test_14_lava_wait_all_keypair", size: 3, clients: cs, steps: []step{
			st("client_two", "client", "lava_send", ack, "messageID", "keyvalue_test", "message", kv),
			st("client_two", "client", "lava_wait_all", wait, "messageID", "keyvalue_test", "message", nil),
			st("client_two", "client", "lava_wait_all", wait, "messageID", "keyvalue_test", "message", nil),
			st("client_two", "client", "lava_wait_all", wait, "messageID", "keyvalue_test", "message", nil),
			st("client_one", "client", "lava_send", ack, "messageID", "keyvalue_test", "message", kv),
			st("client_one", "client", "lava_wait_all", wait, "messageID", "keyvalue_test", "message", nil),
			st("client_one", "client", "lava_wait_all", wait, "messageID", "keyvalue_test", "message", nil),
			st("server", "server", "lava_send", ack, "messageID", "keyvalue_test", "message", kv),
			st("server", "server", "lava_wait_all", `{"message":{"client_one":{"key":"value"},"client_two":{"key":"value"},"server":{"key":"value"}},"response":"ack"}`, "messageID", "keyvalue_test", "message", nil),
		}},
		// ports test_poller.py: test_15_lava_wait_all_role_keypair — with waitrole
		// client the server is not needed; messages persist, so once the server
		// sent, the same call returns its data too (no filtering by role).
		{name: "test_poller/test_15_lava_wait_all_role_keypair", size: 3, clients: cs, steps: []step{
			st("client_two", "client", "lava_send", ack, "messageID", "keyvalue_test", "message", kv),
			st("client_two", "client", "lava_wait_all", wait, "messageID", "keyvalue_test", "waitrole", "client", "message", nil),
			st("client_two", "client", "lava_wait_all", wait, "messageID", "keyvalue_test", "waitrole", "client", "message", nil),
			st("client_one", "client", "lava_send", ack, "messageID", "keyvalue_test", "message", kv),
			st("client_one", "client", "lava_wait_all", `{"message":{"client_one":{"key":"value"},"client_two":{"key":"value"}},"response":"ack"}`, "messageID", "keyvalue_test", "waitrole", "client", "message", nil),
			st("server", "server", "lava_send", ack, "messageID", "keyvalue_test", "message", kv),
			st("client_one", "client", "lava_wait_all", `{"message":{"client_one":{"key":"value"},"client_two":{"key":"value"},"server":{"key":"value"}},"response":"ack"}`, "messageID", "keyvalue_test", "waitrole", "client", "message", nil),
		}},
		// ports test_poller.py: test_16_lava_network — two boards broadcast seven
		// keys each (values with ':', '.', '-' in keys); wait-all returns both dicts.
		{name: "test_poller/test_16_lava_network", size: 2, clients: [][2]string{{"imx53-02", "network"}, {"imx53-04", "network"}}, steps: []step{
			st("imx53-02", "network", "lava_send", ack, "messageID", "network_info", "message", network("imx53-02", "192.168.106.189")),
			st("imx53-02", "network", "lava_wait_all", wait, "messageID", "network_info", "message", nil),
			st("imx53-02", "network", "lava_wait_all", wait, "messageID", "network_info", "message", nil),
			st("imx53-02", "network", "lava_wait_all", wait, "messageID", "network_info", "message", nil),
			st("imx53-04", "network", "lava_send", ack, "messageID", "network_info", "message", network("imx53-04", "192.168.106.180")),
			st("imx53-04", "network", "lava_wait_all", js(Reply{"response": "ack", "message": map[string]any{
				"imx53-02": network("imx53-02", "192.168.106.189"), "imx53-04": network("imx53-04", "192.168.106.180")}}),
				"messageID", "network_info", "message", nil),
		}},
		// ports test_poller.py: test_17_nack_check — a messageID spelled "nack" is an ordinary ID.
		{name: "test_poller/test_17_nack_check", size: 2, clients: two, steps: []step{
			st("node_two", "tester", "lava_send", ack, "messageID", "nack", "message", nil),
			st("node_two", "tester", "lava_wait", `{"message":{"node_two":{}},"response":"ack"}`, "messageID", "nack", "message", nil),
		}},
		// ports test_poller.py: test_18_aggregation — DELIBERATE DIFFERENCE: LAVA's
		// coordinator still gathers V1 result bundles ("aggregate": nack without
		// bundle/sub_id, then wait/ack); lavacore does not implement V1 bundles
		// and nacks every aggregate (LAVA's own dispatcher refuses to send one,
		// see the protocol-side port of test_fail_aggregation). The group is unaffected.
		{name: "test_poller/test_18_aggregation", size: 3, clients: [][2]string{{"controller", "tester"}, {"node_one", "tester"}, {"node_two", "tester"}}, steps: []step{
			st("controller", "tester", "aggregate", nck),
			st("controller", "tester", "aggregate", nck, "bundle", nil),
			st("controller", "tester", "aggregate", nck, "bundle", nil, "sub_id", nil),
			st("controller", "tester", "aggregate", nck, "bundle", map[string]any{"format": "Dashboard Bundle Format 1.6"}, "sub_id", "10.0"),
			st("node_one", "tester", "aggregate", nck, "bundle", map[string]any{"format": "Dashboard Bundle Format 1.6"}, "sub_id", "10.1"),
			st("controller", "tester", "group_data", `{"response":"group_data","roles":{"controller":"tester","node_one":"tester","node_two":"tester"}}`, "group_size", 3),
		}},
		// ports test_multinode.py: test_client — 1 of 2 registered: group_data
		// waits; "lava-send" (dash) is refused; a wait on an unsent ID waits.
		{name: "test_multinode/test_client", size: 2, steps: []step{
			st("100", "client", "group_data", wait, "group_size", 2),
			st("100", "client", "lava-send", nck, "messageID", "test", "message", "testclient"),
			st("100", "client", "lava_wait", wait, "messageID", "test"),
		}},
		// ports test_multinode.py: test_client_send_keyvalue — the exact reply of a wait.
		{name: "test_multinode/test_client_send_keyvalue", size: 2, clients: [][2]string{{"100", "client"}, {"101", "server"}}, steps: []step{
			st("100", "client", "lava_send", ack, "messageID", "test", "message", kv),
			st("100", "client", "lava_wait", `{"message":{"100":{"key":"value"}},"response":"ack"}`, "messageID", "test"),
		}},
		// ports test_multinode.py: test_wait — waits until the server sends.
		{name: "test_multinode/test_wait", size: 2, clients: [][2]string{{"100", "client"}, {"101", "server"}}, steps: []step{
			st("100", "client", "lava_wait", wait, "messageID", "test_wait"),
			st("100", "client", "lava_wait", wait, "messageID", "test_wait"),
			st("100", "client", "lava_wait", wait, "messageID", "test_wait"),
			st("101", "server", "lava_send", ack, "messageID", "test_wait"),
			st("100", "client", "lava_wait", `{"message":{"101":{}},"response":"ack"}`, "messageID", "test_wait"),
		}},
		// ports test_multinode.py: test_wait_all — nack while nobody sent the ID
		// (LAVA's real coordinator; its fake in that test does not check), wait
		// while one of the two has, ack once both have.
		{name: "test_multinode/test_wait_all", size: 2, clients: [][2]string{{"100", "client"}, {"101", "server"}}, steps: []step{
			st("100", "client", "lava_wait_all", nck, "messageID", "test_wait_all"),
			st("101", "server", "lava_send", ack, "messageID", "test_wait_all"),
			st("100", "client", "lava_wait_all", wait, "messageID", "test_wait_all"),
			st("100", "client", "lava_wait_all", wait, "messageID", "test_wait_all"),
			st("100", "client", "lava_send", ack, "messageID", "test_wait_all"),
			st("100", "client", "lava_wait_all", `{"message":{"100":{},"101":{}},"response":"ack"}`, "messageID", "test_wait_all"),
		}},
		// ports test_multinode.py: test_wait_all_role — with waitrole server the
		// client waits (even before any send) until the server sends.
		{name: "test_multinode/test_wait_all_role", size: 2, clients: [][2]string{{"100", "client"}, {"101", "server"}}, steps: []step{
			st("100", "client", "lava_wait_all", wait, "messageID", "test_wait_all_role", "waitrole", "server"),
			st("100", "client", "lava_wait_all", wait, "messageID", "test_wait_all_role", "waitrole", "server"),
			st("101", "server", "lava_send", ack, "messageID", "test_wait_all_role"),
			st("100", "client", "lava_wait_all", `{"message":{"101":{}},"response":"ack"}`, "messageID", "test_wait_all_role", "waitrole", "server"),
		}},
		// DELIBERATE DIFFERENCE (lava-multinode.md §2.1, §7.6 item 2): LAVA's
		// coordinator dies with KeyError on a waitrole nobody has, losing every
		// group; lavacore nacks it once the group is complete.
		{name: "lavacore/unknown_waitrole_nacks", size: 2, clients: two, steps: []step{
			st("node_one", "tester", "lava_send", ack, "messageID", "m"),
			st("node_two", "tester", "lava_wait_all", nck, "messageID", "m", "waitrole", "nosuch"),
			st("node_two", "tester", "lava_send", ack, "messageID", "m"),
		}},
		// Message data with special characters (quotes, <>&, '=', ':', spaces,
		// newlines, non-ASCII) comes back byte for byte, also over the wire.
		{name: "lavacore/special_characters", size: 2, clients: two, steps: []step{
			st("node_one", "tester", "lava_send", ack, "messageID", "spé cial", "message", special()),
			st("node_two", "tester", "lava_wait", js(Reply{"response": "ack", "message": map[string]any{"node_one": special()}}), "messageID", "spé cial"),
		}},
	}
}

func special() map[string]any {
	return map[string]any{"quote": `say "hi" 'there'`, "html": "<a href='x'>&amp;</a>", "eq": "a=b=c", "colon": "10:ipaddr=1",
		"space": "two  spaces\tand tab", "nl": "line1\nline2", "utf8": "héllo wörld ✓ 日本", "path": `C:\dir\file`, "empty": ""}
}

// asker sends one request and returns the reply's JSON.
type asker func(t *testing.T, r Request) string

func viaHandle(c *Coordinator) asker {
	return func(t *testing.T, r Request) string {
		rep := c.Handle(r)
		delete(rep, "error")
		return js(rep)
	}
}

// viaWire sends the request as LAVA's dispatcher does: a new connection,
// 8-hex length + JSON, write side shut, one reply read.
func viaWire(addr string) asker {
	return func(t *testing.T, r Request) string {
		t.Helper()
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if err := WriteFrame(conn, r); err != nil {
			t.Fatal(err)
		}
		conn.(*net.TCPConn).CloseWrite()
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		m, err := ReadFrame(conn)
		if err != nil {
			return "read error: " + err.Error()
		}
		delete(m, "error")
		return js(m)
	}
}

func TestLAVACoordinatorCases(t *testing.T) {
	srv := &Server{C: New(), AllowUnauthenticated: true} // LAVA's listener
	addr, err := srv.ListenAndServe("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, transport := range []string{"handle", "wire"} {
		for _, tc := range lavaCases() {
			t.Run(transport+"/"+tc.name, func(t *testing.T) {
				c := New()
				ask := viaHandle(c)
				if transport == "wire" {
					c = srv.C
					ask = viaWire(addr.String())
				}
				group := transport + "-" + strings.ReplaceAll(tc.name, "/", ".")
				build := func(client, role, request string, f map[string]any) Request {
					r := Request{"group_name": group, "client_name": client, "role": role, "hostname": "localhost", "timeout": 90}
					if request != "" {
						r["request"] = request
					}
					for k, v := range f {
						r[k] = v
					}
					return r
				}
				registered := map[string]bool{}
				var order []string
				for _, cl := range tc.clients {
					want := wait
					if len(order) == tc.size-1 {
						want = "" // the last one completes the group
					}
					got := ask(t, build(cl[0], cl[1], "group_data", map[string]any{"group_size": tc.size}))
					if want != "" && got != want {
						t.Fatalf("registering %s: got %s, want %s", cl[0], got, want)
					}
					registered[cl[0]] = true
					order = append(order, cl[0])
				}
				for i, s := range tc.steps {
					r := build(s.client, s.role, s.request, s.fields)
					if tc.name == "test_poller/test_01_poll" || tc.name == "test_poller/test_02_receive" {
						r = Request{}
						for k, v := range s.fields {
							r[k] = v
						}
					}
					if got := ask(t, r); got != s.want {
						t.Errorf("step %d: %s %s %v: got %s, want %s", i, s.client, s.request, s.fields["messageID"], got, s.want)
					}
					if s.client != "" && tc.size > 0 && !registered[s.client] {
						registered[s.client] = true
						order = append(order, s.client)
					}
				}
				if tc.noClear {
					c.mu.Lock()
					n := len(c.groups[group].clientsOrNil())
					c.mu.Unlock()
					if n != 0 {
						t.Errorf("a refused request registered %d client(s)", n)
					}
					return
				}
				// LAVA's cleanup: clear_group once per client, then the group is gone.
				for i, cl := range order {
					c.mu.Lock()
					_, exists := c.groups[group]
					c.mu.Unlock()
					if !exists {
						t.Fatalf("the group was deleted after %d of %d clear_group", i, len(order))
					}
					if got := ask(t, build(cl, "", "clear_group", map[string]any{"group_size": tc.size})); got != ack {
						t.Errorf("clear_group from %s: %s", cl, got)
					}
				}
				c.mu.Lock()
				_, exists := c.groups[group]
				c.mu.Unlock()
				if exists {
					t.Errorf("group %s still exists after every client cleared it", group)
				}
				if got := ask(t, build(order[0], "", "lava_send", map[string]any{"messageID": "late"})); got != nck {
					t.Errorf("lava_send after the group was cleared: %s, want nack", got)
				}
			})
		}
	}
}

func (g *group) clientsOrNil() map[string]string {
	if g == nil {
		return nil
	}
	return g.clients
}

// ports test_poller.py's TestSocket header check (int(header, 16) < 0xFFFE)
// and lava-multinode.md §2.1: a reply is 8 upper-case hex digits + JSON, and
// a request whose header counts characters (Python's len(str)) rather than
// bytes is understood too.
func TestLAVAFraming(t *testing.T) {
	srv := &Server{C: New(), AllowUnauthenticated: true}
	addr, err := srv.ListenAndServe("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	byteLen := func(s string) int { return len(s) }
	runeLen := func(s string) int { return utf8.RuneCountInString(s) }
	cases := []struct {
		name   string
		body   string // the JSON text a LAVA dispatcher would send
		length func(string) int
		want   string // the reply's response
	}{
		{"ascii request without group", `{"request": "lava_send"}`, byteLen, "nack"},
		{"non-ASCII, bytes counted", `{"request": "group_data", "group_name": "g-ë", "client_name": "1", "role": "ü", "group_size": 1}`, byteLen, "group_data"},
		{"non-ASCII, characters counted", `{"request": "group_data", "group_name": "g-é", "client_name": "1", "role": "ü", "group_size": 1}`, runeLen, "group_data"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr.String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "%08X%s", tc.length(tc.body), tc.body)
			conn.(*net.TCPConn).CloseWrite()
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			raw, err := io.ReadAll(conn)
			if err != nil || len(raw) < 8 {
				t.Fatalf("reply %q: %v", raw, err)
			}
			hdr := string(raw[:8])
			if strings.ToUpper(hdr) != hdr {
				t.Fatalf("header %q is not upper-case hex", hdr)
			}
			n, err := strconv.ParseUint(hdr, 16, 32)
			if err != nil || n >= 0xFFFE || int(n) != len(raw)-8 {
				t.Fatalf("header %q for a %d byte body (%v)", hdr, len(raw)-8, err)
			}
			var m map[string]any
			if err := json.Unmarshal(raw[8:], &m); err != nil {
				t.Fatalf("reply body %q: %v", raw[8:], err)
			}
			if m["response"] != tc.want {
				t.Fatalf("reply %s, want response %s", raw[8:], tc.want)
			}
		})
	}
}
