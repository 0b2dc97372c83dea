package monitor

import (
	"context"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

func req(mons ...any) sdk.Request {
	return sdk.Request{Block: sdk.Block{Section: sdk.SectionTest, Method: "monitors", Namespace: "common",
		Params: map[string]any{"monitors": mons}}}
}

func aes() map[string]any {
	return map[string]any{"name": "Test AES128", "start": "tc_start()", "end": "PROJECT EXECUTION",
		"pattern":   `(?P<result>[A-Z]+)\s-\s(?P<test_case_id>\w+)\.`,
		"fixupdict": map[string]any{"PASS": "pass", "FAIL": "fail"}}
}

func TestDescribe(t *testing.T) {
	r := req(aes())
	top, err := New().Describe(r)
	if err != nil {
		t.Fatal(err)
	}
	if top.Name != "lava-test-monitor-retry" || !top.Retry || len(top.Children) != 1 || top.Children[0].Name != "lava-test-monitor" {
		t.Errorf("%+v", top)
	}
	sdktest.CheckActions(t, New(), r)
	if ok, _ := New().Accepts(sdk.Request{Block: sdk.Block{Params: map[string]any{"definitions": []any{}}}}); ok {
		t.Errorf("a definitions block is accepted")
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		mon  map[string]any
		want string
	}{
		{aes(), ""},
		{map[string]any{"name": "x", "start": "s", "end": "e"}, "monitors[0].pattern: required key not provided: pattern"},
		{map[string]any{"name": "x", "start": "s", "end": "e", "pattern": "(?P<result>"}, "monitors[0].pattern: invalid pattern"},
		{map[string]any{"name": "x", "end": "e", "pattern": "p"}, "monitors[0].start: required key not provided: start"},
	}
	for _, c := range cases {
		diags := New().Validate(context.Background(), req(c.mon))
		got := ""
		if len(diags) > 0 {
			got = diags[0].Path + ": " + diags[0].Summary
		}
		if c.want == "" && got != "" || c.want != "" && !strings.HasPrefix(got, c.want) {
			t.Errorf("%v: %q, want %q", c.mon, got, c.want)
		}
	}
}

// Results between the start and end strings are recorded (fixupdict
// applied, case ids normalised); lines before the start are not; a result
// outside pass/fail/skip/unknown is logged as an error, not recorded; the
// second monitor starts after the first ends.
func TestRunRecordsBetweenStartAndEnd(t *testing.T) {
	second := map[string]any{"name": "bench", "start": "bench start", "end": "bench end",
		"pattern": `(?P<test_case_id>\w+): (?P<measurement>[0-9.]+) (?P<units>\w+)`}
	h := sdktest.NewHost("PASS - early.\ntc_start()\nPASS - aes_ecb.\nFAIL - aes_cbc.\nMAYBE - aes_ctr.\n" +
		"PROJECT EXECUTION SUCCESSFUL\nPASS - late.\nbench start\nspeed: 12.5 MBps\nbench end\n")
	call := sdk.Call{Request: req(aes(), second), Action: "lava-test-monitor", Level: "3.1"}
	if err := New().Run(context.Background(), call, h); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range h.Results {
		got = append(got, r.Definition+"/"+r.Case+"="+r.Result+r.Measurement+r.Units+"@"+r.Level)
	}
	want := "test-aes128/aes_ecb=pass@3.1 test-aes128/aes_cbc=fail@3.1 bench/speed=pass12.5MBps@3.1"
	if strings.Join(got, " ") != want {
		t.Errorf("results %q, want %q", got, want)
	}
	if !strings.Contains(strings.Join(h.Logs, "\n"), "bad test results: MAYBE - aes_ctr.") {
		t.Errorf("logs: %q", h.Logs)
	}
}

// A monitor whose end never comes fails the test action (a Test error).
func TestRunWithoutEndIsATestError(t *testing.T) {
	h := sdktest.NewHost("tc_start()\nPASS - aes_ecb.\n")
	err := New().Run(context.Background(), sdk.Call{Request: req(aes()), Action: "lava-test-monitor", Level: "3.1"}, h)
	if sdk.TypeOf(err) != sdk.Test {
		t.Errorf("%v (%s), want a Test error", err, sdk.TypeOf(err))
	}
	if len(h.Results) != 1 {
		t.Errorf("results %v", h.Results)
	}
}
