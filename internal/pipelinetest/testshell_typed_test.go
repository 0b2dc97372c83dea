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
	"github.com/lavacore/lavacore/sdk/sdktest"
)

// TestRun_ResultsDirTypedAsCommand: the results directory is typed into the
// board's shell as one word: shell syntax in it is quoted, and a control
// character (which the tty acts on: ^U erases the line typed so far, so
// the rest would run unquoted) is refused before anything is typed.
func TestRun_ResultsDirTypedAsCommand(t *testing.T) {
	tests := []struct {
		name, dir string
		typed     string // the line that sources the environment; "" when refused
		err       string
	}{
		{"LAVA's default stays as it is", "/lava-%s", ". /lava-42/environment", ""},
		{"command after a semicolon", "/lava-%s; touch /tmp/pwned #", `. '/lava-42; touch /tmp/pwned #'/environment`, ""},
		{"quote and command substitution", "/l'$(reboot)", `. '/l'"'"'$(reboot)'/environment`, ""},
		{"line kill then a command", "/lava\x15touch /tmp/pwned", "", "control character"},
		{"newline then a command", "/lava\ntouch /tmp/pwned", "", "control character"},
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
			scriptedDevice(b, []string{"<LAVA_TEST_RUNNER EXIT>\r\n" + prompt}, false, sent)
			h := consoleHost{Host: sdktest.NewHost(""), con: con}
			_ = h.Set("shared", "shared", "prompts", `["`+prompt+`"]`)
			call := sdk.Call{Action: "lava-test-shell", Request: sdk.Request{
				Job: sdk.JobInfo{ID: "42", Context: map[string]any{"lava_test_results_dir": tc.dir}},
				Block: sdk.Block{Params: map[string]any{"definitions": []any{
					map[string]any{"from": "git", "name": "smoke", "path": "smoke.yaml", "repository": "http://x"}}}}}}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err = testshell.New().Run(ctx, call, h)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				select {
				case l := <-sent:
					t.Fatalf("typed %q before refusing", l)
				default:
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for {
				select {
				case l := <-sent:
					if strings.HasPrefix(l, ". ") {
						if l != tc.typed {
							t.Fatalf("typed %q, want %q", l, tc.typed)
						}
						return
					}
				case <-time.After(10 * time.Second):
					t.Fatal("the environment was never sourced")
				}
			}
		})
	}
}
