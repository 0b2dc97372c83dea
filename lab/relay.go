package lab

import (
	"context"
	"io"
	"net"
	"sync"
	"time"
)

// MaxBuffered is how much board output the relay keeps for a client that has
// not connected yet.
const MaxBuffered = 1 << 20

// Relay holds a board's console — QEMU's chardev unix socket, which comes and
// goes with power — and serves it to one TCP client at a time, like ser2net
// in front of a real board's UART (a new client takes over from the old one).
//
// QEMU starts with wait=on, so the board runs only once the relay is
// attached: nothing it prints is lost. Output of a power-on that arrives
// before any client has connected is kept (up to MaxBuffered) and replayed to
// the first client; once a client has been attached, output while nobody is
// connected is dropped, as ser2net does, so a later client never sees an old
// boot's prompts. A power cycle starts afresh.
type Relay struct {
	Socket string // QEMU's console socket
	Listen string // TCP address to serve on (127.0.0.1:7001)
	// Pty, if set, is where the relay links a pseudo-terminal's slave: a
	// second way in, for serial console programs (see relay_pty.go).
	Pty string

	mu       sync.Mutex
	client   io.WriteCloser // a TCP connection, or the pty (ptyClient)
	board    net.Conn
	buf      []byte
	attached bool // a client was connected during this power-on
	accepted int  // clients accepted so far (tests wait on it)
	boards   int  // board connections so far (tests wait on it)
	read     int  // bytes read from boards so far (tests wait on it)
}

// state reports, under the lock, the relay's counters and whether a client
// and a board are attached. Tests synchronise on it rather than on sleeps.
func (r *Relay) state() relayState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return relayState{r.accepted, r.boards, r.read, r.client != nil, r.board != nil}
}

type relayState struct {
	accepted, boards, read int
	client, board          bool
}

// Run serves until ctx ends.
func (r *Relay) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", r.Listen)
	if err != nil {
		return err
	}
	go func() { <-ctx.Done(); ln.Close() }()
	if r.Pty != "" {
		if err := r.startPty(ctx); err != nil {
			ln.Close()
			return err
		}
	}
	go r.boardLoop(ctx)
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			continue
		}
		r.mu.Lock()
		if r.client != nil {
			r.client.Close()
		}
		r.client = c
		r.accepted++
		if r.board != nil {
			r.attached = true
		}
		if len(r.buf) > 0 {
			_, _ = c.Write(r.buf)
			r.buf = nil
		}
		r.mu.Unlock()
		go r.clientLoop(c)
	}
}

// clientLoop forwards what the client types to the board.
func (r *Relay) clientLoop(c net.Conn) {
	b := make([]byte, 4096)
	for {
		n, err := c.Read(b)
		if n > 0 {
			r.mu.Lock()
			board := r.board
			r.mu.Unlock()
			if board != nil {
				_, _ = board.Write(b[:n])
			}
		}
		if err != nil {
			r.mu.Lock()
			if r.client == c {
				r.client = nil
			}
			r.mu.Unlock()
			c.Close()
			return
		}
	}
}

// boardLoop connects to the board's socket whenever it exists (QEMU waits
// for this connection before it runs) and forwards its output.
func (r *Relay) boardLoop(ctx context.Context) {
	b := make([]byte, 32<<10)
	for ctx.Err() == nil {
		conn, err := net.Dial("unix", r.Socket)
		if err != nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		r.mu.Lock()
		r.board = conn
		r.boards++
		r.buf = nil
		r.attached = r.client != nil
		r.mu.Unlock()
		for {
			n, err := conn.Read(b)
			if n > 0 {
				r.mu.Lock()
				r.read += n
				switch {
				case r.client != nil:
					if _, werr := r.client.Write(b[:n]); werr != nil {
						r.client.Close()
						r.client = nil
					}
				case !r.attached:
					r.buf = append(r.buf, b[:n]...)
					if len(r.buf) > MaxBuffered {
						r.buf = r.buf[len(r.buf)-MaxBuffered:]
					}
				}
				r.mu.Unlock()
			}
			if err != nil {
				break
			}
		}
		r.mu.Lock()
		r.board = nil
		r.mu.Unlock()
		conn.Close()
	}
}
