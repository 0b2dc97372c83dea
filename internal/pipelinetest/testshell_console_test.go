package pipelinetest

// The test shell (plugins/testshell) against the host's real console (core/console).

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/lavacore/lavacore/core/console"
	"github.com/lavacore/lavacore/plugins/testshell"
	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

const prompt = "root@dut:~# "

type pipeConn struct{ net.Conn }

func (pipeConn) String() string { return "pipe" }

// consoleHost is sdktest's fake host with a real console (LAVA's expect
// window, reads arriving in chunks) on a pipe to a scripted device.
type consoleHost struct {
	*sdktest.Host
	con *console.Console
}

func (h consoleHost) Console(context.Context) (sdk.Console, error) { return h.con, nil }

// scriptedDevice answers the two setup lines with a prompt and the runner command
// with chunks, each written on its own (so a marker can be split across
// reads); it closes the console afterwards when hangUp is set. Every line
// the test shell sends is recorded on sent.
func scriptedDevice(dev net.Conn, chunks []string, hangUp bool, sent chan<- string) {
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		r := bufio.NewReader(dev)
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return
			}
			select {
			case sent <- strings.TrimSpace(l):
			default: // the test reads few; never block the pipe
			}
			lines <- l
		}
	}()
	go func() {
		for l := range lines {
			switch {
			case strings.HasPrefix(l, "export SHELL=") || strings.HasPrefix(l, ". "):
				dev.Write([]byte(l + prompt))
			case strings.Contains(l, "bin/lava-test-runner"):
				dev.Write([]byte(l))
				for _, c := range chunks {
					if _, err := dev.Write([]byte(c)); err != nil {
						return
					}
					time.Sleep(2 * time.Millisecond)
				}
				if hangUp {
					dev.Close()
				}
			}
		}
	}()
}

// TestRunHostileConsole runs the test shell against a console printing
// malformed and fake signals: each run ends with a clear result or error,
// within its deadline.
func TestRunHostileConsole(t *testing.T) {
	const exit = "<LAVA_TEST_RUNNER EXIT>\r\n" + prompt
	start, end := "<LAVA_SIGNAL_STARTRUN 0_smoke 42_1.1>\r\n", "<LAVA_SIGNAL_ENDRUN 0_smoke 42_1.1>\r\n"
	big := strings.Repeat("y", 1<<20)
	tests := []struct {
		name    string
		chunks  []string
		hangUp  bool          // the device closes the console after the chunks
		timeout time.Duration // the action's deadline; 0: 20 s
		results string
		err     string // substring of Run's error; "" none
		reply   string // a line the test shell must have typed back
	}{
		{name: "clean run", chunks: []string{start, "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=a RESULT=pass>\r\n", end, exit},
			results: "0_smoke/a=pass lava/0_smoke=pass"},
		{name: "garbage bytes", chunks: []string{"\x00\xff\xfe\x1b[2J<LAVA_\x00>\r\n", start, "<LAVA_SIGNAL_\xff\x00>\xff",
			"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=g RESULT=\x00>\r\n<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=h RESULT=fail>\r\n", end, exit},
			results: "0_smoke/h=fail lava/0_smoke=pass"},
		{name: "signal split across reads", chunks: []string{start, "<LAVA_SIG", "NAL_TESTCASE TEST_CASE_ID=s", " RESULT=pa", "ss>\r\n",
			"<LAVA_MULTI_NODE> <LAVA", "_WAIT ipv4>\r\n", "<LAVA_SIGNAL_ENDRUN 0_smoke", " 42_1.1>\r\n", "<LAVA_TEST_RUNNER ", "EXIT>\r\n" + prompt},
			results: "0_smoke/s=pass lava/multinode-wait-ipv4=pass lava/0_smoke=pass", reply: "<LAVA_WAIT_COMPLETE>"},
		{name: "unknown signal names", chunks: []string{start, "<LAVA_SIGNAL_FROB x>\r\n<LAVA_SIGNAL_TESTCASEX TEST_CASE_ID=x RESULT=pass>\r\n",
			"<LAVA_TEST_RUNNER EXITED>\r\n<LAVA_WAIT_COMPLETE 1:a=b>\r\n", end, exit},
			results: "lava/0_smoke=pass"},
		{name: "unknown MultiNode request", chunks: []string{start, "<LAVA_MULTI_NODE> <LAVA_FROB id1>\r\n", end, exit},
			results: "lava/0_smoke=fail", err: "unknown LAVA_FROB"},
		{name: "1 MB line with markers at both ends", chunks: []string{start,
			"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=first RESULT=pass>" + big + "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=last RESULT=skip>\r\n", end, exit},
			results: "0_smoke/first=pass 0_smoke/last=skip lava/0_smoke=pass"},
		{name: "1 MB line inside a marker", chunks: []string{start, "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=" + big + " RESULT=pass>\r\n", end, exit},
			results: "lava/0_smoke=pass"},
		{name: "TESTRAISE", chunks: []string{start, "<LAVA_SIGNAL_TESTRAISE disk on fire>\r\n", end, exit},
			results: "lava/0_smoke=fail", err: "disk on fire"},
		{name: "STARTRUN without uuid", chunks: []string{"<LAVA_SIGNAL_STARTRUN 0_smoke>\r\n", exit},
			err: "Invalid STARTRUN signal"},
		{name: "TESTCASE outside a run", chunks: []string{"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=a RESULT=pass>\r\n", exit},
			err: "Invalid TESTCASE signal"},
		{name: "install failure", chunks: []string{"<LAVA_TEST_RUNNER INSTALL_FAIL>\r\n", exit},
			results: "lava/stage_0=fail", err: "install failed"},
		{name: "unterminated marker, then the console closes", chunks: []string{start, "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=u RESULT=pass"},
			hangUp: true, results: "lava/0_smoke=fail", err: "Connection closed"},
		{name: "no runner exit: the deadline ends the wait", chunks: []string{start, "<LAVA_SIGNAL_ENDRUN 0_smoke 42_1.1"},
			timeout: 500 * time.Millisecond, results: "lava/0_smoke=fail", err: "timed out in test definition 0_smoke"},
		{name: "a step that hangs: the timeout names it", chunks: []string{start, "+ lava-test-case a --shell true\r\n<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=a RESULT=pass>\r\n",
			"+ sleep 1000\r\n"},
			timeout: 500 * time.Millisecond, results: "0_smoke/a=pass lava/0_smoke=fail", err: "timed out in test definition 0_smoke, at step `sleep 1000`: no LAVA signal or test runner exit for "},
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
			scriptedDevice(b, tc.chunks, tc.hangUp, sent)
			h := consoleHost{Host: sdktest.NewHost(""), con: con}
			h.Set("shared", "shared", "prompts", `["`+prompt+`"]`)
			call := sdk.Call{Action: "lava-test-shell", Request: sdk.Request{Job: sdk.JobInfo{ID: "42"},
				Block: sdk.Block{Params: map[string]any{"definitions": []any{
					map[string]any{"from": "git", "name": "smoke", "path": "smoke.yaml", "repository": "http://x"}}}}}}
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 20 * time.Second
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- testshell.New().Run(ctx, call, h) }()
			select {
			case err = <-done:
			case <-time.After(timeout + 10*time.Second):
				t.Fatalf("Run did not return %s after its deadline", 10*time.Second)
			}
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("error: %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("error %v, want %q", err, tc.err)
			}
			var got []string
			for _, r := range h.Results {
				got = append(got, r.Definition+"/"+r.Case+"="+r.Result)
			}
			if s := strings.Join(got, " "); s != tc.results {
				t.Errorf("results %q, want %q", s, tc.results)
			}
			if tc.reply != "" {
				for found := false; !found; {
					select {
					case l := <-sent:
						found = l == tc.reply
					case <-time.After(10 * time.Second):
						t.Fatalf("the test shell did not type %q", tc.reply)
					}
				}
			}
		})
	}
}
