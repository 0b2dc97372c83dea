package signals

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

var patternRE = regexp.MustCompile(Pattern)

// feedCandidates feeds what an expect-style reader hands the parser: the
// matches of Pattern in text, one at a time.
func feedCandidates(p *Parser, text string) []Event {
	var out []Event
	for _, m := range patternRE.FindAllString(text, -1) {
		out = append(out, p.Feed(m)...)
	}
	return out
}

// kinds renders events as "KIND[:id][!]" ("!" when Err is set).
func kinds(evs []Event) string {
	var s []string
	for _, ev := range evs {
		k := string(ev.Kind)
		if ev.ID != "" {
			k += ":" + ev.ID
		} else if ev.MessageID != "" {
			k += ":" + ev.MessageID
		} else if ev.Message != "" {
			k += ":" + ev.Message
		}
		if ev.Err != nil {
			k += "!"
		}
		s = append(s, k)
	}
	return strings.Join(s, " ")
}

// TestHostileInput: malformed and fake signals give a clear event (Err set
// for a malformed one, UNKNOWN for an unknown name) or none, never a hang,
// and reading through Pattern finds exactly what feeding whole lines does.
func TestHostileInput(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	tests := []struct {
		name  string
		lines []string // Feed calls; a signal split across reads spans several
		want  string
	}{
		{"garbage bytes", []string{"\x00\xff\xfe<LAVA_\x00>\x1b[2J<LAVA_SIGNAL_\xff>\r"}, ""},
		{"garbage inside a marker", []string{"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=\xff\x00 RESULT=pass>"}, "TESTCASE:\xff\x00"},
		{"binary result", []string{"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=a RESULT=\x00>"}, "TESTCASE:a!"},
		{"split across reads", []string{"<LAVA_SIG", "NAL_TESTCASE TEST_CASE_ID=s RES", "ULT=pass>"}, ""},
		{"split marker rejoined", []string{"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=s RESULT=pass>"}, "TESTCASE:s"},
		{"unterminated", []string{"<LAVA_SIGNAL_STARTRUN 0_a 1"}, ""},
		{"unknown signal", []string{"<LAVA_SIGNAL_FROB x y>"}, "UNKNOWN:FROB"},
		{"unknown MultiNode request", []string{"<LAVA_MULTI_NODE> <LAVA_FROB id>"}, "UNKNOWN:id!"},
		{"fake runner markers", []string{"<LAVA_TEST_RUNNER EXITED> <LAVA_TEST_RUNNER>"}, ""},
		{"reply echo is no request", []string{"<LAVA_WAIT_COMPLETE 1:a=b>"}, ""},
		{"no name", []string{"<LAVA_SIGNAL_ x>"}, ""},
		{"no params", []string{"<LAVA_SIGNAL_TESTRAISE >"}, ""},
		{"STARTRUN without uuid", []string{"<LAVA_SIGNAL_STARTRUN 0_a>"}, "STARTRUN!"},
		{"TESTSET garbage", []string{"<LAVA_SIGNAL_TESTSET FOO>"}, "UNKNOWN!"},
		{"nested start", []string{"<LAVA_SIGNAL_A <LAVA_SIGNAL_STARTTC b>"}, "UNKNOWN:A"},
		{"1 MB line, markers at both ends", []string{"<LAVA_SIGNAL_STARTTC a>" + big + "<LAVA_SIGNAL_ENDTC a>"}, "STARTTC:a ENDTC:a"},
		{"1 MB unterminated marker", []string{"<LAVA_SIGNAL_TESTCASE " + big}, ""},
		{"1 MB of marker starts", []string{strings.Repeat("<LAVA_", 1<<20/6)}, ""},
		{"1 MB params", []string{"<LAVA_SIGNAL_TESTRAISE " + big + ">"}, "TESTRAISE:" + big},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			var byLine, byPattern Parser
			var lines, cands []Event
			for _, l := range tc.lines {
				lines = append(lines, byLine.Feed(l)...)
				cands = append(cands, feedCandidates(&byPattern, l)...)
			}
			if got := kinds(lines); got != tc.want {
				t.Errorf("Feed: got %.80q, want %.80q", got, tc.want)
			}
			if got := kinds(cands); got != tc.want {
				t.Errorf("through Pattern: got %.80q, want %.80q", got, tc.want)
			}
			// a sanity bound, not a speed target (about 0.2 s here; -race and
			// a loaded CI machine are many times slower): a parser that is
			// quadratic in the line's length takes hours on 1 MB
			if d := time.Since(start); d > 2*time.Minute {
				t.Errorf("took %s", d)
			}
		})
	}
}

// TestPatternCoversFeed: for every line of TestFeed's kind, the matches of
// Pattern carry the same events as the whole line.
func TestPatternCoversFeed(t *testing.T) {
	for _, line := range []string{
		"+ echo x <LAVA_SIGNAL_ENDRUN 0_smoke 42_1.1.3.1>",
		"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=m RESULT=pass MEASUREMENT=1.5 UNITS=s>",
		"<LAVA_SIGNAL_TESTSET STOP>",
		"<LAVA_TEST_RUNNER EXIT>", "<LAVA_TEST_RUNNER INSTALL_FAIL>",
		"<LAVA_MULTI_NODE> <LAVA_SEND ipv4 ipaddr=10.0.0.5 note=a b c=1>",
		"<LAVA_MULTI_NODE> <LAVA_WAIT_ALL done guest>",
		"<LAVA_MULTI_NODE> <LAVA_SYNC>",
		"<LAVA_SIGNAL_STARTTC a><LAVA_SIGNAL_ENDTC a>",
		"<LAVA_<LAVA_SIGNAL_STARTTC b>",
		"[   12.5] <LAVA_SIGNAL_TESTCASE TEST_CASE_ID=k RESULT=fail>\r",
		"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=x\nRESULT=pass>",
	} {
		var a, b Parser
		want, got := a.Feed(line), feedCandidates(&b, line)
		if kinds(got) != kinds(want) {
			t.Errorf("%q: through Pattern %q, whole line %q", line, kinds(got), kinds(want))
		}
		for i := range got {
			if i < len(want) && got[i].Raw != want[i].Raw {
				t.Errorf("%q: raw %q, want %q", line, got[i].Raw, want[i].Raw)
			}
		}
	}
}

// TestPatternCandidates: what an expect-style reader takes as one candidate
// from what has arrived so far — in particular never a MultiNode request's
// head alone, whose rest may be in the next read.
func TestPatternCandidates(t *testing.T) {
	tests := []struct{ arrived, want string }{
		{"<LAVA_MULTI_NODE>", ""},
		{"<LAVA_MULTI_NODE> <LAVA", ""},
		{"<LAVA_MULTI_NODE> <LAVA_WAIT ipv4", ""},
		{"<LAVA_MULTI_NODE> <LAVA_WAIT ipv4>", "<LAVA_MULTI_NODE> <LAVA_WAIT ipv4>"},
		{"<LAVA_MULTI_NODE> junk <LAVA_SIGNAL_ENDTC a>", "<LAVA_SIGNAL_ENDTC a>"},
		{"<LAVA_MULTI_NODEX>", "<LAVA_MULTI_NODEX>"},
		{"<LAVA_MULTI_NOD>", "<LAVA_MULTI_NOD>"},
		{"<LAVA_MULTI_NODE >", "<LAVA_MULTI_NODE >"},
		{"<LAVA_>", "<LAVA_>"},
		{"<LAVA_SIG", ""},
		{"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=a", ""},
		{"x <LAVA_TEST_RUNNER EXIT> y", "<LAVA_TEST_RUNNER EXIT>"},
		{"<LAVA_SIGNAL_A\nb>", "<LAVA_SIGNAL_A\nb>"},
	}
	for _, tc := range tests {
		if got := patternRE.FindString(tc.arrived); got != tc.want {
			t.Errorf("%q: candidate %q, want %q", tc.arrived, got, tc.want)
		}
	}
}
