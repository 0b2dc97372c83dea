package lab

import (
	"context"
	"net"
	"sync"
	"time"
)

// MaxBuffered is how much board output the relay keeps while no client is connected.
const MaxBuffered = 1 << 20

// Relay holds a board's console (QEMU's chardev unix socket, which comes and
// goes with power) and serves it to one TCP client at a time, so a dispatcher
// that connects before power-on sees the firmware's first lines: output that
// arrives while nobody is connected is kept (up to MaxBuffered) and replayed.
type Relay struct {
	Socket string
	Listen string

	mu     sync.Mutex
	client net.Conn
	board  net.Conn
	buf    []byte
}

// Run serves until ctx ends.
func (r *Relay) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", r.Listen)
	if err != nil {
		return err
	}
	go func() { <-ctx.Done(); ln.Close() }()
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
			r.client.Close() // a new client takes over (ser2net's kickolduser)
		}
		r.client = c
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

// boardLoop connects to the board's socket whenever it exists and forwards its output.
func (r *Relay) boardLoop(ctx context.Context) {
	b := make([]byte, 4096)
	for ctx.Err() == nil {
		conn, err := net.Dial("unix", r.Socket)
		if err != nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		r.mu.Lock()
		r.board = conn
		r.buf = nil // output kept from an earlier power-on is stale now
		r.mu.Unlock()
		for {
			n, err := conn.Read(b)
			if n > 0 {
				r.mu.Lock()
				if r.client != nil {
					if _, werr := r.client.Write(b[:n]); werr != nil {
						r.client.Close()
						r.client = nil
					}
				} else {
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
