package coordinator

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// holdPush sends a signed push request on a new connection and returns the
// connection, held by the coordinator until it answers.
func holdPush(t *testing.T, l *attackLab, client, role, request string, kv ...any) net.Conn {
	t.Helper()
	return holdPushVia(t, l, dialFrom(t, "127.0.0.1", l.auth), client, role, request, kv...)
}

func holdPushVia(t *testing.T, l *attackLab, conn net.Conn, client, role, request string, kv ...any) net.Conn {
	t.Helper()
	r := Request{"group_name": "held", "client_name": client, "role": role, "hostname": "w", "request": request,
		"group_size": 3, "push": true, "push_timeout": 60}
	for i := 0; i+1 < len(kv); i += 2 {
		r[kv[i].(string)] = kv[i+1]
	}
	t.Cleanup(func() { conn.Close() })
	if err := WriteFrame(conn, sign(t, l.secret, r)); err != nil {
		t.Fatal(err)
	}
	return conn
}

// readAnswer reads the one answer of a held connection (10 s sanity bound).
func readAnswer(t *testing.T, conn net.Conn) Reply {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	r, err := ReadFrame(bufio.NewReader(conn))
	if err != nil {
		t.Fatalf("a held request's answer: %v", err)
	}
	return r
}

// waitParked waits until n requests of group "held" are parked.
func waitParked(t *testing.T, c *Coordinator, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		got := 0
		if g := c.groups["held"]; g != nil {
			got = len(g.parked)
		}
		c.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 10s waiting for %d held requests to park (%d did)", n, got)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestServerReleasesHeldWaits: held push requests of two members are
// answered over their connections by the change a third member makes.
func TestServerReleasesHeldWaits(t *testing.T) {
	for _, tc := range []struct {
		name, request string
		kv            []any
		change        func(t *testing.T, l *attackLab, m actor)
		want          string // in the answer, as JSON
	}{
		{"the last sync arrival", "lava_sync", []any{"messageID", "s"}, func(t *testing.T, l *attackLab, m actor) {
			readAnswer(t, holdPush(t, l, m.client, m.role, "lava_sync", "messageID", "s"))
		}, `"message":"s","response":"ack"`},
		{"a send", "lava_wait", []any{"messageID", "ip"}, func(t *testing.T, l *attackLab, m actor) {
			l.ask(t, m, "held", "lava_send", "messageID", "ip", "message", map[string]any{"ip": "10.0.0.1"})
		}, `"message":{"c":{"ip":"10.0.0.1"}},"response":"ack"`},
		{"a peer's failure", "lava_wait", []any{"messageID", "ip"}, func(t *testing.T, l *attackLab, m actor) {
			l.ask(t, m, "held", "lavacore_fail", "reason", "kernel panic")
		}, `c (host): kernel panic`},
		{"the group filling", "group_data", nil, func(t *testing.T, l *attackLab, m actor) {
			l.ask(t, m, "held", "group_data", "group_size", 3)
		}, `"roles":{"a":"guest","b":"guest","c":"host"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newAttackLab(t, labOptions{})
			c := actor{client: "c", role: "host", ip: "127.0.0.1", secret: l.secret}
			if tc.request != "group_data" {
				for _, cl := range []string{"a", "b"} {
					holdPush(t, l, cl, "guest", "group_data")
				}
				l.ask(t, c, "held", "group_data", "group_size", 3)
			}
			a := holdPush(t, l, "a", "guest", tc.request, tc.kv...)
			b := holdPush(t, l, "b", "guest", tc.request, tc.kv...)
			waitParked(t, l.c, 2)
			tc.change(t, l, c)
			for _, conn := range []net.Conn{a, b} {
				if got := js(readAnswer(t, conn)); !strings.Contains(got, tc.want) {
					t.Errorf("answer %s, want %s in it", got, tc.want)
				}
			}
		})
	}
}

// TestCoordinator_HeldClientThatNeverReadsALargeAnswer: a member holds a
// lava_wait for a large message and never reads its connection (its
// receive window small from the start). The member that sends the message
// gets its ack, and the other waiting member the message: the goroutine
// that releases a group writes only answers of at most inlineFrame bytes
// (a fresh connection takes them whole), a larger one is written by the
// held request's own goroutine. (On loopback the kernel takes some 2 MB
// from a write before it blocks, more than a frame: this test checks that
// large answers arrive, it cannot see a stall here.)
func TestCoordinator_HeldClientThatNeverReadsALargeAnswer(t *testing.T) {
	l := newAttackLab(t, labOptions{})
	host := actor{client: "c", role: "host", ip: "127.0.0.1", secret: l.secret}
	for _, cl := range []string{"a", "b"} {
		holdPush(t, l, cl, "guest", "group_data")
	}
	l.ask(t, host, "held", "group_data", "group_size", 3)
	// The mute member's receive buffer is small from the start (its window
	// stays small): the coordinator's side takes only so much of its answer.
	d := net.Dialer{Timeout: 10 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048) })
	}}
	mc, err := d.Dial("tcp", l.auth)
	if err != nil {
		t.Fatal(err)
	}
	holdPushVia(t, l, mc, "a", "guest", "lava_wait", "messageID", "big")
	reader := holdPush(t, l, "b", "guest", "lava_wait", "messageID", "big")
	waitParked(t, l.c, 2)
	big := strings.Repeat("x", 900<<10)
	done := make(chan Reply, 1)
	go func() {
		done <- l.ask(t, host, "held", "lava_send", "messageID", "big", "message", map[string]any{"v": big})
	}()
	select {
	case r := <-done:
		if r["response"] != "ack" {
			t.Fatalf("the send: %v", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("timed out after 10s waiting for the send's ack: a member that does not read stalled it")
	}
	if r := readAnswer(t, reader); fmt.Sprint(r["message"].(map[string]any)["c"].(map[string]any)["v"]) != big {
		t.Errorf("the reading member's answer is not the message")
	}
}

// TestCoordinator_AnsweredClientThatStaysConnected: a member keeps its
// connection open after its held request was answered; the coordinator
// closes it (at the latest at the held request's next re-check).
func TestCoordinator_AnsweredClientThatStaysConnected(t *testing.T) {
	l := newAttackLab(t, labOptions{holdTimeout: 200 * time.Millisecond})
	host := actor{client: "c", role: "host", ip: "127.0.0.1", secret: l.secret}
	for _, cl := range []string{"a", "b"} {
		holdPush(t, l, cl, "guest", "group_data")
	}
	l.ask(t, host, "held", "group_data", "group_size", 3)
	conn := holdPush(t, l, "a", "guest", "lava_wait", "messageID", "m")
	waitParked(t, l.c, 1)
	l.ask(t, host, "held", "lava_send", "messageID", "m")
	br := bufio.NewReader(conn)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := ReadFrame(br); err != nil {
		t.Fatal(err)
	}
	if _, err := br.ReadByte(); err == nil || isTimeout(err) {
		t.Fatalf("the answered connection stayed open: %v", err)
	}
}

// TestHeldRequestAnswersAsTheRequest: a held request keeps only
// heldFields; on twin coordinators, LAVA's transcript (and lavacore's own
// requests) asked in full and as held requests get the same answers.
func TestHeldRequestAnswersAsTheRequest(t *testing.T) {
	full, held := New(), New()
	for i, r := range []Request{
		req("100", "host", "group_data", "group_size", 2.0, "push", true, "push_timeout", 60.0),
		req("101", "guest", "group_data", "group_size", 2.0),
		req("101", "guest", "lava_wait_all", "messageID", "start", "waitrole", "host"),
		req("100", "host", "lava_send", "messageID", "start", "message", map[string]any{"k": "v"}),
		req("101", "guest", "lava_wait_all", "messageID", "start", "waitrole", "host"),
		req("101", "guest", "lava_wait", "messageID", "start"),
		req("100", "host", "lava_sync", "messageID", "s"),
		req("101", "guest", "lava_sync", "messageID", "s"),
		req("100", "host", "lava_sync", "messageID", "s"),
		req("101", "guest", "lavacore_fail", "reason", "kernel panic"),
		req("100", "host", "lava_wait", "messageID", "never"),
		req("100", "host", "clear_group"),
	} {
		want, got := js(full.Handle(r)), js(held.Handle(heldRequest(r)))
		if got != want {
			t.Errorf("request %d %s: held %s, in full %s", i, r["request"], got, want)
		}
		if m1, m2 := full.Missing("grp-a", r), held.Missing("grp-a", heldRequest(r)); m1 != m2 {
			t.Errorf("request %d %s: held, missing %s; in full %s", i, r["request"], m2, m1)
		}
		if g1, g2 := full.groups["grp-a"], held.groups["grp-a"]; g1 != nil && g2 != nil && js(g1.failed) != js(g2.failed) {
			t.Errorf("request %d %s: held, failed %s; in full %s", i, r["request"], js(g2.failed), js(g1.failed))
		}
	}
}
