package testshell

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/actionspec"
	"github.com/lavacore/lavacore/sdk/bootflow"
	"github.com/lavacore/lavacore/sdk/overlay"
	"github.com/lavacore/lavacore/sdk/overlay/signals"
)

// actions is the code of the test shell's actions.
func actions() sdk.Actions {
	t := sdk.Actions{
		"lava-test-retry": sdk.Group{},
		"lava-test-shell": testShell{},
		"multinode-test":  testShell{},
	}
	maps.Copy(t, dockerActions())
	return t
}

// testShell is lava-test-shell (or multinode-test).
type testShell struct{}

// Run starts lava-test-runner for this test action's stage on the console
// and turns what the scripts print into results, answering MultiNode
// requests through the protocol.
func (testShell) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	con, err := host.Console(ctx)
	if err != nil {
		return sdk.JobErrorf("No connection to the DUT: %v", err)
	}
	prompts, err := bootflow.Prompts(host)
	if err != nil {
		return err
	}
	if len(prompts) == 0 {
		return sdk.JobErrorf("lava-test-shell: the boot gave no shell prompts")
	}
	results, err := bootflow.GetString(host, bootflow.KeyResultsDir)
	if err != nil {
		return err
	}
	if results == "" {
		results = bootflow.ResultsDir(call.Request)
	}
	stage, first, names := stageOf(call.Request)
	shell := "/bin/sh"
	if posix, ok := call.Device.Constants["posix"].(map[string]any); ok && bootflow.Str(posix, "lava_test_sh_cmd") != "" {
		shell = bootflow.Str(posix, "lava_test_sh_cmd")
	}
	shellW, err := bootflow.ShellWord("lava_test_sh_cmd", shell)
	if err != nil {
		return err
	}
	resW, err := bootflow.ShellWord("lava_test_results_dir", results)
	if err != nil {
		return err
	}
	for _, l := range []string{"export SHELL=" + shellW, ". " + resW + "/environment"} {
		if err := con.SendLine(ctx, l); err != nil {
			return err
		}
		if _, err := con.Expect(ctx, prompts, 0); err != nil {
			return sdk.JobErrorf("lava-test-shell: no prompt after %q: %w", l, err)
		}
	}
	// the collector records results as it parses; the first the host could
	// not take ends the run (resultErr is checked after each event)
	var resultErr error
	record := func(r sdk.Result) {
		if err := host.Result(r); err != nil && resultErr == nil {
			resultErr = err
		}
	}
	col := &overlay.Collector{Result: record, Info: map[string]map[string]any{}, Patterns: map[string]overlay.ParseSpec{}}
	defs, _ := call.Block.Params["definitions"].([]any)
	for i, d := range defs {
		m, _ := d.(map[string]any)
		id := fmt.Sprintf("%d_%s", first+i, bootflow.Str(m, "name"))
		info := map[string]any{"path": bootflow.Str(m, "path"), "namespace": call.Block.Namespace,
			"revision": "unspecified"}
		if r, ok := m["repository"].(string); ok {
			info["repository"] = r
		} else {
			info["repository"] = "inline"
		}
		if v := bootflow.Str(m, "revision"); v != "" {
			info["revision"] = v
		}
		c, err := bootflow.GetString(host, [3]string{"test", bootflow.Str(m, "name"), "commit-id"})
		if err != nil {
			return err
		}
		if c != "" {
			info["commit_id"] = c
		}
		col.Info[id] = info
		v, ok, err := host.Get("test", id, "parse")
		if err != nil {
			return err
		}
		if ok {
			var ps overlay.ParseSpec
			if json.Unmarshal([]byte(v), &ps) == nil {
				col.Patterns[id] = ps
			}
		}
	}
	runner := fmt.Sprintf("%s/bin/lava-test-runner %s/%d", resW, resW, stage)
	if err := host.Log(sdk.LevelInfo, fmt.Sprintf("Running the test shell: %s (%s)", runner, strings.Join(names, ", "))); err != nil {
		return err
	}
	if err := con.SendLine(ctx, runner); err != nil {
		return err
	}
	// One parsing path: the console is expected for marker candidates
	// (signals.Pattern) and signals.Parser says what each is. The text
	// between markers goes to the definitions' parse patterns, as before;
	// a candidate that is no marker (the echo of a reply typed back) stays
	// part of that text.
	var p signals.Parser
	var pending string // text since the last marker, candidates that were none included
	line := 1          // console line of the next marker, as far as the window kept it
	for {
		m, err := con.Expect(ctx, []string{signals.Pattern}, 0)
		if err != nil {
			where := "before any test definition started"
			cur := col.Current()
			if r := cur; r != nil {
				where = "in test definition " + r.ID
			} else if len(col.Done) > 0 {
				where = "after test definition " + col.Done[len(col.Done)-1]
			}
			col.Abort()
			// the deadline ended the wait: the host's console says so (its
			// timeout wraps the deadline) as soon as our own context does
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
				var wait *sdk.TimeoutError
				errors.As(err, &wait)
				st := ""
				if cur != nil {
					// run.sh runs the steps under set -x: the last "+ " line
					// on the console (the timeout's last lines, else the
					// text before them) is the step that was running
					if wait != nil {
						st = lastStep(strings.Join(wait.LastLines, "\n"))
					}
					if st == "" {
						st = lastStep(pending)
					}
					if st != "" {
						where += ", at step `" + st + "`"
					}
				}
				return signalWait(where, st, err, wait)
			}
			return fmt.Errorf("lava-test-shell %s: %w", where, err)
		}
		text := pending + m.Before
		line += strings.Count(m.Before, "\n")
		events := p.Feed(m.Text)
		if len(events) == 0 {
			pending = tail(text + m.Text)
			line += strings.Count(m.Text, "\n")
			continue
		}
		pending = ""
		col.Parse(text)
		for _, ev := range events {
			ev.Line = line // the parser is fed one candidate at a time: its count is of markers
			switch {
			case ev.Kind == signals.RunnerExit:
				col.Abort()
				// Wait for the shell prompt so the next action starts clean.
				_, _ = con.Expect(ctx, prompts, 30*time.Second)
				return resultErr
			case ev.Kind == signals.InstallFail:
				// why the stage failed matters more than a result the host could not take
				_ = host.Result(sdk.Result{Definition: "lava", Case: fmt.Sprintf("stage_%d", stage), Result: "fail"})
				return sdk.TestErrorf("test definition install failed (<LAVA_TEST_RUNNER INSTALL_FAIL>)")
			case ev.MultiNode():
				if err := multinode(ctx, con, host, ev); err != nil {
					// the sync error is what the job fails with, logged or not
					_ = host.Log(sdk.LevelWarning, "Sync error in multinode signal: "+err.Error())
					col.Abort()
					return err
				}
			default:
				if ev.Kind == signals.EndRun && col.Current() == nil {
					if err := host.Log(sdk.LevelWarning, "ENDRUN without STARTRUN: "+ev.Raw); err != nil {
						col.Abort()
						return err
					}
				}
				if err := col.Event(ev); err != nil {
					col.Abort()
					return err
				}
			}
		}
		if resultErr != nil {
			col.Abort()
			return resultErr
		}
		line += strings.Count(m.Text, "\n")
	}
}

// maxPending bounds the text kept for the parse patterns across candidates
// that were no marker (a console window's worth is what Expect keeps).
const maxPending = 64 << 10

func tail(s string) string {
	if len(s) > maxPending {
		return s[len(s)-maxPending:]
	}
	return s
}

// multinode answers one <LAVA_MULTI_NODE> request through the protocol.
func multinode(ctx context.Context, con sdk.Console, host sdk.Host, ev signals.Event) error {
	req, err := overlay.MultiNodeRequest(ev)
	if err != nil {
		return err
	}
	api := string(ev.Kind)
	reply, err := host.Protocol(ctx, "lava-multinode", req)
	id := strings.ToLower(fmt.Sprintf("multinode-%s-%s", api, req["messageID"]))
	if err != nil {
		// the protocol's error is what the job fails with, recorded or not
		_ = host.Result(sdk.Result{Definition: "lava", Case: id, Result: "fail"})
		return err
	}
	if err := host.Result(sdk.Result{Definition: "lava", Case: id, Result: "pass"}); err != nil {
		return err
	}
	if api == "SEND" {
		if reply["response"] == "nack" {
			return sdk.TestErrorf("Coordinator was unable to accept LAVA_SEND")
		}
		return nil
	}
	return con.SendLine(ctx, overlay.MultiNodeReply(api, reply))
}

// stageOf returns the stage of this test action (its index among the
// namespace's test actions with definitions), the index of its first
// definition over all of them, and its definitions' names.
func stageOf(req sdk.Request) (stage, first int, names []string) {
	stage = 0
	for _, b := range actionspec.TestBlocks(req) {
		if b.Method != "definitions" {
			continue
		}
		list, _ := b.Params["definitions"].([]any)
		if b.Index == req.Block.Index {
			for _, d := range list {
				m, _ := d.(map[string]any)
				names = append(names, bootflow.Str(m, "name"))
			}
			return stage, first, names
		}
		stage++
		first += len(list)
	}
	return stage, first, names
}

// lastStep is the last shell trace line ("+ command", set -x) in text, a
// step of a test definition's run.sh; "" when there is none.
func lastStep(text string) string {
	lines := strings.Split(text, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(strings.ReplaceAll(lines[i], "\r", ""))
		st, ok := strings.CutPrefix(l, "+ ")
		if !ok || st == "" || st == "set +x" || strings.Contains(st, "<LAVA_") {
			continue
		}
		if len(st) > 200 {
			st = st[:200] + "…"
		}
		return st
	}
	return ""
}

// signalWait is the error of a test shell whose wait for a LAVA signal
// timed out at the action's deadline. For a console timeout the pattern it
// waited for is the test shell's own (any LAVA marker), so the user is told
// that, with the console's last lines, rather than the regexp; the timeout's
// fields travel on (with the step) for the host. Any other error is quoted.
func signalWait(where, step string, err error, wait *sdk.TimeoutError) error {
	if wait == nil {
		return sdk.TestErrorf("lava-test-shell timed out %s: %v", where, err)
	}
	te := *wait
	te.Step = step
	return &sdk.Error{Type: sdk.Test, Err: &te, Msg: fmt.Sprintf("lava-test-shell timed out %s: no LAVA signal or test runner exit for %s%s",
		where, te.Wait.Round(time.Millisecond), te.LinesText())}
}
