package console

import (
	"context"
	"net"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/lavacore/lavacore/sdk"
)

// pipeConn is the console side of a net.Pipe whose other side is a scripted device.
type pipeConn struct{ net.Conn }

func (pipeConn) String() string { return "pipe" }

// logSink collects log records.
type logSink struct {
	mu   sync.Mutex
	recs []string
}

func (l *logSink) log(level sdk.LogLevel, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, string(level)+": "+msg)
}

func (l *logSink) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.recs...)
}

// newFake returns a console on a pipe and the device end of it.
func newFake(t testing.TB, opts Options) (*Console, net.Conn) {
	t.Helper()
	a, b := net.Pipe()
	c, err := New(pipeConn{a}, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); b.Close() })
	return c, b
}

// feed writes s from the device and waits until the console holds it unread.
func feed(t testing.TB, c *Console, dev net.Conn, s string) {
	t.Helper()
	c.mu.Lock()
	want := c.pendN + len(s)
	c.mu.Unlock()
	if _, err := dev.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		n := c.pendN
		c.mu.Unlock()
		if n >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 10s waiting for the console to hold %d unread bytes (it holds %d)", want, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

type sdkLevel = sdk.LogLevel

func sdkSpec(cmd string) sdk.ConsoleSpec { return sdk.ConsoleSpec{Command: cmd} }

type regexpT = regexp.Regexp

var regexpMustCompile = regexp.MustCompile
