package coordinator

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Wait is WaitFrom an in-process client.
func (c *Coordinator) Wait(ctx context.Context, req Request) (Reply, error) {
	return c.WaitFrom(ctx, InProcess, req)
}

// WaitFrom answers a request like HandleFrom, but while the answer is "wait" it blocks
// until the group changes and asks again: a sync is released the moment the
// last peer arrives. It fails at once when a peer of the group has failed
// (lavacore_fail), naming it, and when ctx ends, naming the message ID and who
// has and has not arrived.
func (c *Coordinator) WaitFrom(ctx context.Context, p Peer, req Request) (Reply, error) {
	var recheck *time.Timer
	for {
		r, ch, failed, again := c.step(p, req, nil)
		if r["response"] != "wait" {
			return own(r), nil
		}
		if len(failed) > 0 {
			return nil, &PeerError{Request: str(req, "request"), MessageID: str(req, "messageID"), Failed: failed}
		}
		if again {
			continue
		}
		if recheck == nil {
			recheck = time.NewTimer(5 * time.Second)
			defer recheck.Stop()
		} else {
			recheck.Reset(5 * time.Second)
		}
		select {
		case <-ch: // nil (no group): only the periodic re-check or ctx can end the wait
		case <-ctx.Done():
			return nil, &TimeoutError{Request: str(req, "request"), MessageID: str(req, "messageID"),
				Who: c.Missing(str(req, "group_name"), req), Err: ctx.Err()}
		case <-recheck.C:
			// a periodic re-check: cheap, and robust against a missed wake-up
		}
	}
}

// step answers req once, under the lock. While the answer is "wait" it also
// returns the channel closed at the group's next change, the group's failed
// peers (not for clear_group), and again when the request itself changed
// the group (ask again at once); with park, the request is parked: the
// group's next change answers it (settle).
func (c *Coordinator) step(p Peer, req Request, park *parked) (r Reply, ch <-chan struct{}, failed []string, again bool) {
	c.lock()
	defer c.unlock()
	return c.stepLocked(p, req, park)
}

func (c *Coordinator) stepLocked(p Peer, req Request, park *parked) (r Reply, ch <-chan struct{}, failed []string, again bool) {
	name := str(req, "group_name")
	var before chan struct{}
	if g := c.groups[name]; g != nil {
		before = g.changed
	}
	r = c.handleLogged(p, req)
	if r["response"] != "wait" {
		return r, nil, nil, false
	}
	g := c.groups[name]
	if g == nil {
		return r, nil, nil, false
	}
	if g.changed != before {
		return r, nil, nil, true // this request created or changed the group
	}
	if str(req, "request") != "clear_group" {
		failed = g.failedPeers(str(req, "client_name"))
	}
	if park != nil && len(failed) == 0 {
		if g.parked == nil {
			g.parked = map[*parked]struct{}{}
		}
		g.parked[park] = struct{}{}
		park.g = g
	}
	return r, g.changed, failed, false
}

// answer is HandleFrom for the server: the reply, and its frame if the
// group has it encoded (group_data; the reply is then shared: read only).
func (c *Coordinator) answer(p Peer, req Request) (Reply, []byte) {
	c.lock()
	defer c.unlock()
	r := c.handleLogged(p, req)
	return r, c.frameLocked(req, r)
}

// frameOf is the encoded frame of a group_data reply r to req, or nil.
func (c *Coordinator) frameOf(req Request, r Reply) []byte {
	if r["response"] != "group_data" {
		return nil
	}
	c.lock()
	defer c.unlock()
	return c.frameLocked(req, r)
}

func (c *Coordinator) frameLocked(req Request, r Reply) []byte {
	if r["response"] != "group_data" {
		return nil
	}
	// r is the group's data unless the group went and came back since.
	if g := c.groups[str(req, "group_name")]; g != nil && g.data != nil &&
		reflect.ValueOf(r).UnsafePointer() == reflect.ValueOf(g.data).UnsafePointer() {
		return g.dataFrame
	}
	return nil
}

// PeerError is a wait that cannot succeed because a peer failed.
type PeerError struct {
	Request, MessageID string
	Failed             []string
}

func (e *PeerError) Error() string {
	return fmt.Sprintf("%s %s: peer sub-job failed: %s", e.Request, e.MessageID, strings.Join(e.Failed, "; "))
}

// TimeoutError is a wait that ran out of time.
type TimeoutError struct {
	Request, MessageID, Who string
	Err                     error
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("lava-multinode: %s timed out (%v); %s", e.What(), e.Err, e.Who)
}

// What is the request that waited, with its message ID.
func (e *TimeoutError) What() string {
	what := e.Request
	if e.MessageID != "" {
		what += " " + e.MessageID
	}
	return what
}

func (e *TimeoutError) Unwrap() error { return e.Err }
