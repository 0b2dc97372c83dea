package coordinator

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// FuzzCoordinatorRequests plays several clients' request sequences, derived
// from the input, against the state machine with small limits and a fake
// clock (no network, no real time), and checks after every request that the
// limits hold and the bookkeeping matches what the groups hold.
func FuzzCoordinatorRequests(f *testing.F) {
	f.Add([]byte{0, 0, 0, 2, 0, 1, 0, 2, 1, 0, 1, 3, 2, 1, 1, 0, 5, 0, 0, 0, 5, 1, 0, 0, 6, 0, 0, 2, 6, 1, 0, 2})
	f.Add([]byte{0, 3, 0, 2, 0, 4, 0, 2, 1, 3, 2, 40, 1, 4, 3, 40, 1, 3, 4, 200, 9, 0, 0, 250, 0, 0, 0, 2})
	f.Add([]byte(strings.Repeat("\x05\x01\x02\x03\x01\x00\x01\x02\x0a\x02\x00\xff", 8)))
	f.Fuzz(func(t *testing.T, data []byte) {
		now := time.Unix(1_700_000_000, 0)
		c := New()
		c.Now = func() time.Time { return now }
		c.Limits = Limits{MaxGroups: 3, MaxGroupSize: 3, MaxMessages: 6, MaxGroupBytes: 4096, MaxTotalBytes: 8192, IdleGroup: 10 * time.Minute}
		secret := []byte("fuzz-secret-fuzz-secret")
		var ver verifier
		ver.max = 8
		type actor struct {
			client, role string
			peer         Peer
		}
		actors := []actor{
			{"a", "host", Peer{Addr: "10.0.0.1"}},
			{"b", "guest", Peer{Addr: "10.0.0.2"}},
			{"c", "guest", Peer{Addr: "10.0.0.3"}},
			{"a", "guest", Peer{Addr: "10.0.0.9"}}, // a stranger using a's name
			{"b", "guest", Peer{Authenticated: true}},
			{"d\n", "x", Peer{Addr: "10.0.0.4"}}, // an invalid name
		}
		requests := []string{"group_data", "lava_send", "lava_wait", "lava_wait_all", "lava_sync", "clear_group",
			"lavacore_fail", "lava_wait_all", "bogus", "lavacore_hello", "watch", "signed"}
		for len(data) >= 4 {
			op, who, sel, extra := data[0], data[1], data[2], data[3]
			data = data[4:]
			a := actors[int(who)%len(actors)]
			group := fmt.Sprint("g", sel%4)
			req := Request{"request": requests[int(op)%len(requests)], "group_name": group, "client_name": a.client,
				"role": a.role, "hostname": "w", "group_size": float64(extra % 5), "messageID": fmt.Sprint("m", sel%6)}
			switch req["request"] {
			case "lava_send":
				req["message"] = map[string]any{"k": strings.Repeat("v", int(extra)*8)}
			case "lava_wait_all":
				if op%2 == 1 {
					req["waitrole"] = []string{"host", "guest", "nosuch"}[int(extra)%3]
				}
			case "watch": // a watch connection opens, then drops
				c.watch(group, 1)
				c.dropped(group, a.client, a.peer, "fuzz: dropped")
				c.watch(group, -1)
				req["request"] = "lava_wait"
			case "signed": // a proof checked with the fake clock, maybe forged
				req["request"] = "lava_send"
				s, err := Sign(secret, req, now.Add(time.Duration(int(extra)-128)*3*time.Second))
				if err != nil {
					t.Fatal(err)
				}
				if extra%7 == 0 {
					s["group_name"] = "g9" // the proof moved to another group
				}
				// The coordinator checks what it decoded from the wire.
				frame, err := encodeFrame(s)
				if err != nil {
					t.Fatal(err)
				}
				if s, err = ReadFrame(bytes.NewReader(frame)); err != nil {
					t.Fatal(err)
				}
				a.peer = Peer{Addr: "10.0.0.5", Authenticated: ver.verify(secret, s, now) == nil}
			}
			r := c.HandleFrom(a.peer, req)
			switch r["response"] {
			case "ack", "nack", "wait", "group_data":
			default:
				t.Fatalf("request %v: reply %v", req, r)
			}
			_ = c.Missing(group, req)
			if err := c.invariants(); err != nil {
				t.Fatalf("after %v from %+v (reply %v): %v", req, a.peer, r, err)
			}
			now = now.Add(time.Duration(extra) * time.Second * time.Duration(1+int(op)%8*60))
		}
	})
}
