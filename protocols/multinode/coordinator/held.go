package coordinator

import (
	"net"
	"time"
)

// parked is a push request the server holds: its goroutine sleeps in a
// read on conn. When the request's group changes, whoever changed it asks
// the request again (under the coordinator's lock, in settle) and writes the
// answer that is no longer "wait" (after the lock, in deliver): releasing n
// waiters is n answers and n writes in the goroutine that released them,
// not n goroutines woken to take the lock and answer one each. The
// request's own goroutine only closes the connection.
type parked struct {
	conn    net.Conn
	req     Request
	peer    Peer
	timeout time.Duration // of the write

	// Under the coordinator's lock:
	g     *group        // the group it is parked in (nil: not parked)
	reply Reply         // the answer, once it has one: the goroutine no longer asks
	frame []byte        // reply, encoded
	self  bool          // the frame is too large to write in deliver: the goroutine writes it
	done  chan struct{} // closed once deliver wrote the frame
}

// inlineFrame bounds a frame deliver writes: a fresh connection's send
// buffer takes it whole, so a client that does not read cannot block the
// goroutine that releases its group. A larger answer is written by the
// request's own goroutine.
const inlineFrame = 8 << 10

// lock and unlock guard the coordinator. unlock first answers the push
// requests that the changes made under the lock woke, then writes the
// answers after the lock is released.
func (c *Coordinator) lock() { c.mu.Lock() }

func (c *Coordinator) unlock() {
	var out []*parked
	if len(c.woken) > 0 {
		out = c.settle()
	}
	c.mu.Unlock()
	for _, w := range out {
		w.deliver()
	}
}

// settle asks every woken push request again; it returns those answered
// (their reply and frame set). Those still waiting are parked again.
func (c *Coordinator) settle() []*parked {
	var out []*parked
	acks := map[string][]byte{} // a sync releases its members with one answer: encoded once
	for len(c.woken) > 0 {
		w := c.woken[len(c.woken)-1]
		c.woken[len(c.woken)-1] = nil
		c.woken = c.woken[:len(c.woken)-1]
		r, _, failed, again := c.stepLocked(w.peer, w.req, w)
		switch {
		case r["response"] != "wait":
			w.reply, w.frame = r, c.frameLocked(w.req, r)
		case len(failed) > 0:
			w.reply = peerFailed(w.req, failed)
		case again:
			c.woken = append(c.woken, w) // it changed the group: ask again
			continue
		default:
			continue // parked again
		}
		if str(w.req, "request") == "lava_sync" && w.reply["response"] == "ack" && w.frame == nil {
			id := str(w.reply, "message")
			if acks[id] == nil {
				acks[id], _ = encodeFrame(w.reply)
			}
			w.frame = acks[id]
		}
		if w.frame == nil {
			var err error
			if w.frame, err = encodeFrame(w.reply); err != nil {
				w.frame = nil // as WriteFrame: nothing is written, the client reads "wait"
			}
		}
		w.self = len(w.frame) > inlineFrame
		if !w.self {
			w.done = make(chan struct{})
		}
		out = append(out, w)
	}
	if cap(c.woken) > 1024 {
		c.woken = nil // a release of many does not keep its slice
	}
	return out
}

// deliver writes an answer settle found, or wakes the request's goroutine
// to write a large one.
func (w *parked) deliver() {
	if w.self {
		_ = w.conn.SetReadDeadline(wakeNow)
		return
	}
	defer close(w.done)
	if w.frame != nil {
		_ = w.conn.SetWriteDeadline(time.Now().Add(w.timeout))
		_, _ = w.conn.Write(w.frame)
	}
}

// unpark forgets a parked request whose goroutine woke; it reports whether
// the coordinator answered it meanwhile (see finish).
func (c *Coordinator) unpark(w *parked) bool {
	c.lock()
	defer c.unlock()
	if w.reply != nil {
		return true
	}
	if w.g != nil {
		delete(w.g.parked, w)
		w.g = nil
	}
	return false
}

// finish is what the goroutine of an answered request does: wait for
// deliver's write, or write the large answer itself.
func (w *parked) finish() {
	if !w.self {
		<-w.done // deliver writes at most inlineFrame bytes, with a deadline
		return
	}
	if w.frame != nil {
		_ = w.conn.SetWriteDeadline(time.Now().Add(w.timeout))
		_, _ = w.conn.Write(w.frame)
	}
}
