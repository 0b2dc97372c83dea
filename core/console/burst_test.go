package console

import (
	"context"
	"fmt"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// checkSignals waits for RunPatterns through the whole of a console log
// of n lines (consoleLog) and checks every match, its groups and that all
// the output up to the runner's exit was consumed.
func checkSignals(t *testing.T, c *Console, data []byte, n int) {
	t.Helper()
	ctx := ctxT(t, 30*time.Second)
	consumed, signals := 0, 0
	for {
		m, err := c.Expect(ctx, RunPatterns, 20*time.Second)
		if err != nil {
			if err.Error() != "Connection closed" {
				t.Fatal(err)
			}
			break
		}
		consumed += len(m.Before) + len(m.Text)
		switch m.Index {
		case 2:
			id := fmt.Sprintf("TEST_CASE_ID=case-%06d RESULT=pass", 3*signals)
			if len(m.Groups) != 2 || m.Groups[0] != "TESTCASE" || m.Groups[1] != id {
				t.Fatalf("signal %d: groups %q, want [TESTCASE %q]", signals, m.Groups, id)
			}
			signals++
		case 0:
			if want := (n + 2) / 3; signals != want {
				t.Fatalf("runner exit after %d signals, want %d", signals, want)
			}
			if want := len(data) - len("\r\n"); consumed != want {
				t.Fatalf("consumed %d bytes up to the exit, want %d", consumed, want)
			}
			return
		default:
			t.Fatalf("unexpected match %d %q", m.Index, m.Text)
		}
	}
	t.Fatalf("connection closed after %d signals, before the runner's exit", signals)
}

// TestBurstReadTCP: the reader's burst reads over a socket written in
// chunks of every size keep the stream whole and in order.
func TestBurstReadTCP(t *testing.T) {
	data, _ := consoleLog(30000)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		s, err := ln.Accept()
		if err != nil {
			return
		}
		defer s.Close()
		r := rand.New(rand.NewSource(1))
		for rest := data; len(rest) > 0; {
			k := min(len(rest), 1+r.Intn(20000))
			if _, err := s.Write(rest[:k]); err != nil {
				return
			}
			rest = rest[k:]
			if r.Intn(8) == 0 {
				time.Sleep(time.Millisecond) // a pause: a burst ends
			}
		}
	}()
	conn, err := DialTCP(ctxT(t, 10*time.Second), ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := conn.(burstReader); !ok {
		t.Fatal("a TCP console does not read in bursts")
	}
	c, err := New(conn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	checkSignals(t, c, data, 30000)
}

// TestBurstReadPty: the same through `cat` on a pty, and EOF once cat is
// done.
func TestBurstReadPty(t *testing.T) {
	data, _ := consoleLog(30000)
	path := filepath.Join(t.TempDir(), "console.log")
	// cat through a pty turns \n into \r\n: write \n line ends.
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(data), "\r\n", "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Dial(ctxT(t, 10*time.Second), sdkSpec("cat "+path), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.Conn().(burstReader); !ok {
		t.Fatal("a command console does not read in bursts")
	}
	checkSignals(t, c, data, 30000)
	if _, err := c.Expect(context.Background(), RunPatterns, 10*time.Second); err == nil || err.Error() != "Connection closed" {
		t.Fatalf("after the exit: %v, want Connection closed", err)
	}
}
