package console

import (
	"context"
	"errors"
	"os"
	"time"
)

// Who reads the transport.
//
// One party at a time reads the transport and passes what it read on
// (deliver): the reader goroutine, or an Expect that found nothing left
// to search. Handing every burst from the reader goroutine to a waiting
// Expect costs a wake-up of another goroutine (and, on a busy machine, a
// wait for a CPU) per burst; an Expect that reads itself costs what a
// plain read loop costs. A transport with a read deadline (pty, socket)
// can be read that way: the deadline interrupts the reader goroutine's
// read when an Expect wants to read, bounds the Expect's own read by its
// timeout, and a cancellation moves it to the past.
//
// The Expect side keeps the role between Expect calls (the test shell
// calls Expect thousands of times a minute); once no Expect has read for
// graceIdle, the role goes back to the reader goroutine, so that output
// is logged, recorded and kept (up to maxPending) while nobody waits.
// Transports without deadlines (serial, ssh, test fakes) are only read by
// the reader goroutine.

// deadliner is a transport whose reads a deadline interrupts.
type deadliner interface {
	SetReadDeadline(t time.Time) error
}

const (
	roleNone   = iota // nobody reads
	roleReader        // the reader goroutine reads
	roleExpect        // an Expect reads (or the last one did, see graceIdle)

	graceIdle = 5 * time.Millisecond // Expect idle this long: the reader goroutine reads again
)

// past is a deadline that has passed: it interrupts a read at once.
var past = time.Unix(1, 0)

// setDeadline sets the transport's read deadline unless it is set already
// (c.mu held).
func (c *Console) setDeadline(t time.Time) {
	if c.dl == nil || t.Equal(c.dlAt) {
		return
	}
	_ = c.dl.SetReadDeadline(t)
	c.dlAt = t
}

// takeReaderRole waits until the reader goroutine may read and takes the
// role; false: it should stop (the connection ended, or Close).
func (c *Console) takeReaderRole() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.dl != nil && (c.role == roleExpect || c.xwant) && c.rerr == nil {
		ch := c.roleFree
		c.mu.Unlock()
		select {
		case <-ch:
		case <-c.stop:
			// Closed: read the closed transport's end once more (the
			// transcript records it), unless an Expect is reading.
			c.mu.Lock()
			if c.xreading || c.rerr != nil {
				return false
			}
			c.role = roleReader
			c.setDeadline(time.Time{})
			return true
		}
		c.mu.Lock()
	}
	if c.rerr != nil {
		return false
	}
	c.role = roleReader
	c.setDeadline(time.Time{})
	return true
}

// wakeReader lets a parked reader goroutine look again (c.mu held).
func (c *Console) wakeReader() {
	close(c.roleFree)
	c.roleFree = make(chan struct{})
}

// readDirect is Expect's step when nothing is pending (c.mu held; it
// returns with c.mu released): read the transport itself when the role is
// free or already the Expect side's and report true; otherwise ask the
// reader goroutine to give way (it interrupts its read and tells the
// waiting Expect through c.changed) and report false.
func (c *Console) readDirect(ctx context.Context, deadline time.Time, cancelWatch *func() bool) (read bool) {
	if c.role == roleReader {
		c.xwant = true
		c.setDeadline(past)
		return false
	}
	c.role = roleExpect
	c.xreading = true
	c.xgen++
	c.setDeadline(deadline)
	c.mu.Unlock()
	if *cancelWatch == nil && ctx.Done() != nil {
		*cancelWatch = context.AfterFunc(ctx, c.interrupt)
	}
	// A plain read: a burst read (ReadBurst) saves hand-offs between the
	// reader goroutine and Expect, none here, and would cost a read more
	// (the one that finds nothing left) for each burst.
	n, err := c.conn.Read(c.rbuf)
	c.mu.Lock()
	c.xreading = false
	c.mu.Unlock()
	if n == 0 && errors.Is(err, os.ErrDeadlineExceeded) {
		return true // the caller looks at its deadline and ctx
	}
	c.deliver(c.rbuf[:n], err, false)
	return true
}

// interrupt ends the Expect side's read at once (a cancelled ctx).
func (c *Console) interrupt() {
	c.mu.Lock()
	if c.role == roleExpect {
		c.setDeadline(past)
	}
	c.mu.Unlock()
}

// release is called as an Expect returns: a role it took stays with the
// Expect side until Expect has been idle for graceIdle.
func (c *Console) release() {
	if c.dl == nil {
		return
	}
	c.mu.Lock()
	want := c.xwant
	c.xwant = false
	switch {
	case c.role == roleExpect:
		c.xgen++
		if !c.graceArmed && !c.closed {
			c.armGrace()
		}
	case want:
		c.wakeReader()
	}
	c.mu.Unlock()
}

// armGrace starts the idle check (c.mu held).
func (c *Console) armGrace() {
	c.graceGen = c.xgen
	c.graceArmed = true
	if c.grace == nil {
		c.grace = time.AfterFunc(graceIdle, c.graceCheck)
	} else {
		c.grace.Reset(graceIdle)
	}
}

// graceCheck gives the role back to the reader goroutine when no Expect
// has read since the last check.
func (c *Console) graceCheck() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.graceArmed = false
	if c.role != roleExpect || c.closed {
		return
	}
	if c.xreading {
		return // its release arms the check again
	}
	if c.xgen != c.graceGen || !c.xmu.TryLock() {
		// Expect read or returned since the last check, or one is running
		// (searching: a busy machine may have stopped its thread for
		// longer than graceIdle).
		c.armGrace()
		return
	}
	c.xmu.Unlock()
	c.role = roleNone
	c.wakeReader()
}
