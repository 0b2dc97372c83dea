package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

// wireMethod is a method whose actions exercise the wire.
type wireMethod struct{}

var wireSpec = &sdk.BlockSpec{
	Attrs: []sdk.AttrSpec{
		{Name: "prompt", Type: "string", Required: true, Doc: "the prompt"},
		{Name: "delay", Type: "number", Default: float64(5)},
		{Name: "tags", Type: "list(string)", Default: []any{"a", "b"}},
	},
	Blocks: []sdk.NestedBlockSpec{{TypeName: "commands", Labels: []string{"name"},
		Body: sdk.BlockSpec{Attrs: []sdk.AttrSpec{{Name: "lines", Type: "list(string)", Required: true}}}}},
}

var wireAction = sdk.ActionSpec{Name: "wire-boot", Description: "d", Summary: "s", Class: "WireBoot", Retry: true,
	Timeout: 90 * time.Second, TimeoutError: sdk.Infrastructure,
	Children: []sdk.ActionSpec{{Name: "child", URL: "http://x/y", Children: []sdk.ActionSpec{{Name: "grandchild"}}}}}

func (wireMethod) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionBoot, Name: "wire", Description: "wire test", DeviceSpec: wireSpec}
}
func (wireMethod) Accepts(req sdk.Request) (bool, string) {
	return req.Block.Method == "wire", "method is " + req.Block.Method
}
func (wireMethod) Describe(req sdk.Request) (sdk.ActionSpec, error) {
	if req.Block.Params["fail"] == true {
		return sdk.ActionSpec{}, sdk.ConfigErrorf("no such thing %q", req.Device.Vars["x"])
	}
	return wireAction, nil
}
func (wireMethod) Validate(_ context.Context, req sdk.Request) sdk.Diagnostics {
	return sdk.Diagnostics{{Severity: sdk.SevWarning, Path: "commands", Summary: "sum", Detail: "det " + req.Job.ID}}
}

func (wireMethod) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	switch call.Action {
	case "typed":
		return sdk.TestErrorf("typed %s", call.Level)
	case "custom":
		return &sdk.Error{Type: "MultinodeTimeout", Msg: "custom type"}
	case "untyped":
		return errors.New("plain error")
	case "panic":
		var m map[string]int
		m["x"]++
	case "deadline":
		d, ok := ctx.Deadline()
		if !ok {
			return sdk.JobErrorf("no deadline")
		}
		if err := host.Log(sdk.LevelDebug, d.Format(time.RFC3339Nano)); err != nil {
			return err
		}
		<-ctx.Done()
		return sdk.JobErrorf("waited for the prompt: %v", ctx.Err())
	case "services":
		if err := host.Log(sdk.LevelInfo, "hello \xff binary"); err != nil {
			return err
		}
		if err := host.Set("a", "l", "k", `"v"`); err != nil {
			return err
		}
		v, ok, err := host.Get("a", "l", "k")
		if err != nil {
			return err
		}
		if _, missing, err := host.Get("a", "l", "none"); missing || !ok || err != nil {
			return sdk.JobErrorf("get: %q %v %v", v, ok, err)
		}
		if err := host.Result(sdk.Result{Definition: "lava", Case: "c-" + v, Result: "pass", Extra: map[string]any{"n": 1.5}}); err != nil {
			return err
		}
		if err := host.Power(ctx, "hard_reset"); err != nil {
			return err
		}
		rep, err := host.Protocol(ctx, "lava-multinode", map[string]any{"request": "lava-send", "messageID": "m"})
		if err != nil {
			return err
		}
		if rep["response"] != "ack" {
			return sdk.JobErrorf("protocol reply %v", rep)
		}
		con, err := host.OpenConsole(ctx, sdk.ConsoleSpec{Command: "telnet x 1", SSH: &sdk.SSHSpec{Host: "h", Port: 22}})
		if err != nil {
			return err
		}
		if err := con.SendLine(ctx, "root"); err != nil {
			return err
		}
		m, err := con.Expect(ctx, []string{"never", `#\s(.)`}, time.Second)
		if err != nil {
			return err
		}
		if m.Index != 1 || m.Groups[0] != "\xff" || m.Before != "login: Password ok\r\n" {
			return sdk.JobErrorf("match %+v", m)
		}
		_, err = con.Expect(ctx, []string{"absent"}, time.Second)
		if sdk.TypeOf(err) != sdk.Job {
			return bugf("expect error lost its type: %v", err)
		}
		s, ok := con.(sdk.Streamer)
		if !ok {
			return bugf("console is no Streamer")
		}
		r, err := s.Stream(ctx)
		if err != nil {
			return err
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil || string(b) != "rest\xfe" {
			return sdk.JobErrorf("stream %q %v", b, err)
		}
		return host.CloseConsole(ctx)
	}
	return nil
}

func (wireMethod) Cleanup(ctx context.Context, call sdk.Call, host sdk.Host) error {
	return host.Log(sdk.LevelInfo, "cleanup "+call.Action)
}

func serveWire(t testing.TB) sdk.Method {
	ms := sdktest.Serve(t, wireMethod{})
	if len(ms) != 1 {
		t.Fatalf("%d methods", len(ms))
	}
	return ms[0]
}

func TestWireDescribe(t *testing.T) {
	m := serveWire(t)
	if diff := cmp.Diff(wireMethod{}.Info(), m.Info()); diff != "" {
		t.Errorf("MethodInfo over the wire (-want +got):\n%s", diff)
	}
	req := sdk.Request{Block: sdk.Block{Method: "wire"}, Job: sdk.JobInfo{ID: "42"}, Device: sdk.Device{Vars: map[string]string{"x": "y"}}}
	if ok, why := m.Accepts(req); !ok || why != "method is wire" {
		t.Errorf("Accepts: %v %q", ok, why)
	}
	a, err := m.Describe(req)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wireAction, a); diff != "" {
		t.Errorf("ActionSpec over the wire (-want +got):\n%s", diff)
	}
	req.Block.Params = map[string]any{"fail": true}
	if _, err := m.Describe(req); sdk.TypeOf(err) != sdk.Configuration || err.Error() != `no such thing "y"` {
		t.Errorf("Describe error: %v (%s)", err, sdk.TypeOf(err))
	}
	want := sdk.Diagnostics{{Severity: sdk.SevWarning, Path: "commands", Summary: "sum", Detail: "det 42"}}
	if diff := cmp.Diff(want, m.Validate(context.Background(), req)); diff != "" {
		t.Errorf("Validate (-want +got):\n%s", diff)
	}
}

func TestWireErrors(t *testing.T) {
	m := serveWire(t)
	host := sdktest.NewHost("")
	for _, tc := range []struct {
		action string
		typ    sdk.ErrorType
		msg    string
	}{
		{"typed", sdk.Test, "typed 1.2"},
		{"custom", "MultinodeTimeout", "custom type"},
		{"untyped", sdk.Bug, "plain error"},
		{"panic", sdk.Bug, "plugin sdktest panicked in Run panic: assignment to entry in nil map"},
		{"ok", "", ""},
	} {
		t.Run(tc.action, func(t *testing.T) {
			err := m.Run(context.Background(), sdk.Call{Action: tc.action, Level: "1.2"}, host)
			if sdk.TypeOf(err) != tc.typ {
				t.Errorf("type %q, want %q (%v)", sdk.TypeOf(err), tc.typ, err)
			}
			if err != nil && err.Error() != tc.msg {
				t.Errorf("message %q, want %q", err.Error(), tc.msg)
			}
			if sdk.IsTransport(err) {
				t.Errorf("a plugin's own error is no transport failure")
			}
		})
	}
}

// TestWireDeadline: the action's deadline reaches the plugin, and when it
// passes, the method's own error (what it waited for) comes back.
func TestWireDeadline(t *testing.T) {
	m := serveWire(t)
	host := sdktest.NewHost("")
	deadline := time.Now().Add(300 * time.Millisecond)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	err := m.Run(ctx, sdk.Call{Action: "deadline"}, host)
	if sdk.TypeOf(err) != sdk.Job || !strings.Contains(err.Error(), "waited for the prompt: context deadline exceeded") {
		t.Fatalf("got %v (%s)", err, sdk.TypeOf(err))
	}
	if len(host.Logs) != 1 || host.Logs[0] != "debug: "+deadline.Format(time.RFC3339Nano) {
		t.Errorf("the plugin saw deadline %q, want %s", host.Logs, deadline.Format(time.RFC3339Nano))
	}
	// A cancellation ends the call at once, long before the hour (and its
	// grace): a sanity bound of seconds, so that a loaded machine passes;
	// BenchmarkWireCancel measures how soon.
	ctx, cancel = context.WithTimeout(context.Background(), time.Hour)
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	err = m.Run(ctx, sdk.Call{Action: "deadline"}, host)
	if err == nil || time.Since(start) > 10*time.Second {
		t.Fatalf("cancel: %v after %s", err, time.Since(start))
	}
}

// BenchmarkWireCancel: how soon a cancelled call returns (the "at once" of
// TestWireDeadline), as cancel-ms per op.
func BenchmarkWireCancel(b *testing.B) {
	m := serveWire(b)
	host := sdktest.NewHost("")
	var total time.Duration
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		var cancelled time.Time
		time.AfterFunc(10*time.Millisecond, func() { cancelled = time.Now(); cancel() })
		if err := m.Run(ctx, sdk.Call{Action: "deadline"}, host); err == nil {
			b.Fatal("a cancelled call succeeded")
		}
		total += time.Since(cancelled)
		cancel()
	}
	b.ReportMetric(float64(total.Microseconds())/1e3/float64(b.N), "cancel-ms/op")
}

func TestWireHostServices(t *testing.T) {
	m := serveWire(t)
	host := sdktest.NewHost("login: ", sdktest.Step{Expect: "^root$", Reply: "Password ok\r\n# \xffrest\xfe"})
	err := m.Run(context.Background(), sdk.Call{Action: "services"}, host)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"info: hello \xff binary"}, host.Logs); diff != "" {
		t.Errorf("logs (-want +got):\n%s", diff)
	}
	want := []sdk.Result{{Definition: "lava", Case: `c-"v"`, Result: "pass", Extra: map[string]any{"n": 1.5}}}
	if diff := cmp.Diff(want, host.Results); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"hard_reset"}, host.PowerOps); diff != "" {
		t.Errorf("power (-want +got):\n%s", diff)
	}
	if err := m.Cleanup(context.Background(), sdk.Call{Action: "services"}, host); err != nil {
		t.Fatal(err)
	}
}

// counter is a protocol that counts calls; each client gets a fresh one.
type counter struct{ n, configured int }

func (c *counter) Name() string { return "counter" }
func (c *counter) Configure(_ context.Context, cfg sdk.ProtocolConfig) error {
	if cfg.Params["role"] != "host" || cfg.JobID != "7" {
		return sdk.ConfigErrorf("bad config %+v", cfg)
	}
	c.configured++
	return nil
}
func (c *counter) Call(_ context.Context, req map[string]any) (map[string]any, error) {
	if req["request"] == "fail" {
		return nil, &sdk.Error{Type: "MultinodeTimeout", Msg: "nobody came"}
	}
	c.n++
	return map[string]any{"n": c.n, "configured": c.configured}, nil
}
func (c *counter) Finalize(context.Context, bool) error { return nil }

func TestWireProtocols(t *testing.T) {
	_, pc := sdktest.ServeConfig(t, sdk.ServeConfig{Name: "proto", ProtocolFactories: map[string]func() sdk.Protocol{
		"counter": func() sdk.Protocol { return &counter{} }}})
	ctx := context.Background()
	a, err := pc.Open(ctx, "counter")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pc.Open(ctx, "counter")
	cfg := sdk.ProtocolConfig{JobID: "7", Params: map[string]any{"role": "host"}}
	if err := a.Configure(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	a.Call(ctx, map[string]any{"request": "x"})
	r, err := a.Call(ctx, map[string]any{"request": "x"})
	if err != nil || r["n"] != 2.0 || r["configured"] != 1.0 {
		t.Fatalf("a: %v %v", r, err)
	}
	if r, _ := b.Call(ctx, map[string]any{"request": "x"}); r["n"] != 1.0 {
		t.Errorf("the clients share a protocol value: %v", r)
	}
	if _, err := a.Call(ctx, map[string]any{"request": "fail"}); sdk.TypeOf(err) != "MultinodeTimeout" {
		t.Errorf("protocol error type lost: %v (%s)", err, sdk.TypeOf(err))
	}
	if err := b.Configure(ctx, sdk.ProtocolConfig{}); sdk.TypeOf(err) != sdk.Configuration {
		t.Errorf("configure error: %v", err)
	}
	if err := a.Finalize(ctx, true); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Call(ctx, map[string]any{}); sdk.TypeOf(err) != sdk.Infrastructure {
		t.Errorf("a finalized client still answers: %v", err)
	}
	if _, err := pc.Open(ctx, "nope"); err == nil || !strings.Contains(err.Error(), `serves no protocol "nope"`) {
		t.Errorf("open unknown: %v", err)
	}
}

func TestManifestOf(t *testing.T) {
	m := sdk.ManifestOf(sdk.ServeConfig{Name: "n", Version: "1.0.0", Methods: []sdk.Method{wireMethod{}},
		ProtocolFactories: map[string]func() sdk.Protocol{"counter": func() sdk.Protocol { return &counter{} }}})
	if m.APIVersion != int(sdk.Handshake.ProtocolVersion) || len(m.Methods) != 1 || m.Protocols[0] != "counter" {
		t.Errorf("%+v", m)
	}
}

func bugf(format string, a ...any) error {
	return &sdk.Error{Type: sdk.Bug, Msg: fmt.Sprintf(format, a...)}
}
