package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/core/job"
	"github.com/lavacore/lavacore/sdk"
)

// recorder is shared by the fake methods and the fake environment of a test.
type recorder struct {
	mu     sync.Mutex
	events []string
	logs   []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.events = append(r.events, s)
	r.mu.Unlock()
}

func (r *recorder) logged(prefix string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, l := range r.logs {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// behaviour runs for one action; attempt counts tries of the enclosing retry.
type behaviour func(ctx context.Context, call sdk.Call) error

// scripted is a method whose tree and behaviour a test declares.
type scripted struct {
	fakeMethod
	section sdk.Section
	name    string
	spec    sdk.ActionSpec
	rec     *recorder
	run     map[string]behaviour
	clean   map[string]behaviour
}

func (m *scripted) Info() sdk.MethodInfo { return sdk.MethodInfo{Section: m.section, Name: m.name} }
func (m *scripted) Describe(sdk.Request) (sdk.ActionSpec, error) {
	return m.spec, nil
}
func (m *scripted) Run(ctx context.Context, call sdk.Call, _ sdk.Host) error {
	m.rec.add(fmt.Sprintf("run %s %s", call.Level, call.Action))
	if b := m.run[call.Action]; b != nil {
		return b(ctx, call)
	}
	return nil
}
func (m *scripted) Cleanup(ctx context.Context, call sdk.Call, _ sdk.Host) error {
	m.rec.add(fmt.Sprintf("cleanup %s %s", call.Level, call.Action))
	if b := m.clean[call.Action]; b != nil {
		return b(ctx, call)
	}
	return nil
}

// env is a RunEnv that records everything.
type env struct{ rec *recorder }

func (e env) Host(ns string, call sdk.Call) sdk.Host { return host{e.rec} }
func (e env) Log(level sdk.LogLevel, msg string) {
	e.rec.mu.Lock()
	e.rec.logs = append(e.rec.logs, msg)
	e.rec.mu.Unlock()
}
func (e env) Result(r sdk.Result)        {}
func (e env) ActionStart(ev ActionEvent) {}
func (e env) ActionEnd(ev ActionEvent)   {}

type host struct{ rec *recorder }

func (host) Console(context.Context) (sdk.Console, error) { return nil, errors.New("no console") }
func (host) OpenConsole(context.Context, sdk.ConsoleSpec) (sdk.Console, error) {
	return nil, errors.New("no console")
}
func (h host) CloseConsole(context.Context) error { h.rec.add("close-console"); return nil }
func (h host) Power(_ context.Context, op string) error {
	h.rec.add("power " + op)
	return nil
}
func (host) Log(sdk.LogLevel, string) error           { return nil }
func (host) Result(sdk.Result) error                  { return nil }
func (host) Get(_, _, _ string) (string, bool, error) { return "", false, nil }
func (host) Set(_, _, _, _ string) error              { return nil }
func (host) Protocol(context.Context, string, map[string]any) (map[string]any, error) {
	return nil, nil
}

func leaf(name string) sdk.ActionSpec { return sdk.ActionSpec{Name: name} }

// testPipeline builds a pipeline of blocks (section/method → spec) on a bare device.
type tblock struct {
	section sdk.Section
	name    string
	spec    sdk.ActionSpec
	block   job.ActionBlock
}

func buildTest(t *testing.T, rec *recorder, run map[string]behaviour, jobTimeout time.Duration, blocks ...tblock) *Pipeline {
	t.Helper()
	j := &job.Job{Name: "t", Timeouts: job.Timeouts{Job: &job.Timeout{Duration: jobTimeout}, Action: &job.Timeout{Duration: time.Minute}}}
	var ms []sdk.Method
	for i, b := range blocks {
		blk := b.block
		blk.Index, blk.Section, blk.Method, blk.Namespace = i, string(b.section), b.name, "common"
		j.Actions = append(j.Actions, blk)
		ms = append(ms, &scripted{section: b.section, name: b.name, spec: b.spec, rec: rec, run: run})
	}
	dev := &device.Device{Name: "d", Type: "fake", Constants: map[string]any{}, Power: device.Power{Off: []string{"off"}}}
	p, err := Build(j, dev, NewStaticRegistry(ms...), sdk.Dispatcher{})
	if err != nil {
		t.Fatal(err)
	}
	p.Grace = 50 * time.Millisecond
	p.Sleep = func(time.Duration) {}
	return p
}

var finalizeTail = []string{"power off"}

func TestRunOrder(t *testing.T) {
	rec := &recorder{}
	p := buildTest(t, rec, nil, time.Minute,
		tblock{sdk.SectionDeploy, "d", sdk.ActionSpec{Name: "deploy", Children: []sdk.ActionSpec{
			{Name: "a", Children: []sdk.ActionSpec{leaf("a1"), leaf("a2")}}, leaf("b")}}, job.ActionBlock{}},
		tblock{sdk.SectionBoot, "b", leaf("boot"), job.ActionBlock{}},
	)
	if err := p.Run(context.Background(), env{rec}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"run 1 deploy", "run 1.1 a", "run 1.1.1 a1", "run 1.1.2 a2", "run 1.2 b", "run 2 boot",
		"power power_off",
		"close-console",
		"cleanup 2 boot", "cleanup 1.2 b", "cleanup 1.1.2 a2", "cleanup 1.1.1 a1", "cleanup 1.1 a", "cleanup 1 deploy",
	}
	if d := cmp.Diff(want, rec.events); d != "" {
		t.Errorf("order (-want +got):\n%s", d)
	}
	starts := rec.logged("start: ")
	if len(starts) == 0 || starts[0] != "start: 1 deploy (timeout 00:01:00) [common]" {
		t.Errorf("start lines: %q", starts)
	}
	if ends := rec.logged("end: 1 deploy"); len(ends) != 1 || !strings.HasPrefix(ends[0], "end: 1 deploy (duration 00:00:00) [common]") {
		t.Errorf("end lines: %q", ends)
	}
}

func TestRunErrorStopsAndCleansUp(t *testing.T) {
	rec := &recorder{}
	p := buildTest(t, rec, map[string]behaviour{
		"a2": func(context.Context, sdk.Call) error { return sdk.InfraErrorf("boom") },
	}, time.Minute,
		tblock{sdk.SectionDeploy, "d", sdk.ActionSpec{Name: "deploy", Children: []sdk.ActionSpec{leaf("a1"), leaf("a2"), leaf("a3")}}, job.ActionBlock{}},
		tblock{sdk.SectionBoot, "b", leaf("boot"), job.ActionBlock{}},
	)
	err := p.Run(context.Background(), env{rec})
	if err == nil || err.Error() != "boom" || sdk.TypeOf(err) != sdk.Infrastructure {
		t.Fatalf("err = %v (%s)", err, sdk.TypeOf(err))
	}
	want := []string{"run 1 deploy", "run 1.1 a1", "run 1.2 a2", "power power_off", "close-console",
		"cleanup 1.2 a2", "cleanup 1.1 a1", "cleanup 1 deploy"}
	if d := cmp.Diff(want, rec.events); d != "" {
		t.Errorf("order (-want +got):\n%s", d)
	}
	r := JobResult(err)
	if r.Result != "fail" || r.Extra["error_msg"] != "boom" || r.Extra["error_type"] != "Infrastructure" {
		t.Errorf("job result %+v", r)
	}
	if JobResult(nil).Result != "pass" {
		t.Error("pass")
	}
}

func retrySpec() sdk.ActionSpec {
	return sdk.ActionSpec{Name: "boot-retry", Retry: true, Children: []sdk.ActionSpec{leaf("step"), leaf("login")}}
}

func TestRunRetry(t *testing.T) {
	cases := []struct {
		name      string
		block     job.ActionBlock
		failUntil int // login fails on attempts < failUntil (0: never, -1: always)
		failOn    int // login fails only on this attempt (repeat)
		wantErr   string
		wantRuns  int
		wantLogs  []string
	}{
		{name: "first try", block: job.ActionBlock{FailureRetry: 3}, wantRuns: 1},
		{name: "third try", block: job.ActionBlock{FailureRetry: 3}, failUntil: 3, wantRuns: 3, wantLogs: []string{
			"boot-retry failed: 1 of 3 attempts. 'login failed'", "boot-retry failed: 2 of 3 attempts. 'login failed'"}},
		{name: "exhausted", block: job.ActionBlock{FailureRetry: 3}, failUntil: -1, wantRuns: 3, wantErr: "login failed", wantLogs: []string{
			"boot-retry failed: 1 of 3 attempts. 'login failed'", "boot-retry failed: 2 of 3 attempts. 'login failed'",
			"boot-retry failed: 3 of 3 attempts. 'login failed'", "3 retries failed for boot-retry"}},
		{name: "repeat", block: job.ActionBlock{Repeat: 3}, wantRuns: 3},
		{name: "repeat one failure", block: job.ActionBlock{Repeat: 3}, failOn: 2, wantRuns: 3,
			wantErr: "1 retries out of 3 failed for boot-retry", wantLogs: []string{"boot-retry failed: 1 of 3 attempts. 'login failed'"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := &recorder{}
			p := buildTest(t, rec, map[string]behaviour{
				"login": func(_ context.Context, call sdk.Call) error {
					if c.failUntil == -1 || call.Attempt < c.failUntil || call.Attempt == c.failOn {
						return sdk.JobErrorf("login failed")
					}
					return nil
				},
			}, time.Minute, tblock{sdk.SectionBoot, "b", retrySpec(), c.block})
			err := p.Run(context.Background(), env{rec})
			if got := fmt.Sprint(err); (c.wantErr == "" && err != nil) || (c.wantErr != "" && got != c.wantErr) {
				t.Fatalf("err = %v, want %q", err, c.wantErr)
			}
			runs := 0
			for _, e := range rec.events {
				if e == "run 1 boot-retry" {
					runs++
				}
			}
			if runs != c.wantRuns {
				t.Errorf("%d runs, want %d: %q", runs, c.wantRuns, rec.events)
			}
			var got []string
			for _, l := range rec.logs {
				if strings.Contains(l, "boot-retry failed") || strings.Contains(l, "retries failed for") {
					got = append(got, l)
				}
			}
			if d := cmp.Diff(c.wantLogs, got); d != "" {
				t.Errorf("retry logs (-want +got):\n%s", d)
			}
		})
	}
}

// A failed attempt is cleaned up (newest first) before the next one starts.
func TestRunRetryCleansAttempt(t *testing.T) {
	rec := &recorder{}
	p := buildTest(t, rec, map[string]behaviour{
		"login": func(_ context.Context, call sdk.Call) error {
			if call.Attempt == 1 {
				return sdk.InfraErrorf("no login")
			}
			return nil
		},
	}, time.Minute, tblock{sdk.SectionBoot, "b", retrySpec(), job.ActionBlock{FailureRetry: 2}})
	if err := p.Run(context.Background(), env{rec}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"run 1 boot-retry", "run 1.1 step", "run 1.2 login",
		"cleanup 1.2 login", "cleanup 1.1 step", "cleanup 1 boot-retry",
		"run 1 boot-retry", "run 1.1 step", "run 1.2 login",
		"power power_off", "close-console",
		"cleanup 1.2 login", "cleanup 1.1 step", "cleanup 1 boot-retry",
	}
	if d := cmp.Diff(want, rec.events); d != "" {
		t.Errorf("order (-want +got):\n%s", d)
	}
	if w := rec.logged("Retrying: 1 boot-retry (timeout "); len(w) != 1 {
		t.Errorf("Retrying line: %q", rec.logs)
	}
}

func TestRunRetryNoTimeLeft(t *testing.T) {
	rec := &recorder{}
	p := buildTest(t, rec, map[string]behaviour{
		"login": func(context.Context, sdk.Call) error { return sdk.InfraErrorf("no login") },
	}, time.Minute, tblock{sdk.SectionBoot, "b", retrySpec(),
		job.ActionBlock{FailureRetry: 3, FailureRetryInterval: time.Hour}})
	err := p.Run(context.Background(), env{rec})
	want := "No time left for remaining 2 retries. You should either increase block timeout or decrease named action timeout. 1 retries out of 3 failed for boot-retry"
	if err == nil || err.Error() != want || sdk.TypeOf(err) != sdk.Infrastructure {
		t.Fatalf("err = %v (%s)", err, sdk.TypeOf(err))
	}
}

// A Bug is never retried.
func TestRunRetryNotOnBug(t *testing.T) {
	rec := &recorder{}
	p := buildTest(t, rec, map[string]behaviour{
		"login": func(context.Context, sdk.Call) error { return errors.New("untyped") },
	}, time.Minute, tblock{sdk.SectionBoot, "b", retrySpec(), job.ActionBlock{FailureRetry: 3}})
	err := p.Run(context.Background(), env{rec})
	if sdk.TypeOf(err) != sdk.Bug {
		t.Fatalf("err = %v (%s)", err, sdk.TypeOf(err))
	}
	if n := strings.Count(strings.Join(rec.events, "\n"), "run 1 boot-retry"); n != 1 {
		t.Errorf("%d tries", n)
	}
}

func blockUntilDone(ctx context.Context, _ sdk.Call) error { <-ctx.Done(); return ctx.Err() }

func TestRunTimeouts(t *testing.T) {
	ms := func(n int) *job.Timeout { return &job.Timeout{Duration: time.Duration(n) * time.Millisecond} }
	// The stuck action returns only when the test ends, so Run always has to
	// give up on it after the grace (a sleep could end first on a loaded machine).
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	cases := []struct {
		name     string
		job      time.Duration
		block    job.ActionBlock
		section  sdk.Section
		spec     sdk.ActionSpec
		run      map[string]behaviour
		wantErr  string
		wantType sdk.ErrorType
		wantRun  []string // actions that ran
	}{
		{name: "action", job: time.Minute, block: job.ActionBlock{Timeout: ms(50)}, section: sdk.SectionDeploy,
			spec: sdk.ActionSpec{Name: "deploy", Children: []sdk.ActionSpec{leaf("wait")}},
			// as in LAVA, the innermost action at the deadline names the timeout
			run: map[string]behaviour{"wait": blockUntilDone}, wantErr: "wait timed out after 0 seconds", wantType: sdk.Job},
		{name: "own type", job: time.Minute, block: job.ActionBlock{Timeout: ms(50)}, section: sdk.SectionBoot,
			spec: sdk.ActionSpec{Name: "connect", TimeoutError: sdk.Infrastructure},
			run:  map[string]behaviour{"connect": blockUntilDone}, wantErr: "connect timed out after 0 seconds", wantType: sdk.Infrastructure},
		{name: "job", job: 50 * time.Millisecond, section: sdk.SectionDeploy,
			spec: sdk.ActionSpec{Name: "deploy", Children: []sdk.ActionSpec{leaf("wait")}},
			run:  map[string]behaviour{"wait": blockUntilDone}, wantErr: "job timed out after 0 seconds", wantType: sdk.Job},
		{name: "ignores deadline", job: time.Minute, block: job.ActionBlock{Timeout: ms(30)}, section: sdk.SectionDeploy,
			spec: leaf("stuck"),
			run: map[string]behaviour{"stuck": func(context.Context, sdk.Call) error {
				<-release
				return nil
			}}, wantErr: "stuck timed out after 0 seconds", wantType: sdk.Job},
		{name: "test", job: time.Minute, block: job.ActionBlock{Timeout: ms(50)}, section: sdk.SectionTest,
			spec: leaf("lava-test-shell"),
			run:  map[string]behaviour{"lava-test-shell": blockUntilDone}, wantErr: "lava-test-shell timed out after 0 seconds", wantType: sdk.Test},
		// a console timeout that the deadline ended (it wraps the deadline,
		// wrapped in turn by the method): what it waited for and the
		// console's last lines are kept, found by type
		{name: "console timeout", job: time.Minute, block: job.ActionBlock{Timeout: ms(50)}, section: sdk.SectionBoot,
			spec: leaf("login-action"),
			run: map[string]behaviour{"login-action": func(ctx context.Context, _ sdk.Call) error {
				<-ctx.Done()
				te := &sdk.TimeoutError{Patterns: []string{"login:"}, Wait: 50 * time.Millisecond, LastLines: []string{"stretch login:"}, Err: ctx.Err()}
				return sdk.JobErrorf("login-action: %w", &sdk.Error{Type: sdk.Job, Msg: te.Error(), Err: te})
			}},
			wantErr:  "login-action timed out after 0 seconds: login-action: wait for prompt timed out after 50ms waiting for \"login:\"; last console lines:\n    stretch login:",
			wantType: sdk.Job},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := &recorder{}
			p := buildTest(t, rec, c.run, c.job, tblock{c.section, "m", c.spec, c.block}, tblock{sdk.SectionTest, "after", leaf("after"), job.ActionBlock{}})
			err := p.Run(context.Background(), env{rec})
			// The node's own timeout message first; what it waited for may follow.
			if err == nil || !strings.HasPrefix(err.Error(), c.wantErr) || sdk.TypeOf(err) != c.wantType || !errors.Is(err, ErrTimeout) {
				t.Fatalf("err = %v (%s), want %q (%s)", err, sdk.TypeOf(err), c.wantErr, c.wantType)
			}
			for _, e := range rec.events {
				if e == "run 2 after" {
					t.Error("the next block ran after a timeout")
				}
			}
			if !strings.Contains(strings.Join(rec.events, ","), "power power_off") {
				t.Error("finalize did not run")
			}
		})
	}
}

func TestRunSkipTimeout(t *testing.T) {
	rec := &recorder{}
	p := buildTest(t, rec, map[string]behaviour{"lava-test-shell": blockUntilDone}, time.Minute,
		tblock{sdk.SectionTest, "definitions", sdk.ActionSpec{Name: "lava-test-retry", Retry: true, Children: []sdk.ActionSpec{leaf("lava-test-shell")}},
			job.ActionBlock{Timeout: &job.Timeout{Duration: 50 * time.Millisecond, Skip: true}}},
		tblock{sdk.SectionTest, "after", leaf("after"), job.ActionBlock{}})
	if err := p.Run(context.Background(), env{rec}); err != nil {
		t.Fatal(err)
	}
	if l := rec.logged("skip_timeout is set for lava-test-retry - continuing to next action block."); len(l) != 1 {
		t.Errorf("logs: %q", rec.logs)
	}
	if !strings.Contains(strings.Join(rec.events, ","), "run 2 after") {
		t.Error("the next block did not run")
	}
}

func TestRunPanic(t *testing.T) {
	rec := &recorder{}
	p := buildTest(t, rec, map[string]behaviour{
		"b": func(context.Context, sdk.Call) error { panic("nil map") },
	}, time.Minute, tblock{sdk.SectionDeploy, "d", sdk.ActionSpec{Name: "deploy", Children: []sdk.ActionSpec{leaf("a"), leaf("b")}}, job.ActionBlock{}})
	err := p.Run(context.Background(), env{rec})
	if sdk.TypeOf(err) != sdk.Bug || !strings.Contains(err.Error(), "b: panic: nil map") {
		t.Fatalf("err = %v (%s)", err, sdk.TypeOf(err))
	}
	want := []string{"run 1 deploy", "run 1.1 a", "run 1.2 b", "power power_off", "close-console", "cleanup 1.2 b", "cleanup 1.1 a", "cleanup 1 deploy"}
	if d := cmp.Diff(want, rec.events); d != "" {
		t.Errorf("order (-want +got):\n%s", d)
	}
}

func TestRunCancel(t *testing.T) {
	rec := &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	p := buildTest(t, rec, map[string]behaviour{
		"wait": func(ctx context.Context, _ sdk.Call) error { cancel(); <-ctx.Done(); return ctx.Err() },
	}, time.Minute,
		tblock{sdk.SectionDeploy, "d", sdk.ActionSpec{Name: "deploy", Children: []sdk.ActionSpec{leaf("wait")}}, job.ActionBlock{}},
		tblock{sdk.SectionBoot, "b", leaf("boot"), job.ActionBlock{}})
	err := p.Run(ctx, env{rec})
	if sdk.TypeOf(err) != sdk.Canceled {
		t.Fatalf("err = %v (%s)", err, sdk.TypeOf(err))
	}
	want := []string{"run 1 deploy", "run 1.1 wait", "power power_off", "close-console", "cleanup 1.1 wait", "cleanup 1 deploy"}
	if d := cmp.Diff(want, rec.events); d != "" {
		t.Errorf("order (-want +got):\n%s", d)
	}
}

func TestRunCleanupError(t *testing.T) {
	rec := &recorder{}
	p := buildTest(t, rec, nil, time.Minute, tblock{sdk.SectionDeploy, "d", leaf("deploy"), job.ActionBlock{}})
	p.Actions[0].Method.(*scripted).clean = map[string]behaviour{"deploy": func(context.Context, sdk.Call) error { return errors.New("stuck mount") }}
	err := p.Run(context.Background(), env{rec})
	if err == nil || err.Error() != "Failed to clean after job" || sdk.TypeOf(err) != sdk.Infrastructure {
		t.Fatalf("err = %v", err)
	}
}

func TestBadActionName(t *testing.T) {
	rec := &recorder{}
	j := &job.Job{Actions: []job.ActionBlock{{Section: "deploy", Method: "d", Namespace: "common"}}}
	m := &scripted{section: "deploy", name: "d", spec: sdk.ActionSpec{Name: "bad_name"}, rec: rec}
	_, err := Build(j, &device.Device{}, NewStaticRegistry(m), sdk.Dispatcher{})
	if sdk.TypeOf(err) != sdk.Bug || !strings.Contains(err.Error(), `declares an action named "bad_name"`) {
		t.Errorf("err = %v", err)
	}
}
