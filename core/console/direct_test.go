package console

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lavacore/lavacore/sdk"
)

// The direct path (direct.go): an Expect with nothing left to search reads
// a transport with read deadlines (here net.Pipe, as a pty or socket)
// itself. Waits are on events, bounded by 10 s.

// expectAsync runs Expect in a goroutine; the result arrives on the channel.
type expectResult struct {
	m   sdk.Match
	err error
}

func expectAsync(c *Console, ctx context.Context, patterns []string, timeout time.Duration) <-chan expectResult {
	ch := make(chan expectResult, 1)
	go func() {
		m, err := c.Expect(ctx, patterns, timeout)
		ch <- expectResult{m, err}
	}()
	return ch
}

func waitResult(t *testing.T, ch <-chan expectResult, what string) expectResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out after 10s waiting for %s", what)
	}
	return expectResult{}
}

// waitFor polls cond (under c.mu) until it holds, for at most 10 s.
func waitFor(t *testing.T, c *Console, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		ok := cond()
		c.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 10s waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// writeAsync writes s from the device side (net.Pipe writes block until read).
func writeAsync(dev net.Conn, s string) <-chan error {
	ch := make(chan error, 1)
	go func() { _, err := dev.Write([]byte(s)); ch <- err }()
	return ch
}

// A pattern split over two reads that Expect makes itself is matched whole,
// and Expect holds the read role while it waits.
func TestDirect_PatternAcrossReads(t *testing.T) {
	c, dev := newFake(t, Options{})
	res := expectAsync(c, context.Background(), []string{`<LAVA_SIGNAL_(\S+) ([^>]+)>`}, 0)
	// The reader goroutine gives way: Expect reads.
	waitFor(t, c, "Expect to read the transport itself", func() bool { return c.role == roleExpect && c.xreading })
	if err := <-writeAsync(dev, "x <LAVA_SIGNAL_TEST"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, c, "Expect to read again after the first part", func() bool { return c.xreading && c.pendN == 0 && len(c.buf) > 0 })
	if err := <-writeAsync(dev, "CASE id=a>\r\n"); err != nil {
		t.Fatal(err)
	}
	r := waitResult(t, res, "the match")
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.m.Before != "x " || r.m.Text != "<LAVA_SIGNAL_TESTCASE id=a>" || strings.Join(r.m.Groups, "|") != "TESTCASE|id=a" {
		t.Fatalf("got %+v", r.m)
	}
}

// A timeout ends Expect's own read (the transport's deadline interrupts it):
// the typed timeout error, with the lines read before.
func TestDirect_DeadlineInterruptsOwnRead(t *testing.T) {
	c, dev := newFake(t, Options{})
	res := expectAsync(c, context.Background(), []string{"login:"}, 200*time.Millisecond)
	waitFor(t, c, "Expect to read the transport itself", func() bool { return c.role == roleExpect && c.xreading })
	if err := <-writeAsync(dev, "U-Boot 2024.01\r\n"); err != nil {
		t.Fatal(err)
	}
	r := waitResult(t, res, "the timeout")
	var te *sdk.TimeoutError
	if !errors.As(r.err, &te) || !errors.Is(r.err, ErrTimeout) {
		t.Fatalf("got %v, want a console timeout", r.err)
	}
	if strings.Join(te.LastLines, "|") != "U-Boot 2024.01" {
		t.Fatalf("last lines %q", te.LastLines)
	}
	// The console goes on: the next Expect reads what comes after.
	w := writeAsync(dev, "login: ")
	m, err := c.Expect(ctxT(t, 10*time.Second), []string{"login:"}, 0)
	if err != nil || m.Text != "login:" {
		t.Fatalf("after the timeout: %+v, %v", m, err)
	}
	if err := <-w; err != nil {
		t.Fatal(err)
	}
}

// A cancelled context interrupts Expect's own read at once: Canceled.
func TestDirect_CancelInterruptsOwnRead(t *testing.T) {
	c, _ := newFake(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := expectAsync(c, ctx, []string{"login:"}, 0)
	waitFor(t, c, "Expect to read the transport itself", func() bool { return c.role == roleExpect && c.xreading })
	cancel()
	r := waitResult(t, res, "the cancellation")
	var se *sdk.Error
	if !errors.As(r.err, &se) || se.Type != sdk.Canceled || !errors.Is(r.err, context.Canceled) {
		t.Fatalf("got %v, want Canceled", r.err)
	}
}

// Once no Expect waits, the reader goroutine reads again: the output is
// logged while nobody expects anything.
func TestDirect_ReaderReadsAgainWhenIdle(t *testing.T) {
	var sink logSink
	c, dev := newFake(t, Options{Log: sink.log})
	w := writeAsync(dev, "login: ")
	if _, err := c.Expect(ctxT(t, 10*time.Second), []string{"login:"}, 0); err != nil {
		t.Fatal(err)
	}
	if err := <-w; err != nil {
		t.Fatal(err)
	}
	// No Expect now: this write only completes if the reader goroutine reads.
	if err := waitErr(t, writeAsync(dev, "Last login: today\r\n"), "the reader goroutine to read"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(strings.Join(sink.get(), "\n"), "target: login: Last login: today") {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 10s waiting for the line in the log: %q", sink.get())
		}
		time.Sleep(time.Millisecond)
	}
}

func waitErr(t *testing.T, ch <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out after 10s waiting for %s", what)
	}
	return nil
}

// The idle check leaves the read role with the Expect side while an Expect
// runs (it may be searching on a thread a busy machine has stopped for
// longer than graceIdle), and gives it back once none runs.
func TestGraceCheck_KeepsRoleWhileExpectRuns(t *testing.T) {
	c, dev := newFake(t, Options{})
	// An Expect that read itself leaves the role with the Expect side (the
	// reader goroutine parked); then one "runs": c.xmu held. The reader may
	// have read the line itself, or the idle check may have fired already:
	// then again.
	for attempt := 0; ; attempt++ {
		w := writeAsync(dev, "login: ")
		if _, err := c.Expect(ctxT(t, 10*time.Second), []string{"login:"}, 0); err != nil {
			t.Fatal(err)
		}
		if err := waitErr(t, w, "the write"); err != nil {
			t.Fatal(err)
		}
		c.xmu.Lock()
		c.mu.Lock()
		held := c.role == roleExpect
		c.graceGen = c.xgen // nothing since the last check
		c.mu.Unlock()
		if held {
			break
		}
		c.xmu.Unlock()
		if attempt == 1000 {
			t.Fatal("no Expect read the transport itself in 1000 tries")
		}
	}
	c.graceCheck()
	c.mu.Lock()
	role := c.role
	c.graceGen = c.xgen
	c.mu.Unlock()
	c.xmu.Unlock()
	if role != roleExpect {
		t.Fatalf("role %d while an Expect runs, want roleExpect", role)
	}
	c.graceCheck() // no Expect runs now
	waitFor(t, c, "the reader goroutine to read again", func() bool { return c.role == roleReader })
}

// noDeadlineConn has SetReadDeadline but deadlines do not work on it (a
// descriptor Go's poller does not manage: os.ErrNoDeadline).
type noDeadlineConn struct{ net.Conn }

func (noDeadlineConn) String() string                  { return "no deadline" }
func (noDeadlineConn) SetReadDeadline(time.Time) error { return os.ErrNoDeadline }

// A transport whose deadlines do not work is read by the reader goroutine
// alone: an Expect's timeout still ends the wait (it would otherwise block
// in a read nothing interrupts).
func TestNew_DeadlinesThatDoNotWork(t *testing.T) {
	a, dev := net.Pipe()
	defer dev.Close()
	c, err := New(noDeadlineConn{a}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Twice: the second Expect would find the read role with the Expect side.
	for i := 0; i < 2; i++ {
		r := waitResult(t, expectAsync(c, context.Background(), []string{"login:"}, 50*time.Millisecond), "the timeout")
		if !errors.Is(r.err, ErrTimeout) {
			t.Fatalf("Expect %d: got %v, want a timeout", i, r.err)
		}
	}
}

// deadlineSliceConn is a sliceConn whose reads a read deadline interrupts
// (a deadline that has passed: os.ErrDeadlineExceeded at once), so that
// Expect reads it itself; it never blocks, so nothing waits on a clock.
// Its data is not guarded: two parties reading at once is a race -race
// reports.
type deadlineSliceConn struct {
	sliceConn
	mu sync.Mutex
	dl time.Time
}

func (s *deadlineSliceConn) SetReadDeadline(t time.Time) error {
	s.mu.Lock()
	s.dl = t
	s.mu.Unlock()
	return nil
}

func (s *deadlineSliceConn) Read(p []byte) (int, error) {
	s.mu.Lock()
	dl := s.dl
	s.mu.Unlock()
	if !dl.IsZero() && !dl.After(time.Now()) {
		return 0, os.ErrDeadlineExceeded
	}
	return s.sliceConn.Read(p)
}

// FuzzExpectDirect runs whole streams through Expect on a transport with
// read deadlines (the reader goroutine and Expect hand the reading over)
// and compares with naiveRun: the transport hands out whole multiples of
// MaxRead, so that every search step is MaxRead bytes, whoever read them.
func FuzzExpectDirect(f *testing.F) {
	sig := "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=a RESULT=pass>\r\nnoise BUG: x\r\n"
	f.Add([]byte(strings.Repeat(sig, 40)+"<LAVA_TEST_RUNNER EXIT>"), `<LAVA_TEST_RUNNER EXIT>`, `<LAVA_SIGNAL_(\S+) ([^>]+)>`, `(kernel BUG at|BUG:)`, uint16(64), uint16(30), uint8(1))
	f.Add([]byte("aaa login: bbb # login: #"), `# `, `login:`, `[Ll]ogin`, uint16(8), uint16(3), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, p1, p2, p3 string, window, maxRead uint16, k uint8) {
		ps := []string{p1, p2, p3}
		if _, err := compilePatterns(ps); err != nil {
			return
		}
		w := int(window)%4096 + 1
		mr := int(maxRead)%w + 1
		if len(data) > maxFuzzData || (len(data)/mr+1)*w > 2<<20 {
			return // as FuzzExpectStream
		}
		want := naiveRun(data, ps, w, mr)
		c, err := New(&deadlineSliceConn{sliceConn: sliceConn{data: data, n: mr * (int(k)%4 + 1)}}, Options{Window: w, MaxRead: mr})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		expectAllAsNaive(t, c, ps, want)
	})
}
