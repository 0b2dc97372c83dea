package overlay

import (
	"strings"
	"testing"
	"time"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/overlay/signals"
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

// TestCollectorMalformed: malformed and fake signals end the test with a
// clear error where LAVA's test shell raises one, and are ignored (no
// result, no error) where it ignores them.
func TestCollectorMalformed(t *testing.T) {
	tests := []struct {
		name    string
		lines   []string
		results string // "def/case=result …"
		err     string // substring of the error of the last line; "" none
	}{
		{"STARTRUN without uuid", []string{"<LAVA_SIGNAL_STARTRUN 0_a>"}, "", "Invalid STARTRUN signal"},
		{"TESTCASE outside a run", []string{"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=a RESULT=pass>"}, "", "Invalid TESTCASE signal"},
		{"TESTSET START without a name", []string{"<LAVA_SIGNAL_STARTRUN 0_a u>", "<LAVA_SIGNAL_TESTSET START  >"}, "", "Test set declared without a name"},
		{"TESTRAISE", []string{"<LAVA_SIGNAL_STARTRUN 0_a u>", "<LAVA_SIGNAL_TESTRAISE disk  on fire>"}, "", "disk on fire"},
		{"bad result, bad measurement, no id, id with a space", []string{"<LAVA_SIGNAL_STARTRUN 0_a u>",
			"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=a RESULT=great>", "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=b RESULT=pass MEASUREMENT=fast>",
			"<LAVA_SIGNAL_TESTCASE RESULT=pass>", "<LAVA_SIGNAL_TESTCASE junk TEST_CASE_ID=c RESULT=pass>",
			"<LAVA_SIGNAL_ENDRUN 0_a u>"}, "0_a/c=pass lava/0_a=pass", ""},
		{"unknown signals", []string{"<LAVA_SIGNAL_STARTRUN 0_a u>", "<LAVA_SIGNAL_FROB x>", "<LAVA_SIGNAL_TESTEVENT hi>",
			"<LAVA_SIGNAL_TESTFEEDBACK ns>", "<LAVA_SIGNAL_ENDRUN 0_a u>"}, "lava/0_a=pass", ""},
		{"ENDRUN of another run, ENDRUN without uuid", []string{"<LAVA_SIGNAL_STARTRUN 0_a u>", "<LAVA_SIGNAL_ENDRUN 1_b u>",
			"<LAVA_SIGNAL_ENDRUN 0_a>"}, "lava/0_a=pass", ""},
		{"ENDRUN without STARTRUN", []string{"<LAVA_SIGNAL_ENDRUN 0_a u>"}, "", ""},
		{"TESTREFERENCE with 2 params", []string{"<LAVA_SIGNAL_STARTRUN 0_a u>", "<LAVA_SIGNAL_TESTREFERENCE a pass>",
			"<LAVA_SIGNAL_TESTREFERENCE r pass http://x>"}, "0_a/r=pass", ""},
		{"garbage bytes", []string{"<LAVA_SIGNAL_STARTRUN 0_a u>", "\x00\xff<LAVA_SIGNAL_\xff \x00>", "<LAVA_SIGNAL_TESTCASE \xff>"}, "", ""},
		{"runner and MultiNode events are the caller's", []string{"<LAVA_TEST_RUNNER EXIT>", "<LAVA_TEST_RUNNER INSTALL_FAIL>",
			"<LAVA_MULTI_NODE> <LAVA_FROB x>", "<LAVA_MULTI_NODE> <LAVA_WAIT x>"}, "", ""},
		{"1 MB measurement is out of range: the case is dropped", []string{"<LAVA_SIGNAL_STARTRUN 0_a u>",
			"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=a RESULT=pass MEASUREMENT=" + strings.Repeat("9", 1<<20) + ">"}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			c := &Collector{Result: func(r sdk.Result) { got = append(got, r.Definition+"/"+r.Case+"="+r.Result) }}
			var p signals.Parser
			var err error
			for i, l := range tc.lines {
				for _, ev := range p.Feed(l) {
					if e := c.Event(ev); e != nil && i < len(tc.lines)-1 {
						t.Fatalf("line %d %q: %v", i, l, e)
					} else if e != nil {
						err = e
					}
				}
			}
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("error %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("error %v, want %q", err, tc.err)
			}
			if s := strings.Join(got, " "); s != tc.results {
				t.Errorf("results %q, want %q", s, tc.results)
			}
		})
	}
}
