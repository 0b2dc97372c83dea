package console

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lavacore/lavacore/sdk"
)

func TestExpectTable(t *testing.T) {
	type step struct {
		patterns []string
		want     sdk.Match
	}
	tests := []struct {
		name  string
		out   string
		strip bool
		steps []step
	}{
		{
			name: "earliest match wins over list order",
			out:  "aaa login: bbb # ",
			steps: []step{{[]string{"# ", "login:"}, sdk.Match{Index: 1, Before: "aaa ", Text: "login:"}},
				{[]string{"# ", "login:"}, sdk.Match{Index: 0, Before: " bbb ", Text: "# "}}},
		},
		{
			name:  "tie goes to the first pattern",
			out:   "root@host:~# ",
			steps: []step{{[]string{"root@", "root@host"}, sdk.Match{Index: 0, Text: "root@"}}},
		},
		{
			name:  "tie, longer first",
			out:   "root@host:~# ",
			steps: []step{{[]string{"root@host", "root@"}, sdk.Match{Index: 0, Text: "root@host"}}},
		},
		{
			name: "match consumes up to its end",
			out:  "login: login: # ",
			steps: []step{
				{[]string{"login:"}, sdk.Match{Text: "login:"}},
				{[]string{"login:"}, sdk.Match{Before: " ", Text: "login:"}},
				{[]string{"login:", "# "}, sdk.Match{Index: 1, Before: " ", Text: "# "}},
			},
		},
		{
			name: "groups",
			out:  "x <LAVA_SIGNAL_TESTCASE TEST_CASE_ID=pwd RESULT=pass>\r\n",
			steps: []step{{[]string{`<LAVA_SIGNAL_(\S+) ([^>]+)>`, `(a)?zz`},
				sdk.Match{Before: "x ", Text: "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=pwd RESULT=pass>", Groups: []string{"TESTCASE", "TEST_CASE_ID=pwd RESULT=pass"}}}},
		},
		{
			name:  "unmatched optional group is empty",
			out:   "zz",
			steps: []step{{[]string{`(a)?zz`}, sdk.Match{Text: "zz", Groups: []string{""}}}},
		},
		{
			name:  "busybox cursor query before the prompt",
			out:   "\x1b[6n/ # ",
			steps: []step{{[]string{`/ # `}, sdk.Match{Before: "\x1b[6n", Text: "/ # "}}},
		},
		{
			name:  "raw grub echo keeps cursor sequences",
			out:   "grub> \x1b[12;07Hb\x1b[12;08Ho\r\ngrub> ",
			steps: []step{{[]string{`grub> bo`, `grub> `}, sdk.Match{Index: 1, Text: "grub> "}}},
		},
		{
			name:  "StripANSI matches the echo",
			out:   "grub> \x1b[12;07Hb\x1b[12;08Ho\r\ngrub> ",
			strip: true,
			steps: []step{{[]string{`grub> bo`, `grub> `}, sdk.Match{Index: 0, Text: "grub> bo"}}},
		},
		{
			name:  "python \\Z",
			out:   "abc",
			steps: []step{{[]string{`c\Z`}, sdk.Match{Before: "ab", Text: "c"}}},
		},
		{
			name:  "named group",
			out:   "IPADDR=10.0.2.15\r",
			steps: []step{{[]string{`IPADDR=(?P<ip>[0-9.]+)\r`}, sdk.Match{Text: "IPADDR=10.0.2.15\r", Groups: []string{"10.0.2.15"}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, dev := newFake(t, Options{StripANSI: tt.strip})
			feed(t, c, dev, tt.out)
			for i, s := range tt.steps {
				m, err := c.Expect(ctxT(t, 10*time.Second), s.patterns, 10*time.Second)
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if d := cmp.Diff(s.want, m); d != "" {
					t.Errorf("step %d (-want +got):\n%s", i, d)
				}
			}
		})
	}
}

func TestExpectWindow(t *testing.T) {
	c, dev := newFake(t, Options{})
	out := "START" + strings.Repeat("x", 20000) + "END"
	feed(t, c, dev, out)
	// The window never holds START and END together.
	_, err := c.Expect(ctxT(t, 5*time.Second), []string{`STARTx*END`, `STARTx{1000}x{1000}x{1000}x{1000}x{1000}x{1000}x{1000}x{1000}x{1000}`}, 300*time.Millisecond)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("want timeout, got %v", err)
	}
	if len(c.buf) > DefaultWindow {
		t.Fatalf("window holds %d bytes > %d", len(c.buf), DefaultWindow)
	}
	feed(t, c, dev, "END")
	m, err := c.Expect(ctxT(t, 10*time.Second), []string{`END`}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// The first END is still in the window: it is found, after the x run.
	if len(m.Before) > DefaultWindow {
		t.Fatalf("Before is %d bytes", len(m.Before))
	}
	if !strings.HasSuffix(m.Before, "xxx") {
		t.Errorf("Before = ...%q", m.Before[len(m.Before)-10:])
	}
}

func TestExpectSearchesChunkByChunk(t *testing.T) {
	// pexpect searches after each maxread: START in the first chunk is found
	// even though START+20000 bytes never fits the window.
	c, dev := newFake(t, Options{})
	feed(t, c, dev, "START"+strings.Repeat("x", 20000))
	m, err := c.Expect(ctxT(t, 10*time.Second), []string{`START`}, 10*time.Second)
	if err != nil || m.Text != "START" {
		t.Fatalf("m=%+v err=%v", m, err)
	}
}

func TestExpectTimeoutMessage(t *testing.T) {
	c, dev := newFake(t, Options{})
	feed(t, c, dev, "U-Boot 2024\r\nHit any key\r\nBooting kernel\r\npartial")
	start := time.Now()
	_, err := c.Expect(ctxT(t, 5*time.Second), []string{"login:", `grub>`}, 200*time.Millisecond)
	if time.Since(start) < 200*time.Millisecond {
		t.Errorf("returned early")
	}
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, ErrTimeout) || sdk.TypeOf(err) != sdk.Job {
		t.Fatalf("err = %v (%T)", err, err)
	}
	msg := err.Error()
	for _, want := range []string{"wait for prompt timed out after 200ms", `"login:", "grub>"`, "Hit any key", "Booting kernel", "    partial"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	// ctx's deadline, sooner than timeout, ends the wait too.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = c.Expect(ctx, []string{"login:"}, time.Hour)
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	// Canceled.
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	_, err = c.Expect(ctx, []string{"login:"}, time.Hour)
	if sdk.TypeOf(err) != sdk.Canceled {
		t.Fatalf("err = %v", err)
	}
}

func TestExpectNothingPrinted(t *testing.T) {
	c, _ := newFake(t, Options{})
	_, err := c.Expect(ctxT(t, 5*time.Second), []string{"login:"}, 50*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "the console printed nothing") {
		t.Fatalf("err = %v", err)
	}
}

func TestExpectEOF(t *testing.T) {
	c, dev := newFake(t, Options{})
	feed(t, c, dev, "hello\r\n")
	dev.Close()
	// What was read before the end still matches.
	if m, err := c.Expect(ctxT(t, 10*time.Second), []string{"hello"}, 10*time.Second); err != nil || m.Text != "hello" {
		t.Fatalf("m=%+v err=%v", m, err)
	}
	_, err := c.Expect(ctxT(t, 5*time.Second), []string{"login:"}, 5*time.Second)
	if err == nil || err.Error() != "Connection closed" || sdk.TypeOf(err) != sdk.Infrastructure {
		t.Fatalf("err = %v", err)
	}
}

func TestExpectBadRegex(t *testing.T) {
	c, _ := newFake(t, Options{})
	for _, p := range []string{`(?=x)`, `(a)\1`, `(?<!x)y`, `[`, `(?P=n)`} {
		_, err := c.Expect(context.Background(), []string{"ok", p}, time.Second)
		if sdk.TypeOf(err) != sdk.Test || !strings.Contains(err.Error(), "invalid expect pattern 1") {
			t.Errorf("%q: err = %v", p, err)
		}
		if p != "[" && !strings.Contains(err.Error(), "look-around") {
			t.Errorf("%q: no RE2 hint: %v", p, err)
		}
	}
	if _, err := c.Expect(context.Background(), nil, time.Second); sdk.TypeOf(err) != sdk.Test {
		t.Errorf("no patterns: %v", err)
	}
}

func TestExpectWaitsForData(t *testing.T) {
	c, dev := newFake(t, Options{})
	go func() {
		for _, s := range []string{"log", "in", ": "} {
			time.Sleep(20 * time.Millisecond)
			dev.Write([]byte(s))
		}
	}()
	m, err := c.Expect(ctxT(t, 10*time.Second), []string{"login: "}, 10*time.Second)
	if err != nil || m.Text != "login: " {
		t.Fatalf("m=%+v err=%v", m, err)
	}
}

func TestExpectFloodStillTimesOut(t *testing.T) {
	c, dev := newFake(t, Options{})
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		b := []byte(strings.Repeat("noise ", 1000))
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := dev.Write(b); err != nil {
				return
			}
		}
	}()
	start := time.Now()
	_, err := c.Expect(ctxT(t, 10*time.Second), []string{"login:"}, 200*time.Millisecond)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %s", d)
	}
}

func TestSendLineDelayAndLog(t *testing.T) {
	var sink logSink
	c, dev := newFake(t, Options{Log: sink.log})
	got := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(dev, 5))
		got <- string(b)
	}()
	start := time.Now()
	if err := c.SendLine(WithCharDelay(context.Background(), 10*time.Millisecond), "root"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("5 characters at 10ms took %s", d)
	}
	if s := <-got; s != "root\n" {
		t.Errorf("sent %q", s)
	}
	want := []string{"debug: Sending line: 'root'", "input: root"}
	if d := cmp.Diff(want, sink.get()); d != "" {
		t.Error(d)
	}
}

func TestSendLineSeparator(t *testing.T) {
	c, dev := newFake(t, Options{LineSep: "\r\n"})
	got := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(dev, 4))
		got <- string(b)
	}()
	if err := c.SendLine(context.Background(), "ls"); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "ls\r\n" {
		t.Errorf("sent %q", s)
	}
}

func TestSendAfterClose(t *testing.T) {
	c, _ := newFake(t, Options{})
	c.Close()
	if err := c.SendRaw(context.Background(), "x"); sdk.TypeOf(err) != sdk.Infrastructure {
		t.Fatalf("err = %v", err)
	}
}
