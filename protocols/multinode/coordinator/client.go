package coordinator

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Client sends requests to a coordinator and returns the first answer that
// is not "wait".
type Client interface {
	Call(ctx context.Context, req Request) (Reply, error)
}

// Embedded is a client of an in-process Coordinator (push: no polling).
type Embedded struct{ C *Coordinator }

// Call implements Client.
func (e Embedded) Call(ctx context.Context, req Request) (Reply, error) { return e.C.Wait(ctx, req) }

// TCP is a client of a coordinator at Addr. With Poll it speaks LAVA's poll
// protocol (what Debian's lava-coordinator understands): it resends the
// request every PollDelay while the answer is "wait", and retries connection
// errors. Without Poll it asks lavacore's coordinator to hold the request
// until it is answered (push).
type TCP struct {
	Addr      string
	Poll      bool
	PollDelay time.Duration
	// Dial timeout of one connection (default 10 s).
	DialTimeout time.Duration
	// Logf receives a line now and then while a poll waits.
	Logf func(format string, a ...any)
	// Secret, if set, signs every request (lavacore's coordinator requires
	// it; LAVA's ignores the proof).
	Secret []byte
	// AuthRequired: the coordinator said it requires a proof (Detect).
	AuthRequired bool
	// Heartbeat is how often a watch connection says it is alive (default 20 s).
	Heartbeat time.Duration
}

// Detect asks the coordinator at addr whether it is lavacore's (push) or
// LAVA's (poll) and returns a client for it.
func Detect(ctx context.Context, addr string) (*TCP, error) {
	t := &TCP{Addr: addr, PollDelay: time.Second}
	// LAVA's coordinator dies on a request without group_name, and nacks an
	// unknown group without group_size: this hello is safe for both.
	r, err := t.once(ctx, Request{"request": "lavacore_hello", "group_name": "lavacore-hello", "client_name": "hello",
		"role": "hello", "hostname": "lavacore"}, false)
	if err != nil && !errors.Is(err, ErrEmpty) {
		return nil, fmt.Errorf("coordinator %s: %w", addr, err)
	}
	t.Poll = r == nil || r["push"] != true
	t.AuthRequired = r != nil && r["auth"] == "required"
	return t, nil
}

// Call implements Client.
func (t *TCP) Call(ctx context.Context, req Request) (Reply, error) {
	delay := t.PollDelay
	if delay <= 0 {
		delay = time.Second
	}
	start := time.Now()
	lastLog := start
	for {
		r, err := t.once(ctx, req, !t.Poll)
		switch {
		case err == nil && !t.Poll && r["error"] != nil && r["response"] != "ack":
			// lavacore's coordinator says why a push wait ended without an answer
			return nil, fmt.Errorf("%v", r["error"])
		case err == nil && r["response"] != "wait":
			return r, nil
		case errors.Is(err, ErrTooLong):
			return nil, err // the same request would be refused again
		case err != nil && ctx.Err() != nil:
			return nil, &TimeoutError{Request: str(req, "request"), MessageID: str(req, "messageID"),
				Who: fmt.Sprintf("last error: %v", err), Err: ctx.Err()}
		}
		// "wait", an empty reply (LAVA: same as wait) or a connection error: try again.
		if t.Logf != nil && time.Since(lastLog) > 10*delay {
			t.Logf("%s %s: waited %s", str(req, "request"), str(req, "messageID"), time.Since(start).Round(time.Second))
			lastLog = time.Now()
		}
		select {
		case <-ctx.Done():
			return nil, &TimeoutError{Request: str(req, "request"), MessageID: str(req, "messageID"),
				Who: fmt.Sprintf("the coordinator at %s kept answering wait", t.Addr), Err: ctx.Err()}
		case <-time.After(delay):
		}
	}
}

// once sends one request on a new connection and reads the reply.
func (t *TCP) once(ctx context.Context, req Request, push bool) (Reply, error) {
	dt := t.DialTimeout
	if dt <= 0 {
		dt = 10 * time.Second
	}
	d := net.Dialer{Timeout: dt}
	conn, err := d.DialContext(ctx, "tcp", t.Addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if push {
		// lavacore's coordinator has said all it will once the reply is
		// read: close with a reset, which costs both ends less than the
		// FIN exchange and leaves no TIME_WAIT socket behind (a sync
		// releases hundreds of clients at once).
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		req = copyAny(req)
		req["push"] = true
		if dl, ok := ctx.Deadline(); ok {
			req["push_timeout"] = int(time.Until(dl).Seconds()) + 1
		}
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if t.Secret != nil && str(req, "request") != "lavacore_hello" {
		if req, err = Sign(t.Secret, req, time.Now()); err != nil {
			return nil, err
		}
	}
	if err := WriteFrame(conn, req); err != nil {
		return nil, err
	}
	if !push {
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.CloseWrite() // LAVA's clients shut down the write side after a request
		}
	}
	return ReadFrame(bufio.NewReaderSize(conn, 512)) // the header and a short reply in one read
}

// Watch opens lavacore's liveness connection for a client: while it is open
// (a heartbeat every Heartbeat) the client is alive; if the process dies,
// the coordinator fails its peers' waits at once. Close the returned closer
// after clear_group.
func (t *TCP) Watch(ctx context.Context, group, client string) (func() error, error) {
	if t.Poll {
		return func() error { return nil }, nil
	}
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", t.Addr)
	if err != nil {
		return nil, err
	}
	req := Request{"request": "lavacore_watch", "group_name": group, "client_name": client}
	if t.Secret != nil {
		if req, err = Sign(t.Secret, req, time.Now()); err != nil {
			conn.Close()
			return nil, err
		}
	}
	if err := WriteFrame(conn, req); err != nil {
		conn.Close()
		return nil, err
	}
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	r, err := ReadFrame(conn)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("coordinator %s: watch: %w", t.Addr, err)
	}
	if r["response"] != "ack" {
		conn.Close()
		return nil, fmt.Errorf("coordinator %s: watch refused: %v", t.Addr, r["error"])
	}
	every := t.Heartbeat
	if every <= 0 {
		every = 20 * time.Second
	}
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				_ = conn.SetWriteDeadline(time.Now().Add(every))
				if _, err := conn.Write([]byte{'\n'}); err != nil {
					return
				}
			}
		}
	}()
	var once sync.Once
	return func() error {
		once.Do(func() { close(done) })
		return conn.Close()
	}, nil
}
