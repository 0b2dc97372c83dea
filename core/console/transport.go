package console

import (
	"context"
	"errors"
	"fmt"
	"github.com/lavacore/lavacore/sdk/shlex"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/creack/pty"

	"github.com/lavacore/lavacore/sdk"
)

// Conn is a console transport. Close ends the connection and, for a
// command, kills the command's whole process group.
type Conn interface {
	io.ReadWriteCloser
	// String says what is connected ("command 'telnet localhost 7000'", "tcp 127.0.0.1:7000", …).
	String() string
}

// DefaultConnectTimeout bounds connection retries when ctx has no deadline.
const DefaultConnectTimeout = 30 * time.Second

// Open opens the transport spec names. Exactly one of Command, TCP,
// Serial and SSH is used, in that order of precedence. TCP may also name a
// unix socket, as "unix:/path" or an absolute path.
//
// TCP, unix and ssh connections are retried until ctx's deadline (or
// DefaultConnectTimeout): a QEMU serial socket or an sshd may not be
// listening yet when the board is powered on.
func Open(ctx context.Context, spec sdk.ConsoleSpec) (Conn, error) {
	switch {
	case spec.Command != "":
		return OpenCommand(ctx, spec.Command)
	case strings.HasPrefix(spec.TCP, "unix:"):
		return DialUnix(ctx, strings.TrimPrefix(spec.TCP, "unix:"))
	case strings.HasPrefix(spec.TCP, "/"):
		return DialUnix(ctx, spec.TCP)
	case spec.TCP != "":
		return DialTCP(ctx, spec.TCP)
	case spec.Serial != "":
		return OpenSerial(SerialSettingsOf(spec))
	case spec.SSH != nil:
		return DialSSH(ctx, *spec.SSH)
	}
	return nil, sdk.ConfigErrorf("console: no connection given (connection_command, tcp, serial or ssh)")
}

// ---- command under a pty ----

type cmdConn struct {
	desc string
	pty  *os.File
	raw  syscall.RawConn // of the pollable pty (for ReadBurst), or nil
	cmd  *exec.Cmd

	once    sync.Once
	closing atomic.Bool // Close was called
	done    chan struct{}
	err     error
}

// OpenCommand runs cmd (split like shlex, no shell, as LAVA's
// pexpect.spawn) on a new pty of 24x80, in its own session and process
// group. Reading returns what the command prints (io.EOF once it exits and
// its output is drained); Close kills the process group with SIGKILL.
func OpenCommand(ctx context.Context, cmd string) (Conn, error) {
	argv, err := shlex.Split(cmd)
	if err != nil {
		return nil, sdk.ConfigErrorf("connection command %q: %v", cmd, err)
	}
	if len(argv) == 0 {
		return nil, sdk.ConfigErrorf("connection command is empty")
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return nil, sdk.InfraErrorf("connection command %q: %v", cmd, err)
	}
	c := exec.Command(path, argv[1:]...)
	c.Args[0] = argv[0]
	// pty.Start sets Setsid and Setctty: the child leads a new session and
	// process group (pgid == pid), so Close can kill everything it started.
	f, err := pty.StartWithSize(c, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		return nil, sdk.InfraErrorf("connection command %q: %v", cmd, err)
	}
	// creack/pty hands back the master in blocking mode (it calls Fd), so
	// deadlines and Close could not interrupt a Read: use a non-blocking
	// duplicate that Go's poller manages.
	var raw syscall.RawConn
	if nf, err := pollable(f); err == nil {
		f = nf
		raw, _ = f.SyscallConn()
	}
	cc := &cmdConn{desc: fmt.Sprintf("command '%s'", cmd), pty: f, raw: raw, cmd: c, done: make(chan struct{})}
	go func() {
		cc.err = c.Wait()
		close(cc.done)
	}()
	return cc, nil
}

func (c *cmdConn) String() string { return c.desc }

// pollable returns a non-blocking duplicate of f (closing f), or an error
// and f untouched.
func pollable(f *os.File) (*os.File, error) {
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		return nil, err
	}
	syscall.CloseOnExec(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	nf := os.NewFile(uintptr(fd), f.Name())
	f.Close()
	return nf, nil
}

func (c *cmdConn) Read(p []byte) (int, error) {
	n, err := c.pty.Read(p)
	if err != nil && n == 0 {
		// Linux reports EIO on the master once the child side is gone.
		if errors.Is(err, syscall.EIO) || errors.Is(err, os.ErrClosed) {
			return 0, io.EOF
		}
	}
	return n, err
}

// ReadBurst is Read taking all the pty holds, up to len(p): the master
// hands out at most 4 KiB a read (see readBurst).
func (c *cmdConn) ReadBurst(p []byte) (int, error) {
	if c.raw == nil {
		return c.Read(p) // a blocking descriptor
	}
	n, err := readBurst(c.raw, p)
	if err != nil && n == 0 && (errors.Is(err, syscall.EIO) || errors.Is(err, os.ErrClosed) || c.closing.Load()) {
		return 0, io.EOF // as Read (a raw read of a closed file says "use of closed file")
	}
	return n, err
}

func (c *cmdConn) Write(p []byte) (int, error) { return c.pty.Write(p) }

// SetReadDeadline bounds a pending or future Read (the pty is pollable).
func (c *cmdConn) SetReadDeadline(t time.Time) error { return c.pty.SetReadDeadline(t) }

func (c *cmdConn) Close() error {
	c.closing.Store(true)
	c.once.Do(func() {
		if c.cmd.Process != nil {
			_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		}
		select {
		case <-c.done:
		case <-time.After(5 * time.Second):
		}
		_ = c.pty.Close()
	})
	return nil
}

// Pid is the command's process id (its process group id too).
func (c *cmdConn) Pid() int { return c.cmd.Process.Pid }

// ---- tcp and unix sockets ----

type netConn struct {
	net.Conn
	desc string
	raw  syscall.RawConn // for ReadBurst, or nil
}

func (c *netConn) String() string { return c.desc }

// ReadBurst is Read taking all the socket holds, up to len(p).
func (c *netConn) ReadBurst(p []byte) (int, error) {
	if c.raw == nil {
		return c.Read(p)
	}
	return readBurst(c.raw, p)
}

// readBurst reads into p from a non-blocking descriptor: it waits (through
// Go's poller: deadlines and Close interrupt it) for the first bytes, then
// takes whatever else is there already, until p is full or nothing more is
// there. One pass of the console's reader then hands a whole burst of
// output to a waiting Expect: one wake-up per burst, not per 4 KiB. An
// error after some bytes is left for the next call.
func readBurst(raw syscall.RawConn, p []byte) (int, error) {
	n := 0
	var rerr error
	err := raw.Read(func(fd uintptr) bool {
		for n < len(p) {
			k, err := syscall.Read(int(fd), p[n:])
			switch {
			case err == syscall.EINTR:
				continue
			case err == syscall.EAGAIN:
				return n > 0 // nothing yet: wait for the poller
			case err != nil:
				rerr = err
				return true
			case k == 0:
				if n == 0 {
					rerr = io.EOF
				}
				return true
			}
			n += k
		}
		return true
	})
	switch {
	case n > 0:
		return n, nil
	case rerr != nil:
		return 0, rerr
	}
	return 0, err
}

// DialTCP connects to host:port, retrying refused connections until ctx's
// deadline (or DefaultConnectTimeout).
func DialTCP(ctx context.Context, addr string) (Conn, error) {
	return dialRetry(ctx, "tcp", addr)
}

// DialUnix connects to a unix stream socket, retrying like DialTCP.
func DialUnix(ctx context.Context, path string) (Conn, error) {
	return dialRetry(ctx, "unix", path)
}

func dialRetry(ctx context.Context, network, addr string) (Conn, error) {
	ctx, cancel := connectContext(ctx)
	defer cancel()
	start := time.Now()
	var d net.Dialer
	var last error
	for {
		c, err := d.DialContext(ctx, network, addr)
		if err == nil {
			nc := &netConn{Conn: c, desc: network + " " + addr}
			if sc, ok := c.(syscall.Conn); ok {
				nc.raw, _ = sc.SyscallConn() // Go keeps its sockets non-blocking
			}
			return nc, nil
		}
		last = err
		select {
		case <-ctx.Done():
			return nil, sdk.InfraErrorf("could not connect to console %s %s within %s: %v", network, addr, time.Since(start).Round(time.Millisecond), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func connectContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, DefaultConnectTimeout)
}
