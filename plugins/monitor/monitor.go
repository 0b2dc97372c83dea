// Package monitor is the test "monitors" method (LAVA's TestMonitorAction):
// without typing anything, watch the console for each monitor's start
// string, record a result for every line matching its pattern until its end
// string, then go on to the next monitor.
package monitor

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/lavacore/lavacore/sdk"
)

type method struct{ sdk.Actions }

// New returns the test/monitors method.
func New() sdk.Method {
	return method{Actions: sdk.Actions{
		"lava-test-monitor-retry": sdk.Group{},
		"lava-test-monitor":       sdk.ActionFunc(run),
	}}
}

// Methods returns every method of this package.
func Methods() []sdk.Method { return []sdk.Method{New()} }

func (method) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionTest, Name: "monitors", Description: "Executing lava-test-monitor"}
}

func (method) Accepts(req sdk.Request) (bool, string) {
	if _, ok := req.Block.Params["monitors"]; !ok {
		return false, `"monitors" not in parameters`
	}
	return true, "accepted"
}

func (method) Describe(sdk.Request) (sdk.ActionSpec, error) {
	return sdk.ActionSpec{Name: "lava-test-monitor-retry", Class: "TestMonitorRetry", Retry: true,
		Description: "Retry wrapper for lava-test-monitor", Summary: "Retry support for Lava Test Monitoring",
		Children: []sdk.ActionSpec{{Name: "lava-test-monitor", Class: "TestMonitorAction", TimeoutError: sdk.Test,
			Description: "Executing lava-test-monitor", Summary: "Lava Test Monitor"}}}, nil
}

// monitor is one entry of the block's monitors list.
type monitor struct {
	Name, Start, End string
	Pattern          *regexp.Regexp
	Fixup            map[string]string
}

func monitors(params map[string]any) ([]monitor, sdk.Diagnostics) {
	list, ok := params["monitors"].([]any)
	if !ok || len(list) == 0 {
		return nil, sdk.Diagnostics{{Path: "monitors", Summary: "expected a list of monitors"}}
	}
	var out []monitor
	var diags sdk.Diagnostics
	for i, it := range list {
		m, _ := it.(map[string]any)
		path := fmt.Sprintf("monitors[%d]", i)
		var mon monitor
		for _, k := range []struct {
			key string
			dst *string
		}{{"name", &mon.Name}, {"start", &mon.Start}, {"end", &mon.End}} {
			s, _ := m[k.key].(string)
			if s == "" {
				diags = append(diags, sdk.Diagnostic{Path: path + "." + k.key, Summary: "required key not provided: " + k.key})
			}
			*k.dst = s
		}
		pat, _ := m["pattern"].(string)
		re, err := regexp.Compile(pat)
		switch {
		case pat == "":
			diags = append(diags, sdk.Diagnostic{Path: path + ".pattern", Summary: "required key not provided: pattern"})
		case err != nil:
			diags = append(diags, sdk.Diagnostic{Path: path + ".pattern", Summary: fmt.Sprintf("invalid pattern: %v", err)})
		}
		mon.Pattern = re
		if fx, ok := m["fixupdict"].(map[string]any); ok {
			mon.Fixup = map[string]string{}
			for k, v := range fx {
				mon.Fixup[k] = fmt.Sprint(v)
			}
		}
		out = append(out, mon)
	}
	return out, diags
}

func (method) Validate(_ context.Context, req sdk.Request) sdk.Diagnostics {
	_, diags := monitors(req.Block.Params)
	return diags
}

var nonWord = regexp.MustCompile(`\W+`)

// run watches the console for each monitor in turn.
func run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	mons, diags := monitors(call.Block.Params)
	if len(diags) > 0 {
		return sdk.JobErrorf("%s: %s", diags[0].Path, diags[0].Summary)
	}
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	for _, m := range mons {
		suite := strings.ToLower(strings.ReplaceAll(m.Name, " ", "-"))
		if err := host.Log(sdk.LevelInfo, "Waiting for start message: "+m.Start); err != nil {
			return err
		}
		if _, err := con.Expect(ctx, []string{m.Start}, 0); err != nil {
			return sdk.TestErrorf("lava-test-monitor %s: waiting for the start string %q: %v", m.Name, m.Start, err)
		}
		if err := host.Log(sdk.LevelInfo, "ok: start string found, lava test monitoring started"); err != nil {
			return err
		}
		for {
			mt, err := con.Expect(ctx, []string{m.End, m.Pattern.String()}, 0)
			if err != nil {
				var te *sdk.TimeoutError
				if errors.As(err, &te) {
					return sdk.TestErrorf("lava test monitoring has timed out: %v", err)
				}
				return err
			}
			if mt.Index == 0 {
				if err := host.Log(sdk.LevelInfo, "ok: end string found, lava test monitoring stopped"); err != nil {
					return err
				}
				break
			}
			if r, ok := result(m, suite, call.Level, mt.Text); ok {
				if err := host.Result(r); err != nil {
					return err
				}
			} else if err := host.Log(sdk.LevelError, "error: bad test results: "+mt.Text); err != nil {
				return err
			}
		}
	}
	return nil
}

// result turns a line matching the monitor's pattern into a result, as LAVA
// does: result (through fixupdict) and test_case_id, or test_case_id and a
// measurement alone (a pass).
func result(m monitor, suite, level, text string) (sdk.Result, bool) {
	sm := m.Pattern.FindStringSubmatch(text)
	if sm == nil {
		return sdk.Result{}, false
	}
	g := map[string]string{}
	has := map[string]bool{}
	for i, n := range m.Pattern.SubexpNames() {
		if n != "" && i < len(sm) {
			g[n], has[n] = sm[i], true
		}
	}
	r := sdk.Result{Definition: suite, Level: level, Measurement: g["measurement"], Units: g["units"]}
	r.Case = nonWord.ReplaceAllString(strings.ToLower(strings.TrimSpace(g["test_case_id"])), "_")
	if r.Case == "" {
		return r, false
	}
	if has["result"] {
		r.Result = g["result"]
		if v, ok := m.Fixup[r.Result]; ok {
			r.Result = v
		}
		switch r.Result {
		case "pass", "fail", "skip", "unknown":
			return r, true
		}
		return r, false
	}
	if g["measurement"] == "" {
		return r, false
	}
	r.Result = "pass"
	return r, true
}
