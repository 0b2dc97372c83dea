package command

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

// LAVA's tests/lava_dispatcher/actions/test_commands.py device.
var dev = sdk.Device{Name: "d", Commands: map[string]sdk.DeviceCommand{
	"hard_reset":   {Do: []string{"/path/to/hard-reset"}},
	"power_off":    {Do: []string{"something", "something-else"}},
	"do_something": {Do: []string{"/bin/do"}, Undo: []string{"/bin/undo"}, User: true},
}}

func req(d sdk.Device, name string) sdk.Request {
	return sdk.Request{Device: d, Block: sdk.Block{Section: sdk.SectionCommand, Method: name, Params: map[string]any{"name": name}}}
}

func TestLookup(t *testing.T) {
	cases := []struct {
		dev  sdk.Device
		name string
		want string
	}{
		{dev, "do_something", ""},
		{dev, "hard_reset", ""},
		{dev, "unknown_command", "Unknown user command 'unknown_command'"},
		{dev, "pre_power_command", "Command 'pre_power_command' not defined for this device"},
		{sdk.Device{}, "some-action", "Device has no configured user commands"},
	}
	for _, c := range cases {
		_, err := Lookup(req(c.dev, c.name))
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
		if ok, _ := New().Accepts(req(c.dev, c.name)); !ok {
			t.Errorf("%s: not accepted", c.name)
		}
		diags := New().Validate(context.Background(), req(c.dev, c.name))
		if (len(diags) > 0) != (c.want != "") || len(diags) > 0 && (diags[0].Path != "name" || diags[0].Summary != c.want) {
			t.Errorf("%s: validate %+v", c.name, diags)
		}
	}
	sdktest.CheckActions(t, New(), req(dev, "do_something"))
	s, err := New().Describe(req(dev, "do_something"))
	if err != nil || s.Name != "user-command" || s.Class != "CommandAction" || s.TimeoutError != sdk.Infrastructure || len(s.Children) != 0 {
		t.Errorf("describe: %+v, %v", s, err)
	}
	if _, err := New().Describe(req(dev, "nope")); err == nil || sdk.TypeOf(err) != sdk.Job {
		t.Errorf("describe of an unknown command: %v", err)
	}
}

func call(d sdk.Device, name string) sdk.Call {
	return sdk.Call{Request: req(d, name), Action: Name, Level: "1"}
}

// Each line of do runs in turn, its output in the job log; a builtin has no
// undo; a failing line stops with its exit status and output.
func TestRunLogsAndFails(t *testing.T) {
	d := sdk.Device{Commands: map[string]sdk.DeviceCommand{
		"two":        {Do: []string{"echo 'one two'", "sh -c 'echo out; echo err >&2'"}, User: true},
		"fail":       {Do: []string{"sh -c 'echo bad news; exit 3'", "echo never"}, User: true},
		"hard_reset": {Do: []string{"echo reset"}},
	}}
	ctx := context.Background()
	h := sdktest.NewHost("")
	if err := New().Run(ctx, call(d, "two"), h); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(h.Logs, "\n")
	want := strings.Join([]string{
		"info: Running user command 'two'",
		"debug: Calling: 'echo 'one two''",
		"debug: output: one two",
		"debug: Calling: 'sh -c 'echo out; echo err >&2''",
	}, "\n")
	if !strings.HasPrefix(got, want) || !strings.Contains(got, "debug: output: out") || !strings.Contains(got, "debug: output: err") {
		t.Errorf("logs:\n%s", got)
	}
	if err := New().Cleanup(ctx, call(d, "two"), h); err != nil {
		t.Error(err)
	}
	h = sdktest.NewHost("")
	err := New().Run(ctx, call(d, "fail"), h)
	if err == nil || sdk.TypeOf(err) != sdk.Infrastructure ||
		err.Error() != "user command 'fail': 'sh -c 'echo bad news; exit 3'' failed: exit status 3; output: bad news" {
		t.Errorf("fail: %v", err)
	}
	if strings.Contains(strings.Join(h.Logs, "\n"), "never") {
		t.Errorf("ran on after a failure: %v", h.Logs)
	}
	h = sdktest.NewHost("")
	if err := New().Run(ctx, call(d, "hard_reset"), h); err != nil {
		t.Fatal(err)
	}
	n := len(h.Logs)
	if err := New().Cleanup(ctx, call(d, "hard_reset"), h); err != nil || len(h.Logs) != n {
		t.Errorf("builtin cleanup: %v, %v", err, h.Logs[n:])
	}
}

// do, then undo in cleanup; a hung undo is killed at the cleanup's deadline.
func TestUndoAndTimeout(t *testing.T) {
	d := sdk.Device{Commands: map[string]sdk.DeviceCommand{
		"u": {Do: []string{"echo on"}, Undo: []string{"echo off"}, User: true},
		"h": {Do: []string{"true"}, Undo: []string{"sleep 300"}, User: true},
	}}
	h := sdktest.NewHost("")
	ctx := context.Background()
	if err := New().Run(ctx, call(d, "u"), h); err != nil {
		t.Fatal(err)
	}
	if err := New().Cleanup(ctx, call(d, "u"), h); err != nil {
		t.Fatal(err)
	}
	var outs []string
	for _, l := range h.Logs {
		if strings.HasPrefix(l, "debug: output: ") || strings.HasPrefix(l, "info: ") {
			outs = append(outs, l)
		}
	}
	want := "info: Running user command 'u'|debug: output: on|info: Running cleanup for user command 'u'|debug: output: off"
	if strings.Join(outs, "|") != want {
		t.Errorf("logs: %q", outs)
	}
	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := New().Cleanup(cctx, call(d, "h"), h)
	if time.Since(start) > 20*time.Second || err == nil || !strings.HasPrefix(err.Error(), "user command 'h': 'sleep 300' was killed at its timeout") {
		t.Errorf("hung undo: %v after %s", err, time.Since(start))
	}
}
