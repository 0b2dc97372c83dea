package runner

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/core/job"
	"github.com/lavacore/lavacore/core/report"
	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

// recWaiter records the waits said to the view.
type recWaiter struct {
	mu     sync.Mutex
	events []string
	now    []string // the waits going on
}

func (r *recWaiter) Waiting(what string, deadline time.Time) func() {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := "start " + what
	if !deadline.IsZero() {
		ev += " (deadline)"
	}
	r.events = append(r.events, ev)
	r.now = append(r.now, what)
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.events = append(r.events, "end "+what)
		r.now = r.now[:len(r.now)-1]
	}
}

func (r *recWaiter) going() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.now, "; ")
}

// probeConsole and probeHost note, during each call, which waits are going on.
type probeConsole struct {
	sdk.Console
	r    *recWaiter
	seen *[]string
}

func (p probeConsole) Expect(context.Context, []string, time.Duration) (sdk.Match, error) {
	*p.seen = append(*p.seen, p.r.going())
	return sdk.Match{}, nil
}

type probeHost struct {
	sdk.Host
	r    *recWaiter
	seen *[]string
}

func (p probeHost) Protocol(context.Context, string, map[string]any) (map[string]any, error) {
	*p.seen = append(*p.seen, p.r.going())
	return nil, nil
}

// TestWaitsAreSaidWhileTheyLast: a console Expect, a protocol call and each
// power command are said to the view when they start and when they end.
func TestWaitsAreSaidWhileTheyLast(t *testing.T) {
	r := &recWaiter{}
	var seen []string
	c := &clock{view: r, peers: group{size: 3, roles: map[string]int{"host": 1, "guest": 2}}}
	con := &delayConsole{Console: &timedConsole{Console: probeConsole{r: r, seen: &seen}, c: c}}
	h := &timedHost{Host: probeHost{Host: sdktest.NewHost(""), r: r, seen: &seen}, c: c}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := con.Expect(ctx, []string{"login:", "Login incorrect"}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Protocol(ctx, "lava-multinode", map[string]any{"request": "lava-wait-all", "messageID": "ready", "waitrole": "guest"}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"waiting for 'login:' or 'Login incorrect' on the console",
		"waiting for ready from guest (lava-wait-all, 2 sub-jobs)",
	}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("waits during the calls:\n%s\nwant\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}

	// power: one wait per command, the first failure stops the list
	dev := &device.Device{Name: "board-01", Power: device.Power{HardReset: []string{"true", "false", "true never-run"}}}
	err := devicePower(dev, c, &fakeLog{})(ctx, "hard_reset")
	if err == nil {
		t.Fatal("hard_reset: want the failure of false")
	}
	wantEv := []string{
		"start waiting for 'login:' or 'Login incorrect' on the console (deadline)",
		"end waiting for 'login:' or 'Login incorrect' on the console",
		"start waiting for ready from guest (lava-wait-all, 2 sub-jobs)",
		"end waiting for ready from guest (lava-wait-all, 2 sub-jobs)",
		"start running power command: true",
		"end running power command: true",
		"start running power command: false",
		"end running power command: false",
	}
	if got := strings.Join(r.events, "\n"); got != strings.Join(wantEv, "\n") {
		t.Errorf("events:\n%s\nwant\n%s", got, strings.Join(wantEv, "\n"))
	}
	// no view: nothing to say, nothing breaks
	if _, err := (&timedConsole{Console: probeConsole{r: &recWaiter{}, seen: &seen}, c: &clock{}}).Expect(ctx, []string{"x"}, 0); err != nil {
		t.Fatal(err)
	}
}

func TestWaitDescriptions(t *testing.T) {
	g := groupOf(&job.Job{MultiNode: &job.MultiNode{Roles: map[string]*job.Role{"host": {Count: 1}, "guest": {Count: 2}}}})
	long := strings.Repeat("x", 60)
	for _, tc := range []struct{ got, want string }{
		{expectWait(nil), "waiting for the console"},
		{expectWait([]string{"login:"}), "waiting for 'login:' on the console"},
		{expectWait([]string{"a", "b", "c"}), "waiting for 'a', 'b' or 'c' on the console"},
		{expectWait([]string{"a", "b", "c", "d", "e"}), "waiting for 'a', 'b', 'c' or 2 more patterns on the console"},
		{expectWait([]string{long}), "waiting for '" + strings.Repeat("x", 39) + "…' on the console"},
		{protocolWait("lava-multinode", map[string]any{"request": "lava-send", "messageID": "ip"}, g), "sending ip to the group (lava-send)"},
		{protocolWait("lava-multinode", map[string]any{"request": "lava-wait", "messageID": "ip"}, g), "waiting for ip from another sub-job (lava-wait)"},
		{protocolWait("lava-multinode", map[string]any{"request": "lava-wait-all", "messageID": "ip"}, g), "waiting for ip from the group (lava-wait-all, 3 sub-jobs)"},
		{protocolWait("lava-multinode", map[string]any{"request": "lava-wait-all", "messageID": "lava_start", "waitrole": "host"}, g),
			"waiting for lava_start from host (lava-wait-all, 1 sub-job)"},
		{protocolWait("lava-multinode", map[string]any{"request": "lava-sync", "messageID": "done"}, g), "waiting for the group to reach done (lava-sync, 3 sub-jobs)"},
		{protocolWait("lava-vland", map[string]any{"request": "deploy_vlans"}, g), "waiting for lava-vland deploy_vlans"},
		{protocolWait("lava-multinode", nil, g), "waiting for lava-multinode"},
		{powerWait("lavacore lab power reset board-01"), "running power command: lavacore lab power reset board-01"},
	} {
		if tc.got != tc.want {
			t.Errorf("got  %q\nwant %q", tc.got, tc.want)
		}
	}
}

func TestExpectDeadline(t *testing.T) {
	if d := expectDeadline(context.Background(), 0); !d.IsZero() {
		t.Errorf("no deadline, no timeout: %v", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	ctxD, _ := ctx.Deadline()
	if d := expectDeadline(ctx, 0); !d.Equal(ctxD) {
		t.Errorf("ctx only: %v, want %v", d, ctxD)
	}
	if d := expectDeadline(ctx, time.Minute); !d.Before(ctxD) {
		t.Errorf("a shorter timeout: %v, want before %v", d, ctxD)
	}
	if d := expectDeadline(ctx, 2*time.Hour); !d.Equal(ctxD) {
		t.Errorf("a longer timeout: %v, want %v", d, ctxD)
	}
}

// notifyBuffer signals each write.
type notifyBuffer struct {
	mu    sync.Mutex
	b     strings.Builder
	wrote chan struct{}
}

func (n *notifyBuffer) Write(p []byte) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.b.Write(p)
	select {
	case n.wrote <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (n *notifyBuffer) String() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.b.String()
}

// TestStartViewTicks: with --progress=tty the run's view is redrawn by its
// own ticker (a wait shows up with nothing else written), and stopping it
// erases the status lines.
func TestStartViewTicks(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	out := &notifyBuffer{wrote: make(chan struct{}, 1)}
	view, stop, err := startView(context.Background(), Options{Stdout: out, Progress: "tty"})
	if err != nil {
		t.Fatal(err)
	}
	sub := view.SubJob(reportSubJob("host", "1000"))
	sub.ActionStarted("2.4.3", "auto-login-action", time.Now(), time.Now().Add(time.Minute))
	done := sub.Waiting("waiting for 'login:' on the console", time.Time{})
	bound := time.After(10 * time.Second)
	for !strings.Contains(out.String(), "[host.0] 2.4.3 auto-login-action (") {
		select {
		case <-out.wrote:
		case <-bound:
			t.Fatalf("no status line within 10 s: %q", out.String())
		}
	}
	done()
	stop()
	if got := out.String(); !strings.HasSuffix(got, "\x1b[J") || !strings.Contains(got, ": waiting for 'login:' on the console\n") {
		t.Errorf("output %q: want the status line, then erased", got)
	}
	if _, _, err := startView(context.Background(), Options{Stdout: out, Progress: "fancy"}); err == nil {
		t.Error("--progress=fancy: no error")
	}
}

func reportSubJob(role, id string) report.SubJob {
	return report.SubJob{Role: role, JobID: id, Prefix: "[" + role + ".0] "}
}
