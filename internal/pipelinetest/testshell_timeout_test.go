package pipelinetest

import (
	"context"
	"errors"
	"github.com/lavacore/lavacore/plugins/testshell"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/lavacore/lavacore/core/console"
	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

// TestRunTimeoutAcrossTheWire: the test shell served as a plugin, whose
// wait for a signal times out at the action's deadline on the host's
// console. It reads the timeout's fields (not its text) across the wire to
// word its error, and the host gets them back typed, with the step and the
// action.
func TestRunTimeoutAcrossTheWire(t *testing.T) {
	a, b := net.Pipe()
	con, err := console.New(pipeConn{a}, console.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer con.Close()
	defer b.Close()
	sent := make(chan string, 64)
	scriptedDevice(b, []string{"<LAVA_SIGNAL_STARTRUN 0_smoke 42_1.1>\r\n", "+ sleep 1000\r\n"}, false, sent)
	h := consoleHost{Host: sdktest.NewHost(""), con: con}
	if err := h.Set("shared", "shared", "prompts", `["`+prompt+`"]`); err != nil {
		t.Fatal(err)
	}
	call := sdk.Call{Action: "lava-test-shell", Request: sdk.Request{Job: sdk.JobInfo{ID: "42"},
		Block: sdk.Block{Params: map[string]any{"definitions": []any{
			map[string]any{"from": "git", "name": "smoke", "path": "smoke.yaml", "repository": "http://x"}}}}}}
	m := sdktest.Serve(t, testshell.New())[0]
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, call, h) }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return 30s after its deadline")
	}
	const want = "lava-test-shell timed out in test definition 0_smoke, at step `sleep 1000`: no LAVA signal or test runner exit for "
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "; last console lines:\n") || !strings.HasSuffix(err.Error(), "\n    + sleep 1000") {
		t.Fatalf("error %q, want %q… quoting the last console lines", err, want)
	}
	var te *sdk.TimeoutError
	if sdk.TypeOf(err) != sdk.Test || !errors.As(err, &te) {
		t.Fatalf("%v (%s): want a Test error wrapping the console's *sdk.TimeoutError", err, sdk.TypeOf(err))
	}
	if te.Step != "sleep 1000" || te.Action != "lava-test-shell" || te.Wait <= 0 ||
		len(te.LastLines) == 0 || te.LastLines[len(te.LastLines)-1] != "+ sleep 1000" || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("timeout on the host: %+v", te)
	}
}
