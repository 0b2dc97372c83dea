package overlay

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/lavacore/lavacore/core/overlay/signals"
	"github.com/lavacore/lavacore/sdk"
)

// Patterns the test shell waits for, in LAVA's order (console.Expect: the
// earliest match wins, ties go to the first).
const (
	PatternExit        = `<LAVA_TEST_RUNNER EXIT>`
	PatternInstallFail = `<LAVA_TEST_RUNNER INSTALL_FAIL>`
	PatternSignal      = `<LAVA_SIGNAL_(\S+) ([^>]*)>`
	PatternMultiNode   = `<LAVA_MULTI_NODE> <LAVA_(\S+) ([^>]+)>`
)

// Run is one test definition's run between STARTRUN and ENDRUN.
type Run struct {
	ID, UUID string
	Start    time.Time
	Set      string
	Pattern  *regexp.Regexp
	Fixup    map[string]string
	Expected []string
	seen     map[string]bool
	tc       map[string][2]int // STARTTC/ENDTC line numbers by test case id
}

// Collector turns test-shell signals into LAVA results.
type Collector struct {
	// Result receives each result as it is made.
	Result func(sdk.Result)
	// Info describes each definition by TESTRUN_ID (repository, path, revision…)
	// for its suite-`lava` result; Patterns gives its parse pattern and fixupdict.
	Info     map[string]map[string]any
	Patterns map[string]ParseSpec
	Now      func() time.Time

	cur  *Run
	Done []string
}

// ParseSpec is a test definition's `parse:` and `expected:`.
type ParseSpec struct {
	Pattern  string
	Fixup    map[string]string
	Expected []string
}

// Current returns the running definition (nil between runs).
func (c *Collector) Current() *Run { return c.cur }

func (c *Collector) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

var validResult = map[string]bool{"pass": true, "fail": true, "skip": true, "unknown": true}

// Signal handles one <LAVA_SIGNAL_NAME params> match. It returns an error for
// signals that end the test (TESTRAISE) or are invalid (a TESTCASE outside a run).
func (c *Collector) Signal(name, params string) error {
	fields := strings.Fields(params)
	switch name {
	case "STARTRUN":
		if len(fields) < 2 {
			return sdk.TestErrorf("Invalid STARTRUN signal: %q", params)
		}
		r := &Run{ID: fields[0], UUID: fields[1], Start: c.now(), seen: map[string]bool{}}
		if ps, ok := c.Patterns[r.ID]; ok {
			if ps.Pattern != "" {
				re, err := regexp.Compile("(?m)" + PythonToGo(ps.Pattern))
				if err == nil {
					r.Pattern = re
				}
			}
			r.Fixup, r.Expected = ps.Fixup, ps.Expected
		}
		c.cur = r
	case "ENDRUN":
		if c.cur == nil || len(fields) < 1 || fields[0] != c.cur.ID {
			return nil
		}
		c.finishRun("pass")
	case "TESTCASE":
		if c.cur == nil {
			return sdk.TestErrorf("Invalid TESTCASE signal")
		}
		kv := map[string]string{}
		for _, f := range fields {
			k, v, ok := strings.Cut(f, "=")
			if !ok {
				continue
			}
			kv[strings.ToLower(k)] = v
		}
		c.testCase(kv["test_case_id"], kv["result"], kv["measurement"], kv["units"])
	case "TESTSET":
		if len(fields) > 0 && fields[0] == "START" {
			if len(fields) < 2 {
				return sdk.JobErrorf("Test set declared without a name")
			}
			if c.cur != nil {
				c.cur.Set = fields[1]
			}
		} else if c.cur != nil {
			c.cur.Set = ""
		}
	case "TESTRAISE":
		return sdk.TestErrorf("%s", params)
	case "TESTREFERENCE":
		if len(fields) == 3 && c.cur != nil {
			c.Result(sdk.Result{Definition: c.cur.ID, Case: fields[0], Result: fields[1],
				Extra: map[string]any{"reference": fields[2]}})
		}
	}
	return nil
}

// Event handles one event of a signals.Parser: the LAVA signals as Signal
// does, with STARTTC/ENDTC line numbers recorded as starttc/endtc on the
// case's result. Runner and MultiNode events are the caller's to handle.
func (c *Collector) Event(ev signals.Event) error {
	switch ev.Kind {
	case signals.StartTC, signals.EndTC:
		if c.cur == nil || ev.ID == "" {
			return nil
		}
		if c.cur.tc == nil {
			c.cur.tc = map[string][2]int{}
		}
		id := strings.ReplaceAll(ev.ID, "/", "_")
		l := c.cur.tc[id]
		if ev.Kind == signals.StartTC {
			l[0] = ev.Line
		} else {
			l[1] = ev.Line
		}
		c.cur.tc[id] = l
		return nil
	case signals.RunnerExit, signals.InstallFail, signals.Send, signals.Wait, signals.WaitAll, signals.Sync:
		return nil
	}
	m := sigLine.FindStringSubmatch(ev.Raw)
	if m == nil {
		return nil
	}
	return c.Signal(m[1], m[2])
}

var sigLine = regexp.MustCompile(PatternSignal)

// testCase records one test case of the current run.
func (c *Collector) testCase(id, result, measurement, units string) {
	if c.cur == nil || id == "" || strings.ContainsAny(id, " \t") {
		return
	}
	id = strings.ReplaceAll(id, "/", "_")
	res := strings.ToLower(result)
	if f, ok := c.cur.Fixup[result]; ok {
		res = f
	}
	if !validResult[res] {
		return
	}
	r := sdk.Result{Definition: c.cur.ID, Case: id, Result: res, Set: c.cur.Set, Units: units}
	if measurement != "" {
		if _, err := strconv.ParseFloat(measurement, 64); err != nil {
			return
		}
		r.Measurement = measurement
	}
	if lines, ok := c.cur.tc[id]; ok {
		r.Extra = map[string]any{"starttc": lines[0], "endtc": lines[1]}
		delete(c.cur.tc, id)
	}
	if len(c.cur.Expected) > 0 && !contains(c.cur.Expected, id) {
		r.Result = "fail"
	}
	c.cur.seen[id] = true
	c.Result(r)
}

// Parse applies the current run's parse pattern to console text.
func (c *Collector) Parse(text string) {
	if c.cur == nil || c.cur.Pattern == nil {
		return
	}
	re := c.cur.Pattern
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		g := map[string]string{}
		for i, n := range re.SubexpNames() {
			if n != "" && i < len(m) {
				g[n] = m[i]
			}
		}
		c.testCase(g["test_case_id"], g["result"], g["measurement"], g["units"])
	}
}

// Abort ends the current run, if any, as failed (no ENDRUN).
func (c *Collector) Abort() {
	if c.cur != nil {
		c.finishRun("fail")
	}
}

func (c *Collector) finishRun(result string) {
	r := c.cur
	c.cur = nil
	for _, e := range r.Expected {
		if !r.seen[e] {
			c.Result(sdk.Result{Definition: r.ID, Case: e, Result: "fail",
				Extra: map[string]any{"reason": "missing expected test cases are reported as 'fail' by LAVA."}})
		}
	}
	extra := map[string]any{"uuid": r.UUID}
	for k, v := range c.Info[r.ID] {
		extra[k] = v
	}
	c.Result(sdk.Result{Definition: "lava", Case: r.ID, Result: result,
		Duration: fmt.Sprintf("%.02f", c.now().Sub(r.Start).Seconds()), Extra: extra})
	c.Done = append(c.Done, r.ID)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var pyNamed = regexp.MustCompile(`\(\?P<`)

// PythonToGo converts a Python re pattern to Go's RE2 where they differ in
// spelling ((?P<name>…) works in both; look-arounds cannot be converted).
func PythonToGo(p string) string { return pyNamed.ReplaceAllString(p, "(?P<") }

// MultiNodeRequest parses a <LAVA_MULTI_NODE> <LAVA_API params> marker into
// a protocol request and the reply kind.
func MultiNodeRequest(api, params string) (map[string]any, error) {
	fields := strings.Fields(params)
	if len(fields) == 0 {
		return nil, sdk.TestErrorf("Unable to handle the test shell signal correctly: LAVA_%s without a message ID", api)
	}
	req := map[string]any{"messageID": fields[0]}
	switch api {
	case "SEND":
		req["request"] = "lava-send"
		msg := map[string]any{}
		rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(params), fields[0]))
		for _, part := range signals.SplitPairs(rest) {
			if k, v, ok := strings.Cut(part, "="); ok {
				msg[k] = v
			}
		}
		req["message"] = msg
	case "WAIT":
		req["request"] = "lava-wait"
	case "WAIT_ALL":
		req["request"] = "lava-wait-all"
		if len(fields) > 1 {
			req["waitrole"] = fields[1]
		}
	case "SYNC":
		req["request"] = "lava-sync"
	default:
		return nil, sdk.TestErrorf("Unable to handle the test shell signal correctly: unknown LAVA_%s", api)
	}
	return req, nil
}

// MultiNodeReply is the line typed back to a waiting lava-wait/-wait-all/-sync:
// <LAVA_WAIT_COMPLETE 74587:ipaddr=10.0.0.5 …>, <LAVA_SYNC_COMPLETE>, or … nack>.
func MultiNodeReply(api string, reply map[string]any) string {
	if reply == nil || reply["response"] == "nack" {
		return signals.FormatReply(api, "", nil)
	}
	data := map[string]map[string]string{}
	msg, _ := reply["message"].(map[string]any)
	for sender, v := range msg {
		kv, _ := v.(map[string]any)
		data[sender] = map[string]string{}
		for k, x := range kv {
			data[sender][k] = fmt.Sprint(x)
		}
	}
	return signals.FormatReply(api, "", data)
}
