// Package signals parses what the lava test shell prints on the console —
// <LAVA_SIGNAL_*> lines, the runner's EXIT and INSTALL_FAIL markers and the
// MultiNode API's <LAVA_MULTI_NODE> requests — into typed events, one console
// line at a time, and formats the replies the dispatcher types back to a
// waiting lava-wait, lava-wait-all or lava-sync.
//
// The parser keeps no state between lines apart from a line counter, so it is
// safe to feed it any text: a malformed signal becomes an event with Err set,
// never a panic.
package signals

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Kind names an event.
type Kind string

// Event kinds.
const (
	StartRun      Kind = "STARTRUN"
	EndRun        Kind = "ENDRUN"
	TestCase      Kind = "TESTCASE"
	StartTC       Kind = "STARTTC"
	EndTC         Kind = "ENDTC"
	TestSetStart  Kind = "TESTSET_START"
	TestSetStop   Kind = "TESTSET_STOP"
	TestRaise     Kind = "TESTRAISE"
	TestReference Kind = "TESTREFERENCE"
	TestEvent     Kind = "TESTEVENT"
	TestFeedback  Kind = "TESTFEEDBACK"
	RunnerExit    Kind = "RUNNER_EXIT"
	InstallFail   Kind = "RUNNER_INSTALL_FAIL"
	Unknown       Kind = "UNKNOWN" // a <LAVA_SIGNAL_X …> LAVA does not know (LAVA ignores it)
	// MultiNode requests (<LAVA_MULTI_NODE> <LAVA_SEND|WAIT|WAIT_ALL|SYNC …>).
	Send    Kind = "SEND"
	Wait    Kind = "WAIT"
	WaitAll Kind = "WAIT_ALL"
	Sync    Kind = "SYNC"
)

// Event is one signal found on the console.
type Event struct {
	Kind Kind
	Line int    // 1-based line number of the Feed call
	Raw  string // the whole marker, <…> included
	// Params are the signal's parameters split on white space (LAVA's params.split()).
	Params []string

	ID   string // STARTRUN/ENDRUN: TESTRUN_ID; TESTCASE/STARTTC/ENDTC/TESTREFERENCE: test case id
	UUID string // STARTRUN/ENDRUN

	// TESTCASE and TESTREFERENCE
	Result      string // lower-cased and passed through the parser's Fixup
	Measurement string // validated as a float; empty when absent
	Units       string
	Reference   string            // TESTREFERENCE's URL
	Fields      map[string]string // TESTCASE's key=value params, keys lower-cased

	Set     string // TESTSET START's name
	Message string // TESTRAISE/TESTEVENT: the parameters joined by a space; TESTFEEDBACK: the namespace

	// MultiNode
	MessageID string
	Role      string            // WAIT_ALL's optional role
	Data      map[string]string // SEND's key=value pairs

	// Err says why the signal is malformed (LAVA logs these and goes on,
	// except a TESTSET START without a name, which is a JobError).
	Err error
}

// Pattern is the console expect pattern of a marker candidate: "<LAVA_" up
// to the next ">", or for a MultiNode request "<LAVA_MULTI_NODE> <LAVA_" up
// to the next ">" — a bare "<LAVA_MULTI_NODE>" is never a candidate, so a
// request split across reads is waited for whole. A reader that waits on an
// expect-style console (pexpect's semantics, where whole lines may never
// arrive) waits for Pattern and hands each match's text to Feed, which
// decides what, if anything, it is. Every marker Feed recognises in a text
// lies within one match of Pattern.
var Pattern = `<LAVA_(?:MULTI_NODE> <LAVA_[^>]*|` + allBut("MULTI_NODE") + `)>`

// allBut returns an RE2 expression (RE2 has no look-ahead) matching any
// string of non-">" bytes except w: a proper prefix of w, w's first i bytes
// and then another byte, or w and more.
func allBut(w string) string {
	var prefixes strings.Builder // (?:M(?:U(?:…)?)?)?
	for i := 0; i < len(w)-1; i++ {
		prefixes.WriteString("(?:" + regexp.QuoteMeta(w[i:i+1]))
	}
	prefixes.WriteString(strings.Repeat(")?", len(w)-1))
	alts := []string{prefixes.String(), regexp.QuoteMeta(w) + `[^>]+`}
	for i := range w {
		alts = append(alts, regexp.QuoteMeta(w[:i])+`[^>`+regexp.QuoteMeta(w[i:i+1])+`][^>]*`)
	}
	return "(?:" + strings.Join(alts, "|") + ")"
}

// MultiNode reports whether the event is a MultiNode request
// (<LAVA_MULTI_NODE> <LAVA_…>), an unknown one included.
func (e Event) MultiNode() bool { return strings.HasPrefix(e.Raw, mnPrefix) }

// Parser turns console lines into events.
type Parser struct {
	// Fixup maps raw TESTCASE results to LAVA ones (a test definition's
	// parse.fixupdict); the defaults PASS/FAIL/SKIP/UNKNOWN → lower case
	// always apply.
	Fixup map[string]string
	line  int
}

// Reset starts line numbering again (at the next definition or connection).
func (p *Parser) Reset() { p.line = 0 }

// Feed parses one console line and returns its events, in order (none for
// a line without a marker; a line can carry several).
func (p *Parser) Feed(line string) []Event {
	p.line++
	if !strings.Contains(line, "<LAVA_") {
		return nil
	}
	var out []Event
	rest := line
	for {
		i := strings.Index(rest, "<LAVA_")
		if i < 0 {
			return out
		}
		rest = rest[i:]
		ev, n := p.marker(rest)
		if n == 0 {
			rest = rest[len("<LAVA_"):]
			continue
		}
		if ev != nil {
			ev.Line = p.line
			ev.Raw = rest[:n]
			out = append(out, *ev)
		}
		rest = rest[n:]
	}
}

const (
	exitMarker    = "<LAVA_TEST_RUNNER EXIT>"
	installMarker = "<LAVA_TEST_RUNNER INSTALL_FAIL>"
	mnPrefix      = "<LAVA_MULTI_NODE> <LAVA_"
	sigPrefix     = "<LAVA_SIGNAL_"
)

// marker parses the marker at the start of s and returns the event and the
// bytes consumed (0: no marker here).
func (p *Parser) marker(s string) (*Event, int) {
	switch {
	case strings.HasPrefix(s, exitMarker):
		return &Event{Kind: RunnerExit}, len(exitMarker)
	case strings.HasPrefix(s, installMarker):
		return &Event{Kind: InstallFail}, len(installMarker)
	case strings.HasPrefix(s, mnPrefix):
		// <LAVA_MULTI_NODE> <LAVA_(\S+) ([^>]+)>
		body := s[len(mnPrefix):]
		end := strings.IndexByte(body, '>')
		if end < 0 {
			return nil, 0
		}
		name, params, ok := strings.Cut(body[:end], " ")
		if !ok || name == "" || strings.TrimSpace(params) == "" || strings.ContainsAny(name, " \t") {
			return nil, 0
		}
		return multiNode(name, params), len(mnPrefix) + end + 1
	case strings.HasPrefix(s, sigPrefix):
		// <LAVA_SIGNAL_(\S+) ([^>]+)>
		body := s[len(sigPrefix):]
		end := strings.IndexByte(body, '>')
		if end < 0 {
			return nil, 0
		}
		name, params, ok := strings.Cut(body[:end], " ")
		if !ok || name == "" || params == "" || strings.ContainsAny(name, "\t") {
			return nil, 0
		}
		return p.signal(name, params), len(sigPrefix) + end + 1
	}
	return nil, 0
}

var validResult = map[string]bool{"pass": true, "fail": true, "skip": true, "unknown": true}

func (p *Parser) signal(name, params string) *Event {
	f := strings.Fields(params)
	ev := &Event{Params: f}
	need := func(n int) bool {
		if len(f) < n {
			ev.Err = fmt.Errorf("%s needs %d parameters, got %q", name, n, params)
			return false
		}
		return true
	}
	switch name {
	case "STARTRUN", "ENDRUN":
		ev.Kind = Kind(name)
		if need(2) {
			ev.ID, ev.UUID = f[0], f[1]
		}
	case "TESTCASE":
		ev.Kind = TestCase
		ev.Fields = map[string]string{}
		for _, kv := range f {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				ev.Err = fmt.Errorf("TESTCASE: malformed parameter %q", kv)
				continue
			}
			ev.Fields[strings.ToLower(k)] = v
		}
		ev.ID, ev.Units = ev.Fields["test_case_id"], ev.Fields["units"]
		p.caseResult(ev, ev.Fields["result"], ev.Fields["measurement"])
	case "STARTTC", "ENDTC":
		ev.Kind = Kind(name)
		if need(1) {
			ev.ID = f[0]
		}
	case "TESTSET":
		switch {
		case len(f) > 0 && f[0] == "START":
			ev.Kind = TestSetStart
			if len(f) < 2 {
				ev.Err = fmt.Errorf("Test set declared without a name")
			} else {
				ev.Set = f[1]
			}
		case len(f) > 0 && f[0] == "STOP":
			ev.Kind = TestSetStop
		default:
			ev.Kind, ev.Err = Unknown, fmt.Errorf("TESTSET: expected START name or STOP, got %q", params)
		}
	case "TESTRAISE":
		ev.Kind, ev.Message = TestRaise, strings.Join(f, " ")
	case "TESTREFERENCE":
		ev.Kind = TestReference
		if len(f) != 3 {
			ev.Err = fmt.Errorf("TESTREFERENCE needs 3 parameters (id result url), got %q", params)
		} else {
			ev.ID, ev.Reference = f[0], f[2]
			p.caseResult(ev, f[1], "")
		}
	case "TESTEVENT":
		ev.Kind, ev.Message = TestEvent, strings.Join(f, " ")
	case "TESTFEEDBACK":
		ev.Kind = TestFeedback
		if need(1) {
			ev.Message = f[0]
		}
	default:
		ev.Kind, ev.Message = Unknown, name
	}
	return ev
}

// caseResult validates a test case's id, result and measurement as LAVA does.
func (p *Parser) caseResult(ev *Event, result, measurement string) {
	if ev.Err != nil {
		return
	}
	if ev.ID == "" {
		ev.Err = fmt.Errorf("%s without test_case_id", ev.Kind)
		return
	}
	ev.ID = strings.ReplaceAll(ev.ID, "/", "_")
	res, ok := p.Fixup[result]
	if !ok {
		res = strings.ToLower(result)
	}
	if !validResult[res] {
		ev.Err = fmt.Errorf("%s %s: bad test result %q", ev.Kind, ev.ID, result)
		return
	}
	if measurement != "" {
		if _, err := strconv.ParseFloat(measurement, 64); err != nil {
			ev.Err = fmt.Errorf("%s %s: measurement %q is not a number", ev.Kind, ev.ID, measurement)
			return
		}
		ev.Measurement = measurement
	}
	ev.Result = res
}

var pairStart = regexp.MustCompile(`\s+\w+=`)

func multiNode(name, params string) *Event {
	f := strings.Fields(params)
	ev := &Event{Params: f, MessageID: f[0]}
	switch name {
	case "SEND":
		ev.Kind, ev.Data = Send, map[string]string{}
		rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(params), f[0]))
		for _, part := range SplitPairs(rest) {
			if k, v, ok := strings.Cut(part, "="); ok {
				ev.Data[k] = v
			} else if part != "" {
				ev.Err = fmt.Errorf("LAVA_SEND %s: %q is not key=value", f[0], part)
			}
		}
	case "WAIT":
		ev.Kind = Wait
	case "WAIT_ALL":
		ev.Kind = WaitAll
		if len(f) > 1 {
			ev.Role = f[1]
		}
	case "SYNC":
		ev.Kind = Sync
	default:
		ev.Kind, ev.Message = Unknown, name
		ev.Err = fmt.Errorf("unknown MultiNode request LAVA_%s", name)
	}
	return ev
}

// SplitPairs splits "a=x y b=2" before every word= (so values may hold
// spaces), as LAVA's re.split(r"\s+(?=\w+(?:=))") does.
func SplitPairs(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	last := 0
	for _, loc := range pairStart.FindAllStringIndex(s, -1) {
		out = append(out, s[last:loc[0]])
		last = loc[0]
		for last < len(s) && (s[last] == ' ' || s[last] == '\t') {
			last++
		}
	}
	return append(out, s[last:])
}
