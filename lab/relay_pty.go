package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// ConsolePty is where board n's relay links its console pseudo-terminal
// (<lab>/run/console-NN.pty): a serial port to open with
// `connection "serial" { serial { port = "<that path>" } }`.
func (l *Lab) ConsolePty(n int) string { return l.path("run", fmt.Sprintf("console-%02d.pty", n)) }

// ptyPoll is how often the relay looks whether its pty's slave is open.
const ptyPoll = 50 * time.Millisecond

// ptyWriteTimeout bounds a write to a pty whose reader stopped reading.
const ptyWriteTimeout = 5 * time.Second

// ptyClient is the relay's pseudo-terminal as a client: what looks like a
// serial port to a program that opens the slave (Relay.Pty links to it), so
// the dispatcher's serial transport (go.bug.st/serial) is exercised on the
// virtual boards as on a USB UART.
//
// The pty is a client while its slave is open: opening it takes the console
// over from a TCP client (as a new TCP client takes it over from the pty,
// which gets it back once that client has gone); closing it lets go. The
// relay writes to the master only while the pty is the client, so a later
// opener never reads an old boot's output buffered in the pty. The relay
// looks every ptyPoll (50 ms): a reopen quicker than that is the same client.
type ptyClient struct {
	fd int
}

// Write writes all of b to the master, waiting up to ptyWriteTimeout for room.
func (p *ptyClient) Write(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		n, err := unix.Write(p.fd, b[done:])
		if n > 0 {
			done += n
		}
		switch {
		case err == unix.EINTR:
		case err == unix.EAGAIN:
			pfd := []unix.PollFd{{Fd: int32(p.fd), Events: unix.POLLOUT}}
			if k, perr := unix.Poll(pfd, int(ptyWriteTimeout/time.Millisecond)); perr == nil && k == 0 {
				return done, fmt.Errorf("pty: the reader took nothing for %s", ptyWriteTimeout)
			}
		case err != nil:
			return done, err
		}
	}
	return done, nil
}

// Close is a takeover (or a write that timed out): the pty stays, its
// reader gets nothing more until it closes and reopens the slave.
func (p *ptyClient) Close() error { return nil }

// startPty makes the pseudo-terminal, links r.Pty to its slave and serves it.
func (r *Relay) startPty(ctx context.Context) error {
	master, slave, err := pty.Open()
	if err != nil {
		return fmt.Errorf("console pty: %w", err)
	}
	// Raw, without echo: the relay's own bytes must never come back as
	// keystrokes for the board. The settings stay with the pty while the
	// master is open, across the slave's openers.
	if tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS); err == nil {
		makeRaw(tio)
		_ = unix.IoctlSetTermios(int(slave.Fd()), unix.TCSETS, tio)
	}
	tmp := r.Pty + ".new"
	_ = os.Remove(tmp)
	if err := os.MkdirAll(filepath.Dir(r.Pty), 0o755); err == nil {
		err = os.Symlink(slave.Name(), tmp)
	}
	if err == nil {
		err = os.Rename(tmp, r.Pty)
	}
	slave.Close()
	if err != nil {
		master.Close()
		return fmt.Errorf("console pty: link %s: %w", r.Pty, err)
	}
	fd := int(master.Fd())
	if err := unix.SetNonblock(fd, true); err != nil {
		master.Close()
		return fmt.Errorf("console pty: %w", err)
	}
	go func() {
		defer master.Close()
		defer os.Remove(r.Pty)
		r.ptyLoop(ctx, &ptyClient{fd: fd})
	}()
	return nil
}

// ptyLoop follows the slave's openers and forwards what they type to the
// board while the pty is the client.
func (r *Relay) ptyLoop(ctx context.Context, p *ptyClient) {
	b := make([]byte, 4096)
	open := false
	for ctx.Err() == nil {
		pfd := []unix.PollFd{{Fd: int32(p.fd), Events: unix.POLLIN}}
		n, err := unix.Poll(pfd, int(ptyPoll/time.Millisecond))
		if err != nil && !errors.Is(err, unix.EINTR) {
			return
		}
		if n == 0 { // open, and quiet
			r.ptyAttach(p, !open)
			open = true
			continue
		}
		if pfd[0].Revents&unix.POLLHUP != 0 {
			if open {
				r.ptyDetach(p)
				open = false
			}
			// What the last opener typed and the relay did not take yet is
			// not the next opener's.
			for k, _ := unix.Read(p.fd, b); k > 0; k, _ = unix.Read(p.fd, b) {
			}
			time.Sleep(ptyPoll) // HUP keeps the poll from waiting
			continue
		}
		r.ptyAttach(p, !open)
		open = true
		k, err := unix.Read(p.fd, b)
		if k <= 0 || err != nil {
			continue
		}
		r.mu.Lock()
		board := r.board
		mine := r.client == p
		r.mu.Unlock()
		if mine && board != nil {
			_, _ = board.Write(b[:k])
		}
	}
}

// ptyAttach makes the pty the client when its slave was just opened
// (taking over from a TCP client), or when the slave is open and nobody else
// is the client (a TCP client that took over has gone).
func (r *Relay) ptyAttach(p *ptyClient, opened bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client == p || (!opened && r.client != nil) {
		return
	}
	if r.client != nil {
		r.client.Close()
	}
	r.client = p
	r.accepted++
	if r.board != nil {
		r.attached = true
	}
	if len(r.buf) > 0 {
		if _, err := p.Write(r.buf); err != nil {
			r.client = nil
		}
		r.buf = nil
	}
}

// ptyDetach: the slave's last opener closed it.
func (r *Relay) ptyDetach(p *ptyClient) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client == p {
		r.client = nil
	}
}

// makeRaw is cfmakeraw(3).
func makeRaw(t *unix.Termios) {
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
}
