package coordinator

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// actor is one client of the attack tests: who it says it is, where it
// connects from, which listener it uses and which secret it signs with.
type actor struct {
	client, role, ip string
	lava             bool   // the unauthenticated LAVA listener
	secret           []byte // nil: unsigned
}

var wrongSecret = []byte("not-the-lab-secret-not-the-lab-secret")

// groupKinds: a group of lavacore clients (signed, on the default listener)
// and a group of LAVA dispatchers (unsigned, on the LAVA listener, each on
// its own address).
func groupKinds(l *attackLab) map[string][2]actor {
	return map[string][2]actor{
		"lavacore": {{client: "500", role: "host", ip: "127.0.0.1", secret: l.secret}, {client: "501", role: "guest", ip: "127.0.0.1", secret: l.secret}},
		"lava":     {{client: "500", role: "host", ip: "127.0.0.2", lava: true}, {client: "501", role: "guest", ip: "127.0.0.3", lava: true}},
	}
}

// strangers are attackers without the lab's secret.
func strangers() map[string]actor {
	return map[string]actor{
		"unsigned on the default listener":     {ip: "127.0.0.9"},
		"wrong secret on the default listener": {ip: "127.0.0.9", secret: wrongSecret},
		"on the LAVA listener":                 {ip: "127.0.0.9", lava: true},
	}
}

func (l *attackLab) ask(t *testing.T, a actor, group, request string, kv ...any) Reply {
	t.Helper()
	r := Request{"group_name": group, "client_name": a.client, "role": a.role, "hostname": "w-" + a.role, "request": request}
	for i := 0; i+1 < len(kv); i += 2 {
		r[kv[i].(string)] = kv[i+1]
	}
	if a.secret != nil {
		r = sign(t, a.secret, r)
	}
	addr := l.auth
	if a.lava {
		addr = l.lava
	}
	conn := dialFrom(t, a.ip, addr)
	defer conn.Close()
	if err := WriteFrame(conn, r); err != nil {
		t.Fatal(err)
	}
	if r["push"] != true {
		conn.(*net.TCPConn).CloseWrite() // as LAVA's clients do; a push client keeps it open
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	m, err := ReadFrame(conn)
	if err != nil {
		t.Fatalf("%s %s as %q: %v", request, group, a.client, err)
	}
	return m
}

// fullGroup registers host and guest in a group of two.
func (l *attackLab) fullGroup(t *testing.T, g string, m [2]actor) {
	t.Helper()
	l.ask(t, m[0], g, "group_data", "group_size", 2)
	if r := l.ask(t, m[1], g, "group_data", "group_size", 2); r["response"] != "group_data" {
		t.Fatalf("group %s: %v", g, r)
	}
}

func wantNack(t *testing.T, r Reply, what string) {
	t.Helper()
	if r["response"] != "nack" {
		t.Errorf("%s: got %v, want a nack", what, r)
	}
}

func TestCoordinator_StrangerJoinsFullGroup(t *testing.T) {
	l := newAttackLab(t, labOptions{})
	for kind, m := range groupKinds(l) {
		for how, s := range strangers() {
			t.Run(kind+"/"+how, func(t *testing.T) {
				g := fmt.Sprintf("full-%s-%d", kind, len(how))
				l.fullGroup(t, g, m)
				s.client, s.role = "666", "guest"
				wantNack(t, l.ask(t, s, g, "group_data", "group_size", 2), "the stranger's join")
				r := l.ask(t, m[0], g, "group_data", "group_size", 2)
				if r["response"] != "group_data" || len(r["roles"].(map[string]any)) != 2 {
					t.Errorf("after the stranger: %v, want the group of two", r)
				}
			})
		}
	}
}

func TestCoordinator_SecondJoinWithTakenName(t *testing.T) {
	l := newAttackLab(t, labOptions{})
	for kind, m := range groupKinds(l) {
		for how, s := range strangers() {
			t.Run(kind+"/"+how, func(t *testing.T) {
				g := fmt.Sprintf("taken-%s-%d", kind, len(how))
				l.ask(t, m[0], g, "group_data", "group_size", 3) // the group is not full
				for _, role := range []string{"host", "guest"} {
					s.client, s.role = m[0].client, role
					wantNack(t, l.ask(t, s, g, "group_data", "group_size", 3), "a second join as "+m[0].client+" with role "+role)
				}
			})
		}
	}
	t.Run("lava/a member as another member", func(t *testing.T) {
		m := groupKinds(l)["lava"]
		l.ask(t, m[0], "taken-member", "group_data", "group_size", 3)
		l.ask(t, m[1], "taken-member", "group_data", "group_size", 3)
		guest := m[1]
		guest.client = m[0].client
		wantNack(t, l.ask(t, guest, "taken-member", "group_data", "group_size", 3), "the guest joining as the host")
	})
}

func TestCoordinator_ClientSendsAsAnotherClient(t *testing.T) {
	l := newAttackLab(t, labOptions{})
	for kind, m := range groupKinds(l) {
		attackers := strangers()
		if kind == "lava" {
			g := m[1] // the guest, from its own address
			attackers["the guest"] = g
		}
		for how, a := range attackers {
			t.Run(kind+"/"+how, func(t *testing.T) {
				g := fmt.Sprintf("as-%s-%d", kind, len(how))
				l.fullGroup(t, g, m)
				a.client, a.role = m[0].client, m[0].role // send as the host
				wantNack(t, l.ask(t, a, g, "lava_send", "messageID", "ipv4", "message", map[string]any{"ipaddr": "6.6.6.6"}), "lava_send as the host")
				wantNack(t, l.ask(t, a, g, "lava_sync", "messageID", "go"), "lava_sync as the host")
				if r := l.ask(t, m[1], g, "lava_wait", "messageID", "ipv4"); r["response"] != "wait" {
					t.Errorf("the guest's wait: %v, want wait (the host sent nothing)", r)
				}
			})
		}
	}
}

func TestCoordinator_ForgedSendWhoseSenderSortsFirst(t *testing.T) {
	l := newAttackLab(t, labOptions{})
	for kind, m := range groupKinds(l) {
		for how, a := range strangers() {
			t.Run(kind+"/"+how, func(t *testing.T) {
				g := fmt.Sprintf("first-%s-%d", kind, len(how))
				l.fullGroup(t, g, m)
				l.ask(t, m[0], g, "lava_send", "messageID", "ipv4", "message", map[string]any{"ipaddr": "10.0.0.5"})
				a.client, a.role = "0", "host"
				wantNack(t, l.ask(t, a, g, "lava_send", "messageID", "ipv4", "message", map[string]any{"ipaddr": "6.6.6.6"}), "the forged send")
				r := l.ask(t, m[1], g, "lava_wait", "messageID", "ipv4")
				if got := fmt.Sprint(r["message"]); got != "map[500:map[ipaddr:10.0.0.5]]" {
					t.Errorf("the guest's wait: %v, want only the real host's value", r)
				}
			})
		}
	}
}

func TestCoordinator_ClearGroupByStranger(t *testing.T) {
	l := newAttackLab(t, labOptions{})
	for kind, m := range groupKinds(l) {
		for how, s := range strangers() {
			t.Run(kind+"/"+how, func(t *testing.T) {
				g := fmt.Sprintf("clear-%s-%d", kind, len(how))
				l.fullGroup(t, g, m)
				for _, as := range []string{"666", m[0].client, m[1].client, m[0].client} {
					s.client, s.role = as, "guest"
					wantNack(t, l.ask(t, s, g, "clear_group", "group_size", 2), "clear_group as "+as)
				}
				if r := l.ask(t, m[0], g, "lava_send", "messageID", "still", "message", map[string]any{}); r["response"] != "ack" {
					t.Errorf("the group after the stranger's clear_group: %v, want it to exist", r)
				}
			})
		}
	}
}

func TestCoordinator_RefusedRequestCreatesNoGroup(t *testing.T) {
	l := newAttackLab(t, labOptions{})
	lavaClient := actor{client: "1", role: "r", ip: "127.0.0.4", lava: true}
	cases := []struct {
		name string
		who  actor
		req  string
		kv   []any
	}{
		{"unknown request", lavaClient, "bogus", []any{"group_size", 2}},
		{"aggregate", lavaClient, "aggregate", []any{"group_size", 2}},
		{"group larger than the limit", lavaClient, "group_data", []any{"group_size", 1 << 30}},
		{"unsigned on the default listener", actor{client: "1", role: "r", ip: "127.0.0.4"}, "group_data", []any{"group_size", 2}},
		{"wrong secret", actor{client: "1", role: "r", ip: "127.0.0.4", secret: wrongSecret}, "group_data", []any{"group_size", 2}},
		{"invalid client name", actor{client: "a/b", role: "r", ip: "127.0.0.4", lava: true}, "group_data", []any{"group_size", 2}},
		{"clear_group of no group", lavaClient, "clear_group", []any{"group_size", 2}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := fmt.Sprintf("refused-%d", i)
			r := l.ask(t, tc.who, g, tc.req, tc.kv...)
			if tc.req != "clear_group" {
				wantNack(t, r, "the request")
			}
			// Without group_size, a request to a group that does not exist is a nack (LAVA's rule).
			other := actor{client: "2", role: "r", ip: "127.0.0.5", lava: true}
			wantNack(t, l.ask(t, other, g, "lava_send", "messageID", "x", "message", map[string]any{}), "a send to the group the refused request named")
		})
	}
}

func TestCoordinator_MessageFloodPastGroupLimits(t *testing.T) {
	cases := []struct {
		name string
		each func(i int) (string, []any)
		n    int
	}{
		{"many message IDs", func(i int) (string, []any) {
			return "lava_send", []any{"messageID", fmt.Sprint("id-", i), "message", map[string]any{"k": "v"}}
		}, 200},
		{"many sync IDs", func(i int) (string, []any) { return "lava_sync", []any{"messageID", fmt.Sprint("s-", i)} }, 200},
		{"large messages", func(i int) (string, []any) {
			return "lava_send", []any{"messageID", fmt.Sprint("big-", i), "message", map[string]any{"k": strings.Repeat("x", 60000)}}
		}, 40},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := newAttackLab(t, labOptions{maxMessages: 64, maxGroupBytes: 1 << 20})
			m := groupKinds(l)["lavacore"]
			l.fullGroup(t, "flood", m)
			refused := ""
			for i := 0; i < tc.n && refused == ""; i++ {
				req, kv := tc.each(i)
				if r := l.ask(t, m[0], "flood", req, kv...); r["response"] == "nack" {
					refused = fmt.Sprint(r["error"])
				}
			}
			if !strings.Contains(refused, "limit") {
				t.Fatalf("%d requests were all accepted (last refusal %q), want a nack naming the group's limit", tc.n, refused)
			}
			// the group still works within its limits
			if r := l.ask(t, m[1], "flood", "lava_wait", "messageID", "never"); r["response"] != "wait" {
				t.Errorf("a member's wait after the flood: %v", r)
			}
		})
	}
}

func TestCoordinator_IdlePushConnectionIsClosed(t *testing.T) {
	l := newAttackLab(t, labOptions{holdTimeout: 100 * time.Millisecond, watchTimeout: 100 * time.Millisecond})
	m := groupKinds(l)["lavacore"]
	l.fullGroup(t, "idle", m)
	t.Run("held wait", func(t *testing.T) {
		r := l.ask(t, m[0], "idle", "lava_sync", "messageID", "never", "push", true, "push_timeout", 3600)
		if r["response"] != "wait" || !strings.Contains(fmt.Sprint(r["held"]), "lava_sync never") {
			t.Errorf("a held push wait answered %v, want wait saying what it waited for", r)
		}
	})
	t.Run("silent watch", func(t *testing.T) {
		conn := dialFrom(t, "127.0.0.1", l.auth)
		defer conn.Close()
		if err := WriteFrame(conn, sign(t, l.secret, Request{"request": "lavacore_watch", "group_name": "idle", "client_name": "501", "role": "guest", "hostname": "w-guest"})); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(conn)
		if _, err := ReadFrame(br); err != nil {
			t.Fatal(err)
		}
		// Then the coordinator says why it closes the silent connection, and closes it.
		r, err := ReadFrame(br)
		if err != nil || !strings.Contains(fmt.Sprint(r["error"]), "heartbeat") {
			t.Fatalf("the silent watch connection: %v %v, want it closed for want of a heartbeat", r, err)
		}
		if r := l.ask(t, m[0], "idle", "lava_sync", "messageID", "after", "push", true, "push_timeout", 5); !strings.Contains(fmt.Sprint(r["error"]), "501 (guest)") {
			t.Errorf("the host's sync after the guest went silent: %v, want a failure naming 501 (guest)", r)
		}
	})
}

func TestCoordinator_NewlineInNameForgesLogLine(t *testing.T) {
	l := newAttackLab(t, labOptions{})
	a := actor{client: "1", role: "r", ip: "127.0.0.6", lava: true}
	forged := "\n2026/01/01 00:00:00 coordinator: FORGED group ok -> ack"
	cases := []struct {
		name  string
		group string
		who   actor
		kv    []any
	}{
		{"group name", "g" + forged, a, nil},
		{"client name", "g1", actor{client: "1" + forged, role: "r", ip: "127.0.0.6", lava: true}, nil},
		{"role", "g2", actor{client: "1", role: "r" + forged, ip: "127.0.0.6", lava: true}, nil},
		{"message ID", "g3", a, []any{"messageID", "m\r" + forged}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := "group_data"
			if tc.kv != nil {
				req = "lava_wait"
			}
			l.ask(t, tc.who, tc.group, req, append([]any{"group_size", 2}, tc.kv...)...)
			l.mu.Lock()
			defer l.mu.Unlock()
			for _, line := range l.logs {
				if strings.ContainsAny(line, "\n\r") || strings.Contains(line, "FORGED group ok") && strings.HasPrefix(line, "2026") {
					t.Errorf("log line %q holds a line break from the request", line)
				}
			}
		})
	}
}

func TestCoordinator_UnauthenticatedClientOnDefaultListener(t *testing.T) {
	l := newAttackLab(t, labOptions{})
	cases := []struct {
		name string
		who  actor
		want string
	}{
		{"unsigned on the default listener", actor{client: "1", role: "r", ip: "127.0.0.7"}, "nack"},
		{"wrong secret on the default listener", actor{client: "1", role: "r", ip: "127.0.0.7", secret: wrongSecret}, "nack"},
		{"signed on the default listener", actor{client: "1", role: "r", ip: "127.0.0.7", secret: l.secret}, "wait"},
		{"unsigned on the LAVA listener", actor{client: "1", role: "r", ip: "127.0.0.7", lava: true}, "wait"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := l.ask(t, tc.who, fmt.Sprint("unauth-", i), "group_data", "group_size", 2)
			if r["response"] != tc.want {
				t.Errorf("got %v, want %s", r, tc.want)
			}
			if tc.want == "nack" && !strings.Contains(fmt.Sprint(r["error"]), "authentic") {
				t.Errorf("the refusal %v does not say authentication is required", r)
			}
		})
	}
	t.Run("a proof replayed, or moved to another group", func(t *testing.T) {
		r := sign(t, l.secret, Request{"group_name": "replay", "client_name": "1", "role": "r", "request": "group_data", "group_size": 2})
		for i, rq := range []Request{r, r, func() Request { o := copyAny(r); o["group_name"] = "other"; return o }()} {
			conn := dialFrom(t, "127.0.0.1", l.auth)
			WriteFrame(conn, rq)
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			got, err := ReadFrame(conn)
			conn.Close()
			if want := []string{"wait", "nack", "nack"}[i]; err != nil || got["response"] != want {
				t.Errorf("request %d: %v %v, want %s", i, got, err, want)
			}
		}
	})
}

// TestVerifier_CachedKeyForAnotherNameSplit: the cache of derived keys must
// not hand group "a", client "bc" the key of group "ab", client "c" (nor a
// key derived from another secret).
func TestVerifier_CachedKeyForAnotherNameSplit(t *testing.T) {
	var v verifier
	cases := []struct {
		secret        []byte
		group, client string
	}{
		{testSecret, "ab", "c"},
		{testSecret, "a", "bc"},
		{testSecret, "a\x00b", "c"},
		{testSecret, "a", "b\x00c"},
		{wrongSecret, "a", "bc"},
		{testSecret, "a", "bc"},
	}
	for _, c := range cases {
		got, want := v.clientKey(c.secret, c.group, c.client), clientKey(c.secret, c.group, c.client)
		if !bytes.Equal(got, want) {
			t.Errorf("key of group %q, client %q: the cache gave another's", c.group, c.client)
		}
	}
}

// TestVerifier_ProofOverTheWire: a request signed by a client verifies
// once the coordinator decoded it (the MAC is checked over what the
// coordinator acts on), whatever its values; changed in transit, it does not.
func TestVerifier_ProofOverTheWire(t *testing.T) {
	base := Request{"group_name": "g", "client_name": "c", "role": "r", "request": "lava_send", "messageID": "m"}
	for _, tc := range []struct {
		name string
		v    any
	}{
		{"int", 3},
		{"large int", int64(1)<<60 + 1},
		{"float", 2.5},
		{"exponent", 1e21},
		{"negative zero", -0.0},
		{"numbers in an array", []any{1, 1.5, map[string]any{"n": 2}}},
		{"html and line separators", "<a & b>\u2028\u2029"},
		{"invalid utf-8", "a\xffb"},
		{"non-ascii", "héllo ☃"},
		{"nested", map[string]any{"a": map[string]any{"b": []any{true, nil, "x"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := copyAny(base)
			r["message"] = map[string]any{"v": tc.v}
			s, err := Sign(testSecret, r, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			frame, err := encodeFrame(s)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ReadFrame(bytes.NewReader(frame))
			if err != nil {
				t.Fatal(err)
			}
			var v verifier
			if err := v.verify(testSecret, got, time.Now()); err != nil {
				t.Errorf("a signed request, decoded: %v", err)
			}
			got, _ = ReadFrame(bytes.NewReader(frame))
			got["messageID"] = "other"
			if err := (&verifier{}).verify(testSecret, got, time.Now()); err == nil {
				t.Errorf("a signed request changed in transit verified")
			}
		})
	}
}
