package coordinator

import (
	"context"
	"fmt"
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
	name, me := str(req, "group_name"), str(req, "client_name")
	for {
		ch, failed, exists := c.changedCh(name, me)
		r := c.HandleFrom(p, req)
		if r["response"] != "wait" {
			return r, nil
		}
		if len(failed) > 0 && str(req, "request") != "clear_group" {
			return nil, &PeerError{Request: str(req, "request"), MessageID: str(req, "messageID"), Failed: failed}
		}
		if !exists {
			if _, _, now := c.changedCh(name, me); now {
				continue // this request created the group: watch it from now on
			}
			ch = nil // no group: only the periodic re-check or ctx can end the wait
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, &TimeoutError{Request: str(req, "request"), MessageID: str(req, "messageID"),
				Who: c.Missing(name, req), Err: ctx.Err()}
		case <-time.After(5 * time.Second):
			// a periodic re-check: cheap, and robust against a missed wake-up
		}
	}
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
