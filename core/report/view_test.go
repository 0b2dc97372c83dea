package report

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/lavacore/lavacore/sdk"
)

// viewEnv runs a script against a View on a fake clock and records the
// fake terminal's screen after each step.
type viewEnv struct {
	now   time.Time
	v     *View
	subs  map[string]*SubView
	waits map[string]func()
	scr   *screen
	raw   bytes.Buffer
	trace strings.Builder
}

type step struct {
	name string
	do   func(e *viewEnv)
}

var t0 = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

func newViewEnv(o ViewOptions, subs ...SubJob) *viewEnv {
	e := &viewEnv{now: t0, subs: map[string]*SubView{}, waits: map[string]func(){}, scr: &screen{}}
	o.Now = func() time.Time { return e.now }
	o.Loc = time.UTC
	e.v = NewView(io.MultiWriter(e.scr, &e.raw), o)
	for _, s := range subs {
		key := s.Role
		if key == "" {
			key = "job"
		}
		e.subs[key] = e.v.SubJob(s)
	}
	return e
}

func (e *viewEnv) advance(d time.Duration) { e.now = e.now.Add(d) }

func (e *viewEnv) log(sub, lvl string, msg any) {
	e.subs[sub].Write(Record{DT: e.now, Lvl: lvl, Msg: msg})
}

func (e *viewEnv) start(sub, level, name string, timeout time.Duration) {
	e.subs[sub].ActionStarted(level, name, e.now, e.now.Add(timeout))
}

func (e *viewEnv) wait(sub, what string) { e.waits[sub+what] = e.subs[sub].Waiting(what, time.Time{}) }

func (e *viewEnv) waited(sub, what string) { e.waits[sub+what]() }

// ticks advances the clock by every, n times, ticking after each.
func (e *viewEnv) ticks(n int, every time.Duration) {
	for range n {
		e.advance(every)
		e.v.Tick()
	}
}

func (e *viewEnv) run(steps []step) {
	for _, s := range steps {
		s.do(e)
		e.trace.WriteString("== " + s.name + "\n" + e.scr.String() + "\n")
	}
}

const login = "waiting for 'login:' or 'Login incorrect' on the console"

// oneJob is a single job: a deploy with a nested action, then the 43 s
// wait for the login prompt that the demo showed nothing for.
var oneJob = []step{
	{"deploy starts", func(e *viewEnv) {
		e.log("job", "info", "start: 1 tftp-deploy (timeout 00:04:00) [common]")
		e.start("job", "1", "tftp-deploy", 4*time.Minute)
		e.v.Tick()
	}},
	{"a nested action, 12 s later", func(e *viewEnv) {
		e.advance(12 * time.Second)
		e.start("job", "1.1", "download-retry", 2*time.Minute)
		e.v.Tick()
	}},
	{"a log line and a debug line (hidden)", func(e *viewEnv) {
		e.log("job", "info", "downloading http://example.com/vmlinuz")
		e.log("job", "debug", "not shown")
	}},
	{"the deploy ends, the login starts", func(e *viewEnv) {
		e.advance(3 * time.Second)
		e.subs["job"].ActionEnded("1.1")
		e.subs["job"].ActionEnded("1")
		e.log("job", "info", "end: 1 tftp-deploy (duration 00:00:15) [common]")
		e.log("job", "info", "Kernel started")
		e.start("job", "2.4.3", "auto-login-action", 5*time.Minute)
		e.wait("job", login)
		e.v.Tick()
	}},
	{"43 s of silence from the board", func(e *viewEnv) { e.ticks(43, time.Second) }},
	{"the login prompt", func(e *viewEnv) {
		e.waited("job", login)
		e.log("job", "results", Map(sdk.Result{Definition: "lava", Case: "auto-login-action", Result: "pass"}))
		e.v.Tick()
	}},
	{"the job ends", func(e *viewEnv) {
		e.subs["job"].ActionEnded("2.4.3")
		e.subs["job"].Done()
		e.v.Close()
	}},
}

// group is a MultiNode group: the host waits for a peer's message while
// the guest runs a power command, an error and results in colour.
var group = []step{
	{"both start", func(e *viewEnv) {
		e.start("host", "3.1", "lava-test-shell", 10*time.Minute)
		e.wait("host", "waiting for ipv4 from guest (lava-wait, 1 sub-job)")
		e.start("guest", "1.3", "power-on", 30*time.Second)
		e.wait("guest", "running power command: lavacore lab power reset board-01")
		e.v.Tick()
	}},
	{"log lines of both", func(e *viewEnv) {
		e.advance(2 * time.Second)
		e.log("host", "warning", "Retrying: 3.1 lava-test-shell")
		e.log("guest", "error", "'lavacore lab power reset board-01' failed: exit status 1")
		e.log("host", "results", Map(sdk.Result{Definition: "0_smoke", Case: "ping", Result: "fail"}))
		e.log("host", "results", Map(sdk.Result{Definition: "0_smoke", Case: "uname", Result: "pass",
			Measurement: "1.5", Units: "s"}))
		e.v.Tick()
	}},
	{"the guest ends", func(e *viewEnv) {
		e.advance(time.Second)
		e.waited("guest", "running power command: lavacore lab power reset board-01")
		e.subs["guest"].ActionEnded("1.3")
		e.subs["guest"].Done()
	}},
	{"the host goes on waiting", func(e *viewEnv) { e.ticks(40, time.Second) }},
	{"the view closes", func(e *viewEnv) { e.v.Close() }},
}

// countdown is an action whose timeout runs out, a tick every 10 s.
var countdown = []step{
	{"start", func(e *viewEnv) {
		e.start("job", "2", "boot-qemu-image", 40*time.Second)
		e.wait("job", "waiting for 'Linux version [0-9]' on the console")
		e.v.Tick()
	}},
	{"10 s", func(e *viewEnv) { e.ticks(1, 10*time.Second) }},
	{"20 s", func(e *viewEnv) { e.ticks(1, 10*time.Second) }},
	{"30 s", func(e *viewEnv) { e.ticks(1, 10*time.Second) }},
	{"40 s: the deadline", func(e *viewEnv) { e.ticks(1, 10*time.Second) }},
	{"the timeout", func(e *viewEnv) {
		e.waited("job", "waiting for 'Linux version [0-9]' on the console")
		e.log("job", "error", "boot-qemu-image timed out after 40 seconds")
		e.subs["job"].ActionEnded("2")
		e.v.Tick()
	}},
}

var (
	single = []SubJob{{JobID: "1000"}}
	pair   = []SubJob{{Role: "host", SubID: 0, JobID: "1000", Prefix: "[host.0] "},
		{Role: "guest", SubID: 0, JobID: "1001", Prefix: "[guest.0] "}}
)

// TestView renders each script into a fake terminal; the goldens in
// testdata/view-*.golden show the screen after each step (go test -update rewrites
// them).
func TestView(t *testing.T) {
	for _, tc := range []struct {
		name  string
		o     ViewOptions
		subs  []SubJob
		steps []step
	}{
		{"tty-one-job", ViewOptions{Mode: ModeTTY}, single, oneJob},
		{"tty-one-job-color", ViewOptions{Mode: ModeTTY, Color: true}, single, oneJob},
		{"plain-one-job", ViewOptions{Mode: ModePlain}, single, oneJob},
		{"plain-one-job-color-ignored", ViewOptions{Mode: ModePlain, Color: true}, single, oneJob},
		{"json-one-job", ViewOptions{Mode: ModeJSON}, single, oneJob},
		{"tty-group-color", ViewOptions{Mode: ModeTTY, Color: true}, pair, group},
		{"tty-group-narrow", ViewOptions{Mode: ModeTTY, Width: func() int { return 48 }}, pair, group},
		{"plain-group", ViewOptions{Mode: ModePlain}, pair, group},
		{"json-group", ViewOptions{Mode: ModeJSON}, pair, group},
		{"tty-countdown-color", ViewOptions{Mode: ModeTTY, Color: true}, single, countdown},
		{"plain-countdown-every-10s", ViewOptions{Mode: ModePlain, Interval: 10 * time.Second}, single, countdown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newViewEnv(tc.o, tc.subs...)
			e.run(tc.steps)
			if len(e.scr.bad) > 0 {
				t.Errorf("the terminal got sequences it does not know: %v", e.scr.bad)
			}
			if tc.o.Mode != ModeTTY && bytes.ContainsRune(e.raw.Bytes(), 0x1b) {
				t.Errorf("escape sequences outside a TTY: %q", e.raw.String())
			}
			if !tc.o.Color && bytes.Contains(e.raw.Bytes(), []byte("m\x1b")) || !tc.o.Color && strings.Contains(e.raw.String(), "\x1b[0m") {
				t.Errorf("colours without Color: %q", e.raw.String())
			}
			golden(t, "view-"+tc.name+".golden", []byte(e.trace.String()))
		})
	}
}

// A console line or a job's pattern holding escape sequences (cursor up,
// erase, carriage return) must not drive the terminal: it would erase lines
// above the status block or forge them.
func TestView_ConsoleAndPatternEscapesCannotMoveCursor(t *testing.T) {
	for _, mode := range []Mode{ModeTTY, ModePlain} {
		e := newViewEnv(ViewOptions{Mode: mode, Console: true}, single...)
		e.log("job", "info", "first line")
		e.log("job", "target", "login:\x1b[2A\x1b[Jforged\rover\u009b2A\x9b")
		e.start("job", "2\x1b[1A", "auto-login\x07", time.Minute)
		e.wait("job", "waiting for '\x1b[3Alogin:' on the console")
		e.v.Tick()
		e.log("job", "info", "last line")
		e.v.Tick()
		if len(e.scr.bad) > 0 {
			t.Errorf("mode %d: the terminal got control characters: %v", mode, e.scr.bad)
		}
		if got := e.raw.String(); strings.Count(got, "\x1b") != 2*strings.Count(got, "\x1b[J") {
			t.Errorf("mode %d: escape sequences other than the view's own: %q", mode, got)
		}
		scr := e.scr.String()
		for _, want := range []string{"first line", `login:\x1b[2A\x1b[Jforged\x0dover\x9b2A` + "\uFFFD", "last line"} {
			if !strings.Contains(scr, want) {
				t.Errorf("mode %d: the screen lost %q:\n%s", mode, want, scr)
			}
		}
	}
}

func TestDetectMode(t *testing.T) {
	for _, tc := range []struct {
		progress string
		json     bool
		env      map[string]string
		mode     Mode
		color    bool
		err      bool
	}{
		{progress: "auto", mode: ModePlain}, // a buffer is not a terminal
		{progress: "", mode: ModePlain},
		{progress: "plain", mode: ModePlain},
		{progress: "tty", mode: ModeTTY, color: true},
		{progress: "tty", env: map[string]string{"NO_COLOR": "1"}, mode: ModeTTY},
		{progress: "tty", env: map[string]string{"NO_COLOR": ""}, mode: ModeTTY, color: true},
		{progress: "tty", json: true, mode: ModeJSON},
		{progress: "fancy", err: true},
	} {
		mode, color, err := DetectMode(tc.progress, tc.json, &bytes.Buffer{}, func(k string) string { return tc.env[k] })
		if (err != nil) != tc.err || mode != tc.mode || color != tc.color {
			t.Errorf("DetectMode(%q, json %v, %v) = %v, %v, %v; want %v, %v, error %v",
				tc.progress, tc.json, tc.env, mode, color, err, tc.mode, tc.color, tc.err)
		}
	}
}

func TestNDJSONNamesItsSubJob(t *testing.T) {
	var b bytes.Buffer
	n := &NDJSON{W: &b, Role: "host", SubID: 1, JobID: "1001"}
	n.Write(Record{DT: t0, Lvl: "info", Msg: "hello", NS: "common"})
	want := `{"dt":"2026-05-04T10:00:00+00:00","lvl":"info","msg":"hello","ns":"common","role":"host","sub_id":1,"job_id":"1001"}` + "\n"
	if b.String() != want {
		t.Errorf("got  %s\nwant %s", b.String(), want)
	}
}
