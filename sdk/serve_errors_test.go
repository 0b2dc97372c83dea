package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

// Errors cross the plugin wire as data: every test here goes through the
// real gRPC seam (sdktest.Serve) and checks the typed error on the other side.

// errMethod returns, from Run, the error its test gave it for the action.
type errMethod struct {
	errs map[string]func(ctx context.Context, host sdk.Host) error
}

func (errMethod) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionBoot, Name: "errs", Description: "returns errors"}
}
func (errMethod) Accepts(sdk.Request) (bool, string) { return true, "" }
func (errMethod) Describe(sdk.Request) (sdk.ActionSpec, error) {
	return sdk.ActionSpec{Name: "errs"}, nil
}
func (errMethod) Validate(context.Context, sdk.Request) sdk.Diagnostics { return nil }
func (m errMethod) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	return m.errs[call.Action](ctx, host)
}
func (errMethod) Cleanup(context.Context, sdk.Call, sdk.Host) error { return nil }

// timeout is a console timeout as the host's console makes it, with a line
// that is not UTF-8 (console output is bytes).
func timeout(ctxErr error) *sdk.TimeoutError {
	return &sdk.TimeoutError{Patterns: []string{"login:", `root@\w+:~#`}, Wait: 62 * time.Second,
		LastLines: []string{"Booting Linux", "bad byte \xff here", "+ sleep 1000"}, Err: ctxErr}
}

// consoleErr is the error the host's console returns for te.
func consoleErr(te *sdk.TimeoutError) error {
	return &sdk.Error{Type: sdk.Job, Msg: te.Error(), Err: te}
}

// TestWireErrorTypes: every LAVA error type, an untyped error, the context
// errors and wrapped context arrive with their type, message and chain.
func TestWireErrorTypes(t *testing.T) {
	type want struct {
		typ      sdk.ErrorType
		msg      string
		deadline bool // errors.Is(err, context.DeadlineExceeded)
		canceled bool // errors.Is(err, context.Canceled)
	}
	cases := []struct {
		name string
		err  error
		want want
	}{
		{"infrastructure", sdk.InfraErrorf("tftp: %s", "no such file"), want{typ: sdk.Infrastructure, msg: "tftp: no such file"}},
		{"job", sdk.JobErrorf("Login incorrect"), want{typ: sdk.Job, msg: "Login incorrect"}},
		{"test", sdk.TestErrorf("test definition install failed"), want{typ: sdk.Test, msg: "test definition install failed"}},
		{"bug", &sdk.Error{Type: sdk.Bug, Msg: "nil map"}, want{typ: sdk.Bug, msg: "nil map"}},
		{"configuration", sdk.ConfigErrorf("no tftp_root"), want{typ: sdk.Configuration, msg: "no tftp_root"}},
		{"canceled", &sdk.Error{Type: sdk.Canceled, Msg: "canceled while waiting", Err: context.Canceled},
			want{typ: sdk.Canceled, msg: "canceled while waiting", canceled: true}},
		{"custom type", &sdk.Error{Type: "MultinodeTimeout", Msg: "nobody came"}, want{typ: "MultinodeTimeout", msg: "nobody came"}},
		{"untyped", errors.New("plain"), want{typ: sdk.Bug, msg: "plain"}},
		{"wrapped typed", fmt.Errorf("boot grub-efi: %w", sdk.JobErrorf("no prompt")), want{typ: sdk.Job, msg: "boot grub-efi: no prompt"}},
		{"bare deadline", context.DeadlineExceeded, want{typ: sdk.Bug, msg: "context deadline exceeded", deadline: true}},
		{"wrapped deadline", fmt.Errorf("waited for x: %w", context.DeadlineExceeded),
			want{typ: sdk.Bug, msg: "waited for x: context deadline exceeded", deadline: true}},
		{"typed deadline", sdk.JobErrorf("waited for x: %w", context.DeadlineExceeded),
			want{typ: sdk.Job, msg: "waited for x: context deadline exceeded", deadline: true}},
	}
	m := errMethod{errs: map[string]func(context.Context, sdk.Host) error{}}
	for _, tc := range cases {
		m.errs[tc.name] = func(context.Context, sdk.Host) error { return tc.err }
	}
	remote := sdktest.Serve(t, m)[0]
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := remote.Run(context.Background(), sdk.Call{Action: tc.name}, sdktest.NewHost(""))
			got := want{typ: sdk.TypeOf(err), deadline: errors.Is(err, context.DeadlineExceeded), canceled: errors.Is(err, context.Canceled)}
			if err != nil {
				got.msg = err.Error()
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%v on the host (-want +got):\n%s", err, diff)
			}
			if sdk.IsTransport(err) || errors.As(err, new(*sdk.TimeoutError)) || errors.As(err, new(*sdk.ProtocolError)) {
				t.Errorf("%v: the host found a chain the plugin did not return", err)
			}
		})
	}
}

// TestWireConsoleTimeout: a console timeout keeps its patterns, wait, last
// lines and step across the wire in both directions, under the context its
// method wrapped it in, and errors.As finds it on either side.
func TestWireConsoleTimeout(t *testing.T) {
	cases := []struct {
		name   string
		ctxErr error  // the context error the timeout wraps
		wrap   string // the method's context ("" none)
		step   string
	}{
		{name: "timeout"},
		{name: "at the deadline", ctxErr: context.DeadlineExceeded},
		{name: "wrapped", ctxErr: context.DeadlineExceeded, wrap: "boot grub-efi: %w"},
		{name: "with step", wrap: "lava-test-shell in 0_smoke: %w", step: "sleep 1000"},
	}
	m := errMethod{errs: map[string]func(context.Context, sdk.Host) error{}}
	for _, tc := range cases {
		m.errs[tc.name] = func(context.Context, sdk.Host) error {
			te := timeout(tc.ctxErr)
			te.Step = tc.step
			var err error = consoleErr(te)
			if tc.wrap != "" {
				err = fmt.Errorf(tc.wrap, err)
			}
			return err
		}
	}
	remote := sdktest.Serve(t, m)[0]
	for _, tc := range cases {
		t.Run("plugin to host/"+tc.name, func(t *testing.T) {
			want := timeout(tc.ctxErr)
			want.Step = tc.step
			wantMsg := want.Error()
			if tc.wrap != "" {
				wantMsg = fmt.Errorf(tc.wrap, consoleErr(want)).Error()
			}
			err := remote.Run(context.Background(), sdk.Call{Action: tc.name}, sdktest.NewHost(""))
			var got *sdk.TimeoutError
			if !errors.As(err, &got) {
				t.Fatalf("%v: errors.As finds no *sdk.TimeoutError on the host", err)
			}
			if diff := cmp.Diff(fieldsOf(want), fieldsOf(got), cmpopts.EquateErrors()); diff != "" {
				t.Errorf("timeout on the host (-want +got):\n%s", diff)
			}
			if err.Error() != wantMsg {
				t.Errorf("message %q, want %q", err.Error(), wantMsg)
			}
			if sdk.TypeOf(err) != sdk.Job || !errors.Is(err, sdk.ErrConsoleTimeout) || errors.Is(err, context.DeadlineExceeded) != (tc.ctxErr != nil) {
				t.Errorf("%v: type %s, Is(ErrConsoleTimeout) %v, Is(DeadlineExceeded) %v", err, sdk.TypeOf(err),
					errors.Is(err, sdk.ErrConsoleTimeout), errors.Is(err, context.DeadlineExceeded))
			}
		})
	}

	// host to plugin: the host's console times out; the plugin finds the
	// timeout with errors.As (the action that waited filled in by the host)
	// and returns it wrapped, and the host finds it again
	t.Run("host to plugin", func(t *testing.T) {
		host := &timeoutHost{Host: sdktest.NewHost(""), err: consoleErr(timeout(context.DeadlineExceeded))}
		pm := errMethod{errs: map[string]func(context.Context, sdk.Host) error{
			"login-action": func(ctx context.Context, h sdk.Host) error {
				con, err := h.Console(ctx)
				if err != nil {
					return err
				}
				_, err = con.Expect(ctx, []string{"login:"}, time.Minute)
				want := timeout(context.DeadlineExceeded)
				want.Action = "login-action"
				var got *sdk.TimeoutError
				if !errors.As(err, &got) {
					return bugf("the plugin's errors.As finds no *sdk.TimeoutError in %v", err)
				}
				if diff := cmp.Diff(fieldsOf(want), fieldsOf(got), cmpopts.EquateErrors()); diff != "" {
					return bugf("timeout in the plugin (-want +got):\n%s", diff)
				}
				if !errors.Is(err, sdk.ErrConsoleTimeout) || !errors.Is(err, context.DeadlineExceeded) || sdk.TypeOf(err) != sdk.Job {
					return bugf("%v in the plugin: chain lost", err)
				}
				return sdk.JobErrorf("login-action: %w", err)
			}}}
		err := sdktest.Serve(t, pm)[0].Run(context.Background(), sdk.Call{Action: "login-action"}, host)
		var got *sdk.TimeoutError
		if sdk.TypeOf(err) != sdk.Job || !errors.As(err, &got) || got.Action != "login-action" || got.Wait != 62*time.Second {
			t.Fatalf("%v (%s): the timeout did not come back with its action", err, sdk.TypeOf(err))
		}
		if want := "login-action: " + timeout(nil).Error(); err.Error() != want {
			t.Errorf("message %q, want %q", err.Error(), want)
		}
	})
}

// timeoutFields are a TimeoutError's fields, to compare (a *TimeoutError is
// itself an error: cmp would compare it as one).
type timeoutFields struct {
	Patterns, LastLines []string
	Wait                time.Duration
	Action, Step        string
	Err                 error
}

func fieldsOf(te *sdk.TimeoutError) timeoutFields {
	return timeoutFields{Patterns: te.Patterns, LastLines: te.LastLines, Wait: te.Wait, Action: te.Action, Step: te.Step, Err: te.Err}
}

// timeoutHost is a Host whose console's Expect fails with err.
type timeoutHost struct {
	*sdktest.Host
	err error
}

func (h *timeoutHost) Console(context.Context) (sdk.Console, error) { return h, nil }
func (h *timeoutHost) SendLine(context.Context, string) error       { return nil }
func (h *timeoutHost) SendRaw(context.Context, string) error        { return nil }
func (h *timeoutHost) Expect(context.Context, []string, time.Duration) (sdk.Match, error) {
	return sdk.Match{}, h.err
}

// TestWireProtocolError: a protocol's error keeps its protocol's name as a
// field from the host to the plugin and back, and its message is not named
// twice.
func TestWireProtocolError(t *testing.T) {
	pm := errMethod{errs: map[string]func(context.Context, sdk.Host) error{
		"sync": func(ctx context.Context, h sdk.Host) error {
			_, err := h.Protocol(ctx, "lava-multinode", map[string]any{"request": "lava-sync"})
			var pe *sdk.ProtocolError
			if !errors.As(err, &pe) || pe.Protocol != "lava-multinode" {
				return bugf("the plugin's errors.As finds no lava-multinode *sdk.ProtocolError in %v", err)
			}
			return fmt.Errorf("multinode-test: %w", err)
		}}}
	host := sdktest.NewHost("")
	host.ProtocolFunc = func(context.Context, string, map[string]any) (map[string]any, error) {
		return nil, &sdk.ProtocolError{Protocol: "lava-multinode", Err: &sdk.Error{Type: "MultinodeTimeout", Msg: "lava_sync s: timed out"}}
	}
	err := sdktest.Serve(t, pm)[0].Run(context.Background(), sdk.Call{Action: "sync"}, host)
	var pe *sdk.ProtocolError
	if !errors.As(err, &pe) || pe.Protocol != "lava-multinode" || sdk.TypeOf(err) != "MultinodeTimeout" {
		t.Fatalf("%v (%s): the protocol's error lost its name or type", err, sdk.TypeOf(err))
	}
	if want := "multinode-test: lava-multinode: lava_sync s: timed out"; err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}
}

// TestWireHostFailures: a Host call that fails on the host side fails in
// the plugin with the host's error, typed; none is dropped.
func TestWireHostFailures(t *testing.T) {
	calls := map[string]func(sdk.Host) error{
		"log":    func(h sdk.Host) error { return h.Log(sdk.LevelInfo, "x") },
		"result": func(h sdk.Host) error { return h.Result(sdk.Result{Definition: "lava", Case: "c", Result: "pass"}) },
		"set":    func(h sdk.Host) error { return h.Set("a", "l", "k", `"v"`) },
		"get":    func(h sdk.Host) error { _, _, err := h.Get("a", "l", "k"); return err },
	}
	m := errMethod{errs: map[string]func(context.Context, sdk.Host) error{}}
	for name, call := range calls {
		m.errs[name] = func(_ context.Context, h sdk.Host) error {
			if err := call(h); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			return bugf("%s: the host's failure did not reach the plugin", name)
		}
	}
	// a value that is not JSON is refused by the host
	m.errs["set not JSON"] = func(_ context.Context, h sdk.Host) error { return h.Set("a", "l", "k", "not json") }
	remote := sdktest.Serve(t, m)[0]
	for _, tc := range []struct {
		call string
		fail error
		typ  sdk.ErrorType
		msg  string
	}{
		{"log", sdk.InfraErrorf("job log: no space left on device"), sdk.Infrastructure, "log: job log: no space left on device"},
		{"result", sdk.InfraErrorf("job log: no space left on device"), sdk.Infrastructure, "result: job log: no space left on device"},
		{"set", sdk.JobErrorf("namespace full"), sdk.Job, "set: namespace full"},
		{"get", errors.New("lost"), sdk.Bug, "get: lost"},
		{"set not JSON", nil, sdk.Bug, `namespace data a/l/k: the value is not JSON: "not json"`},
	} {
		t.Run(tc.call, func(t *testing.T) {
			host := sdktest.NewHost("")
			host.Fail = func(call string) error {
				if call == tc.call {
					return tc.fail
				}
				return nil
			}
			err := remote.Run(context.Background(), sdk.Call{Action: tc.call}, host)
			if err == nil || err.Error() != tc.msg || sdk.TypeOf(err) != tc.typ {
				t.Errorf("got %v (%s), want %q (%s)", err, sdk.TypeOf(err), tc.msg, tc.typ)
			}
		})
	}
}

// TestHostCallsEnded: a Host used after its call ended (kept by a plugin's
// goroutine) fails every call, Log, Result, Get and Set included.
func TestHostCallsEnded(t *testing.T) {
	kept := make(chan sdk.Host, 1)
	m := errMethod{errs: map[string]func(context.Context, sdk.Host) error{
		"keep": func(_ context.Context, h sdk.Host) error { kept <- h; return nil }}}
	if err := sdktest.Serve(t, m)[0].Run(context.Background(), sdk.Call{Action: "keep"}, sdktest.NewHost("")); err != nil {
		t.Fatal(err)
	}
	h := <-kept
	_, _, getErr := h.Get("a", "l", "k")
	for name, err := range map[string]error{
		"log": h.Log(sdk.LevelInfo, "late"), "result": h.Result(sdk.Result{Case: "late"}),
		"set": h.Set("a", "l", "k", `"v"`), "get": getErr,
	} {
		if sdk.TypeOf(err) != sdk.Infrastructure {
			t.Errorf("%s after the call ended: %v (%s), want an Infrastructure error", name, err, sdk.TypeOf(err))
		}
	}
}
