package coordinator

// The poll side of LAVA's protocol (lava-multinode.md §2.5), as LAVA's
// dispatcher drives it in MultinodeProtocol.poll: a "wait" reply, or a
// connection closed without a reply, means "send the same request again on a
// new connection after poll_delay"; anything else ends the call.

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// scripted is a fake LAVA coordinator: the n-th connection gets replies[n]
// ("" closes without a reply); past the end it answers the last one. It
// records every request it read.
type scripted struct {
	ln      net.Listener
	replies []string
	mu      sync.Mutex
	got     []Request
}

func newScripted(t *testing.T, replies ...string) *scripted {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &scripted{ln: ln, replies: replies}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			req, err := ReadFrame(conn)
			s.mu.Lock()
			n := len(s.got)
			if err == nil {
				s.got = append(s.got, req)
			}
			s.mu.Unlock()
			if n >= len(s.replies) {
				n = len(s.replies) - 1
			}
			if r := s.replies[n]; err == nil && r != "" {
				var m Reply
				_ = jsonUnmarshal(r, &m)
				_ = WriteFrame(conn, m)
			}
			conn.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *scripted) requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.got...)
}

func TestLAVAPollProtocol(t *testing.T) {
	req := Request{"request": "lava_wait", "messageID": "ipv4", "group_name": "g", "client_name": "1", "role": "r"}
	cases := []struct {
		name    string
		replies []string
		want    string // the reply Call returns
		polls   int    // connections made
	}{
		// ports test_poller.py: test_09_lava_wait_check (the client's side) —
		// "wait" replies are polled again until the ack with the data.
		{"wait, wait, then ack", []string{wait, wait, `{"response":"ack","message":{"2":{"ipaddr":"10.0.0.5"}}}`},
			`{"message":{"2":{"ipaddr":"10.0.0.5"}},"response":"ack"}`, 3},
		// LAVA's coordinator closes without a reply on bad input (and on
		// "complete"): the dispatcher reads the empty header as "wait".
		{"no reply counts as wait", []string{"", "", ack}, ack, 3},
		// ports test_poller.py: test_13's first step (the client's side) —
		// a nack is an answer: not retried.
		{"nack is not retried", []string{nck, ack}, nck, 1},
		// ports test_poller.py: test_06 (the client's side) — group_data ends the poll.
		{"group_data ends the poll", []string{wait, `{"response":"group_data","roles":{"1":"r"}}`}, `{"response":"group_data","roles":{"1":"r"}}`, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newScripted(t, tc.replies...)
			cl := &TCP{Addr: s.ln.Addr().String(), Poll: true, PollDelay: 10 * time.Millisecond}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			got, err := cl.Call(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if js(got) != tc.want {
				t.Errorf("reply %s, want %s", js(got), tc.want)
			}
			reqs := s.requests()
			if len(reqs) != tc.polls {
				t.Errorf("%d connections, want %d", len(reqs), tc.polls)
			}
			for i, r := range reqs {
				if js(r) != js(req) || r["push"] != nil {
					t.Errorf("poll %d sent %s, want the same request %s each time", i, js(r), js(req))
				}
			}
		})
	}
}

// DELIBERATE DIFFERENCE (lava-multinode.md §6.1, §7.6 item 3): LAVA's poll
// never checks its timeout while the connection is refused and retries
// forever; lavacore's poll ends at its deadline with a timeout error.
func TestLAVAPollRefusedRespectsDeadline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	cl := &TCP{Addr: addr, Poll: true, PollDelay: 20 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = cl.Call(ctx, Request{"request": "group_data", "group_name": "g", "client_name": "1", "group_size": 2})
	var te *TimeoutError
	if !errors.As(err, &te) || te.Request != "group_data" {
		t.Fatalf("got %v, want a group_data timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the refused poll ended after %s, long after its 300ms deadline", d)
	}
}

// The poll times out while the coordinator keeps answering "wait", naming
// the request (LAVA: "protocol lava-multinode timed out").
func TestLAVAPollWaitTimesOut(t *testing.T) {
	s := newScripted(t, wait)
	cl := &TCP{Addr: s.ln.Addr().String(), Poll: true, PollDelay: 10 * time.Millisecond}
	// a second leaves room for several polls on a loaded machine
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := cl.Call(ctx, Request{"request": "lava_sync", "messageID": "clients", "group_name": "g", "client_name": "1"})
	var te *TimeoutError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "lava_sync clients timed out") {
		t.Fatalf("got %v, want a lava_sync clients timeout", err)
	}
	if n := len(s.requests()); n < 2 {
		t.Errorf("polled %d times before the timeout, want several", n)
	}
}

// ports test_multinode.py: TestProtocol.test_lava_send_too_long (the
// client's side) — a request over the frame limit fails at once and is not
// resent (it used to be retried as a connection error until the timeout).
// DELIBERATE DIFFERENCE: lavacore's limit is MaxFrame (1 MiB), LAVA's 0xFFFE characters.
func TestLAVAPollTooLongIsNotRetried(t *testing.T) {
	s := newScripted(t, ack)
	cl := &TCP{Addr: s.ln.Addr().String(), Poll: true, PollDelay: 10 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	_, err := cl.Call(ctx, Request{"request": "lava_send", "messageID": strings.Repeat("a", MaxFrame+10), "group_name": "g", "client_name": "1"})
	if !errors.Is(err, ErrTooLong) {
		t.Fatalf("got %v, want ErrTooLong", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s", d)
	}
	// below the limit but above LAVA's 0xFFFE: accepted
	if _, err := cl.Call(ctx, Request{"request": "lava_send", "messageID": strings.Repeat("a", 0xFFFE+10), "group_name": "g", "client_name": "1"}); err != nil {
		t.Fatal(err)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
