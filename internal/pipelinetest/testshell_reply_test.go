package pipelinetest

import (
	"context"
	"github.com/lavacore/lavacore/plugins/testshell"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/lavacore/lavacore/core/console"
	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/overlay/signals"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

// TestRun_PeerValueTypedAsSecondCommand: a lava-wait answered with a peer's
// value holding a newline (or a carriage return, which the board's tty turns
// into one) is typed back as one line, the whole reply, so nothing after the
// newline reaches the board's shell as a command of its own.
func TestRun_PeerValueTypedAsSecondCommand(t *testing.T) {
	const exit = "<LAVA_TEST_RUNNER EXIT>\r\n" + prompt
	start, end := "<LAVA_SIGNAL_STARTRUN 0_smoke 42_1.1>\r\n", "<LAVA_SIGNAL_ENDRUN 0_smoke 42_1.1>\r\n"
	tests := []struct{ name, value string }{
		{"newline", "10.0.0.5\ntouch /tmp/pwned #"},
		{"carriage return", "10.0.0.5\rtouch /tmp/pwned #"},
		{"reply terminator and newline", "10.0.0.5>\r\nreboot -f #"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := net.Pipe()
			con, err := console.New(pipeConn{a}, console.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer con.Close()
			defer b.Close()
			sent := make(chan string, 64)
			scriptedDevice(b, []string{start, "<LAVA_MULTI_NODE> <LAVA_WAIT ipv4>\r\n", end, exit}, false, sent)
			h := consoleHost{Host: sdktest.NewHost(""), con: con}
			h.ProtocolFunc = func(ctx context.Context, name string, req map[string]any) (map[string]any, error) {
				return map[string]any{"response": "ack", "message": map[string]any{"74587": map[string]any{"ipaddr": tc.value}}}, nil
			}
			_ = h.Set("shared", "shared", "prompts", `["`+prompt+`"]`)
			call := sdk.Call{Action: "lava-test-shell", Request: sdk.Request{Job: sdk.JobInfo{ID: "42"},
				Block: sdk.Block{Params: map[string]any{"definitions": []any{
					map[string]any{"from": "git", "name": "smoke", "path": "smoke.yaml", "repository": "http://x"}}}}}}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := testshell.New().Run(ctx, call, h); err != nil {
				t.Fatal(err)
			}
			for {
				select {
				case l := <-sent:
					if !strings.HasPrefix(l, "<LAVA_WAIT_COMPLETE") {
						continue
					}
					if !strings.HasSuffix(l, ">") || strings.ContainsAny(l, "\r\n") {
						t.Fatalf("the reply was cut into lines: %q", l)
					}
					if c, _ := signals.CacheFile(l); c != "74587:ipaddr="+tc.value+"\n" {
						t.Fatalf("the reply %q does not carry the value: the helper reads %q", l, c)
					}
					return
				case <-time.After(10 * time.Second):
					t.Fatal("the test shell typed no reply")
				}
			}
		})
	}
}
