package console

import (
	"context"
	"math/rand"
	"strings"
	"testing"
	"time"
)

// A device printing garbage, a 10 MB line, fake signals, then closing:
// each ends in a match, a clear error, never a hang or unbounded memory.
func TestHostileOutput(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	garbage := make([]byte, 1<<20)
	r.Read(garbage)
	long := strings.Repeat("A", 10<<20)
	out := string(garbage) + "\r\n" + long + "\r\n" +
		"<LAVA_SIGNAL_TESTCASE broken\r\n<LAVA_SIGNAL_>\r\n" +
		"root@lava:~# "
	lines, maxLen := 0, 0
	c, err := New(&sliceConn{data: []byte(out), n: 64 << 10}, Options{Log: func(_ sdkLevel, l string) {
		lines++
		maxLen = max(maxLen, len(l))
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := ctxT(t, 30*time.Second)
	m, err := c.Expect(ctx, []string{`<LAVA_SIGNAL_(\S+) ([^>]+)>`, `root@lava:~# `}, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// As with pexpect, [^>]+ runs over the line end: the two broken
	// signals make one odd match, which the signal parser must reject.
	if m.Index != 0 || m.Text != "<LAVA_SIGNAL_TESTCASE broken\r\n<LAVA_SIGNAL_>" {
		t.Errorf("matched %d %q", m.Index, m.Text)
	}
	if m, err = c.Expect(ctx, []string{`<LAVA_SIGNAL_(\S+) ([^>]+)>`, `root@lava:~# `}, 20*time.Second); err != nil || m.Index != 1 {
		t.Fatalf("m=%+v err=%v", m, err)
	}
	if len(m.Before) > DefaultWindow || len(c.buf) > DefaultWindow {
		t.Errorf("window grew: before %d, buf %d", len(m.Before), len(c.buf))
	}
	_, err = c.Expect(ctx, []string{"never"}, 5*time.Second)
	if err == nil || err.Error() != "Connection closed" {
		t.Fatalf("after the end: %v", err)
	}
	c.Flush()
	if maxLen > DefaultMaxLine {
		t.Errorf("a log line of %d bytes", maxLen)
	}
	if lines < 10 {
		t.Errorf("only %d log lines for a 10 MB line", lines)
	}
}

// A device that closes mid-boot while Expect waits.
func TestCloseWhileWaiting(t *testing.T) {
	c, dev := newFake(t, Options{})
	go func() {
		waitExpecting(c)
		dev.Write([]byte("Linux version 6.1\r\n"))
		dev.Close()
	}()
	_, err := c.Expect(context.Background(), []string{"login:"}, 10*time.Second)
	if err == nil || err.Error() != "Connection closed" {
		t.Fatalf("err = %v", err)
	}
	// The console's own Close while another goroutine waits.
	c2, _ := newFake(t, Options{})
	go func() {
		waitExpecting(c2)
		c2.Close()
	}()
	_, err = c2.Expect(context.Background(), []string{"login:"}, 10*time.Second)
	if err == nil || err.Error() != "Connection closed" {
		t.Fatalf("err = %v", err)
	}
}

// A reader far ahead of Expect stops at maxPending instead of growing.
func TestBackPressure(t *testing.T) {
	data := []byte(strings.Repeat("x", 3*maxPending))
	c, err := New(&sliceConn{data: data, n: 64 << 10}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Wait until the reader has run into the limit and stopped.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		n, waiting := c.pendN, c.waiting
		c.mu.Unlock()
		if n > maxPending+64<<10 {
			t.Fatalf("pending %d bytes", n)
		}
		if waiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 10s waiting for the reader to stop at maxPending (pending %d bytes)", n)
		}
		time.Sleep(time.Millisecond)
	}
	// Stopped: it stays at the limit.
	c.mu.Lock()
	n := c.pendN
	c.mu.Unlock()
	if n > maxPending+64<<10 {
		t.Fatalf("pending %d bytes", n)
	}
	_, err = c.Expect(ctxT(t, 20*time.Second), []string{"y"}, 15*time.Second)
	if err == nil || err.Error() != "Connection closed" {
		t.Fatalf("err = %v", err)
	}
}

// waitExpecting returns once an Expect holds c (or after 10 s: the callers'
// assertions hold either way, this only makes them test the waiting path).
func waitExpecting(c *Console) {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if !c.xmu.TryLock() {
			return
		}
		c.xmu.Unlock()
	}
}
