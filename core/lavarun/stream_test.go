package lavarun

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lavacore/lavacore/core/report"
)

// sanity bounds a wait on an event that must happen (not a timing assertion).
const sanity = 20 * time.Second

// fakeClock is a clock the test moves; every After is announced on timers.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	pending []fakeTimer
	timers  chan time.Duration
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC), timers: make(chan time.Duration, 1000)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.pending = append(c.pending, fakeTimer{at: c.now.Add(d), ch: ch})
	c.timers <- d
	return ch
}

// Advance moves the clock and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.pending[:0]
	for _, t := range c.pending {
		if !t.at.After(c.now) {
			t.ch <- c.now
		} else {
			keep = append(keep, t)
		}
	}
	c.pending = keep
}

// waitTimer waits until the sender waits on a timer of d.
func (c *fakeClock) waitTimer(t *testing.T, d time.Duration) {
	t.Helper()
	deadline := time.After(sanity)
	for {
		select {
		case got := <-c.timers:
			if got == d {
				return
			}
		case <-deadline:
			t.Fatalf("the sender never waited on a %s timer", d)
		}
	}
}

// post is one request the fake server received.
type post struct {
	path, token, contentType string
	index                    int
	lines                    string
}

// fakeServer is lava-server's log endpoint: it records each POST and
// answers with reply (nil: take every line).
type fakeServer struct {
	*httptest.Server
	mu    sync.Mutex
	posts []post
	got   chan post
	reply func(n int, p post) (status int, body string)
}

func newFakeServer(t *testing.T, reply func(n int, p post) (int, string)) *fakeServer {
	s := &fakeServer{got: make(chan post, 10000), reply: reply}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		idx, _ := strconv.Atoi(r.PostForm.Get("index"))
		p := post{path: r.URL.Path, token: r.Header.Get("LAVA-Token"), contentType: r.Header.Get("Content-Type"),
			index: idx, lines: r.PostForm.Get("lines")}
		s.mu.Lock()
		n := len(s.posts)
		s.posts = append(s.posts, p)
		s.mu.Unlock()
		status, body := 200, fmt.Sprintf(`{"line_count": %d}`, strings.Count(p.lines, "\n- ")+1)
		if s.reply != nil {
			status, body = s.reply(n, p)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
		s.got <- p
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *fakeServer) next(t *testing.T) post {
	t.Helper()
	select {
	case p := <-s.got:
		return p
	case <-time.After(sanity):
		t.Fatal("no POST arrived")
	}
	return post{}
}

// drain returns every POST received so far (call it once the sender is done).
func (s *fakeServer) drain() []post {
	var out []post
	for {
		select {
		case p := <-s.got:
			out = append(out, p)
		default:
			return out
		}
	}
}

func (s *fakeServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.posts)
}

func newTestStreamer(t *testing.T, srv *fakeServer, clk Clock, interval time.Duration, stderr *bytes.Buffer) *Streamer {
	t.Helper()
	if stderr == nil {
		stderr = &bytes.Buffer{}
	}
	st, err := NewStreamer(StreamConfig{URL: LogsURL(srv.URL, "42"), Token: "job-token", JobID: "42", Interval: interval,
		Spool: filepath.Join(t.TempDir(), "spool"), Clock: clk, FailureSleep: 3 * time.Second, Stderr: stderr})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func rec(i int) string { return fmt.Sprintf(`{"dt": "t", "lvl": "info", "msg": "line %d"}`, i) }

func lines(from, to int) string {
	var l []string
	for i := from; i < to; i++ {
		l = append(l, "- "+rec(i))
	}
	return strings.Join(l, "\n")
}

// Records wait for the interval, then go in one POST to the job's logs URL
// with the job's token; nothing is sent before the interval.
func TestStreamer_BatchesAtTheInterval(t *testing.T) {
	srv := newFakeServer(t, nil)
	clk := newFakeClock()
	st := newTestStreamer(t, srv, clk, 5*time.Second, nil)
	for i := range 3 {
		st.WriteLine(rec(i))
	}
	clk.waitTimer(t, 5*time.Second)
	if n := srv.count(); n != 0 {
		t.Fatalf("%d POSTs before the interval", n)
	}
	clk.Advance(5 * time.Second)
	p := srv.next(t)
	if p.path != "/scheduler/internal/v1/jobs/42/logs/" || p.token != "job-token" || p.index != 0 ||
		p.contentType != "application/x-www-form-urlencoded" || p.lines != lines(0, 3) {
		t.Errorf("POST %+v", p)
	}
	// the next records wait for the next interval
	st.WriteLine(rec(3))
	clk.waitTimer(t, 5*time.Second)
	clk.Advance(5 * time.Second)
	if p := srv.next(t); p.index != 3 || p.lines != lines(3, 4) {
		t.Errorf("second POST %+v", p)
	}
	if err := st.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := srv.count(); n != 2 {
		t.Errorf("%d POSTs, want 2", n)
	}
}

// 1000 records go at once, without waiting for the interval, 1000 per POST.
func TestStreamer_ThousandRecordsDoNotWait(t *testing.T) {
	srv := newFakeServer(t, nil)
	st := newTestStreamer(t, srv, newFakeClock(), time.Hour, nil)
	for i := range 2500 {
		st.WriteLine(rec(i))
	}
	for i, want := range []int{0, 1000} {
		p := srv.next(t)
		if p.index != want || p.lines != lines(want, want+1000) {
			t.Errorf("POST %d: index %d, %d lines", i, p.index, strings.Count(p.lines, "\n")+1)
		}
	}
	if err := st.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p := srv.next(t); p.index != 2000 || p.lines != lines(2000, 2500) {
		t.Errorf("final flush: index %d", p.index)
	}
}

// A failed POST (5xx, or no answer) is retried after a pause with the same
// records and index; the failure is said once on stderr.
func TestStreamer_RetriesOn5xx(t *testing.T) {
	srv := newFakeServer(t, func(n int, p post) (int, string) {
		if n < 2 {
			return 502, "Bad Gateway"
		}
		return 200, `{"line_count": 2}`
	})
	clk := newFakeClock()
	var stderr bytes.Buffer
	st := newTestStreamer(t, srv, clk, 5*time.Second, &stderr)
	st.WriteLine(rec(0))
	st.WriteLine(rec(1))
	clk.waitTimer(t, 5*time.Second)
	clk.Advance(5 * time.Second)
	first := srv.next(t)
	clk.waitTimer(t, 3*time.Second) // the pause after a failure
	clk.Advance(5 * time.Second)
	second := srv.next(t)
	clk.waitTimer(t, 3*time.Second)
	clk.Advance(5 * time.Second)
	third := srv.next(t)
	for i, p := range []post{first, second, third} {
		if p.index != 0 || p.lines != lines(0, 2) {
			t.Errorf("attempt %d: %+v", i, p)
		}
	}
	if err := st.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := stderr.String(); strings.Count(got, "POST: 502 - Bad Gateway") != 1 || !strings.Contains(got, "<1 consecutive errors skipped>") {
		t.Errorf("stderr:\n%s", got)
	}
}

// The server's line_count says how many records it took: the rest is sent
// again with the index moved on.
func TestStreamer_PartialLineCount(t *testing.T) {
	srv := newFakeServer(t, func(n int, p post) (int, string) {
		if n == 0 {
			return 200, `{"line_count": 2}`
		}
		return 200, fmt.Sprintf(`{"line_count": %d}`, strings.Count(p.lines, "\n- ")+1)
	})
	st := newTestStreamer(t, srv, newFakeClock(), time.Hour, nil)
	for i := range 5 {
		st.WriteLine(rec(i))
	}
	if err := st.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	all := srv.drain()
	if len(all) != 2 || all[0].index != 0 || all[0].lines != lines(0, 5) || all[1].index != 2 || all[1].lines != lines(2, 5) {
		t.Errorf("POSTs %+v", all)
	}
}

// Close sends what is left at once (the final flush).
func TestStreamer_FinalFlush(t *testing.T) {
	srv := newFakeServer(t, nil)
	st := newTestStreamer(t, srv, newFakeClock(), time.Hour, nil)
	for i := range 10 {
		st.WriteLine(rec(i))
	}
	if err := st.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p := srv.next(t); p.index != 0 || p.lines != lines(0, 10) {
		t.Errorf("flush %+v", p)
	}
	if _, err := os.Stat(st.cfg.Spool); !os.IsNotExist(err) {
		t.Errorf("spool left behind: %v", err)
	}
	st.WriteLine(rec(11)) // after Close: ignored, no panic
}

// A server that never takes the log does not keep lava-run forever: the
// flush ends with its context and says how many records were not sent.
func TestStreamer_FlushGivesUpWithItsContext(t *testing.T) {
	srv := newFakeServer(t, func(int, post) (int, string) { return 500, "down" })
	st := newTestStreamer(t, srv, newFakeClock(), 0, nil)
	st.WriteLine(rec(0))
	st.WriteLine(rec(1))
	srv.next(t)
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(fmt.Errorf("the second signal"))
	err := st.Close(ctx)
	if err == nil || !strings.Contains(err.Error(), "2 log records not sent") || !strings.Contains(err.Error(), "the second signal") {
		t.Errorf("Close: %v", err)
	}
}

// The server no longer knows the job (deleted): the log is dropped and
// the job canceled, as LAVA HEAD does.
func TestStreamer_UnknownJobCancels(t *testing.T) {
	srv := newFakeServer(t, func(int, post) (int, string) { return 404, `{"error": "Unknown job '42'"}` })
	gone := make(chan struct{})
	st := newTestStreamer(t, srv, newFakeClock(), 0, nil)
	st.cfg.OnJobGone = func() { close(gone) }
	st.WriteLine(rec(0))
	select {
	case <-gone:
	case <-time.After(sanity):
		t.Fatal("OnJobGone not called")
	}
	st.WriteLine(rec(1))
	if err := st.Close(context.Background()); err != nil {
		t.Errorf("Close: %v", err)
	}
	if n := srv.count(); n != 1 {
		t.Errorf("%d POSTs after the job is gone, want 1", n)
	}
}

// 413: the batch is split until the server takes it; a record too large on
// its own is replaced by LAVA's log-upload failure result.
func TestStreamer_TooLargeSplitsThenSubstitutes(t *testing.T) {
	srv := newFakeServer(t, func(n int, p post) (int, string) {
		if len(p.lines) > 200 {
			return 413, "too large"
		}
		return 200, fmt.Sprintf(`{"line_count": %d}`, strings.Count(p.lines, "\n- ")+1)
	})
	st := newTestStreamer(t, srv, newFakeClock(), time.Hour, nil)
	st.WriteLine(rec(0))
	st.WriteLine(rec(1))
	st.WriteLine(`{"dt": "t", "lvl": "info", "msg": "` + strings.Repeat("x", 300) + `"}`)
	st.WriteLine(rec(3))
	if err := st.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	var taken []string
	for _, p := range srv.drain() {
		if len(p.lines) <= 200 {
			taken = append(taken, p.lines)
		}
	}
	got := strings.Join(taken, "\n")
	fail := `"lvl": "results", "msg": {"definition": "lava", "case": "log-upload", "result": "fail"}}`
	if !strings.HasPrefix(got, "- "+rec(0)+"\n- "+rec(1)+"\n- ") || !strings.HasSuffix(got, fail+"\n- "+rec(3)) {
		t.Errorf("taken:\n%s", got)
	}
}

// What the server receives is log.yaml, byte for byte: every record of the
// job's log, in order, none lost, none changed.
func TestStreamer_RecordsByteIdenticalToLogYAML(t *testing.T) {
	var mu sync.Mutex
	var body bytes.Buffer
	srv := newFakeServer(t, func(n int, p post) (int, string) {
		mu.Lock()
		body.WriteString(p.lines + "\n")
		mu.Unlock()
		return 200, fmt.Sprintf(`{"line_count": %d}`, strings.Count(p.lines, "\n- ")+1)
	})
	st := newTestStreamer(t, srv, newFakeClock(), 0, nil)
	path := filepath.Join(t.TempDir(), "log.yaml")
	log, err := report.CreateLog(path, st)
	if err != nil {
		t.Fatal(err)
	}
	log.Infof("start: 1 deploy (timeout 00:10:00) [common]")
	log.Add("target", "Linux version 6.1 \"quoted\" \\ back\r\nslash\tand ünïcode ✓ \x1b[0m")
	log.Feedback("guest", "feedback line")
	log.Add("results", map[string]any{"definition": "0_smoke", "case": "ls", "result": "pass"})
	log.Add("target", strings.Repeat("long ", report.MaxRecord/4))
	for i := range 1500 {
		log.Debugf("line %d", i)
	}
	log.Close()
	if err := st.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(path)
	mu.Lock()
	defer mu.Unlock()
	if !bytes.Equal(body.Bytes(), want) {
		t.Errorf("the server got %d bytes, log.yaml has %d", body.Len(), len(want))
	}
}
