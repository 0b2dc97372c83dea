package overlay

import (
	"strings"
	"testing"
	"time"

	"github.com/lavacore/lavacore/core/overlay/signals"
	"github.com/lavacore/lavacore/sdk"
)

func TestCollectorExpectedAndInfo(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var got []sdk.Result
	c := &Collector{
		Result:   func(r sdk.Result) { got = append(got, r) },
		Now:      func() time.Time { now = now.Add(1500 * time.Millisecond); return now },
		Info:     map[string]map[string]any{"0_e": {"repository": "inline", "path": "e.yaml", "revision": "unspecified"}},
		Patterns: map[string]ParseSpec{"0_e": {Expected: []string{"a", "b"}}},
	}
	var p signals.Parser
	for _, l := range []string{
		"<LAVA_SIGNAL_STARTRUN 0_e 1_1.1>",
		"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=a RESULT=pass>",
		"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=z RESULT=pass>",
		"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=bad RESULT=maybe>",
		"<LAVA_SIGNAL_ENDRUN 0_e 1_1.1>",
		"<LAVA_SIGNAL_STARTRUN 1_f 1_1.2>",
		"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=c RESULT=pass>",
	} {
		for _, ev := range p.Feed(l) {
			if err := c.Event(ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	c.Abort()
	var lines []string
	for _, r := range got {
		l := r.Definition + "/" + r.Case + "=" + r.Result
		if r.Duration != "" {
			l += " " + r.Duration
		}
		if r.Extra["reason"] != nil {
			l += " (missing)"
		}
		if r.Extra["uuid"] != nil {
			l += " uuid=" + r.Extra["uuid"].(string)
		}
		if r.Extra["repository"] != nil {
			l += " repo=" + r.Extra["repository"].(string)
		}
		lines = append(lines, l)
	}
	want := []string{
		"0_e/a=pass", "0_e/z=fail", "0_e/b=fail (missing)", "lava/0_e=pass 1.50 uuid=1_1.1 repo=inline",
		"1_f/c=pass", "lava/1_f=fail 1.50 uuid=1_1.2",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if err := c.Event(p.Feed("<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=x RESULT=pass>")[0]); err == nil {
		t.Error("TESTCASE outside a run accepted")
	}
}
