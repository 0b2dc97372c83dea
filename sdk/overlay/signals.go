package overlay

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/overlay/signals"
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

// Event handles one event of a signals.Parser as LAVA's test shell does.
// It returns an error for signals that end the test (TESTRAISE) or are
// invalid (a STARTRUN without a uuid, a TESTCASE outside a run, a TESTSET
// START without a name). STARTTC/ENDTC line numbers (ev.Line) are recorded
// as starttc/endtc on the case's result. Runner and MultiNode events are the
// caller's to handle; unknown signals and malformed ones LAVA ignores are
// ignored.
func (c *Collector) Event(ev signals.Event) error {
	f := ev.Params
	switch ev.Kind {
	case signals.StartRun:
		if len(f) < 2 {
			return sdk.TestErrorf("Invalid STARTRUN signal: %q", strings.Join(f, " "))
		}
		r := &Run{ID: f[0], UUID: f[1], Start: c.now(), seen: map[string]bool{}}
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
	case signals.EndRun:
		// ENDRUN ends the run it names (its uuid is not checked).
		if c.cur == nil || len(f) < 1 || f[0] != c.cur.ID {
			return nil
		}
		c.finishRun("pass")
	case signals.TestCase:
		if c.cur == nil {
			return sdk.TestErrorf("Invalid TESTCASE signal")
		}
		// The run's fixupdict applies, not the parser's: validate here.
		c.testCase(ev.Fields["test_case_id"], ev.Fields["result"], ev.Fields["measurement"], ev.Fields["units"])
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
	case signals.TestSetStart:
		if len(f) < 2 {
			return sdk.JobErrorf("Test set declared without a name")
		}
		if c.cur != nil {
			c.cur.Set = f[1]
		}
	case signals.TestSetStop:
		if c.cur != nil {
			c.cur.Set = ""
		}
	case signals.TestRaise:
		return sdk.TestErrorf("%s", ev.Message)
	case signals.TestReference:
		if len(f) == 3 && c.cur != nil {
			c.Result(sdk.Result{Definition: c.cur.ID, Case: f[0], Result: f[1],
				Extra: map[string]any{"reference": f[2]}})
		}
	}
	return nil
}

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

// MultiNodeRequest turns a parsed <LAVA_MULTI_NODE> <LAVA_API params>
// request into a lava-multinode protocol request.
func MultiNodeRequest(ev signals.Event) (map[string]any, error) {
	if ev.MessageID == "" {
		return nil, sdk.TestErrorf("Unable to handle the test shell signal correctly: LAVA_%s without a message ID", ev.Kind)
	}
	req := map[string]any{"messageID": ev.MessageID}
	switch ev.Kind {
	case signals.Send:
		req["request"] = "lava-send"
		msg := map[string]any{}
		for k, v := range ev.Data {
			msg[k] = v
		}
		req["message"] = msg
	case signals.Wait:
		req["request"] = "lava-wait"
	case signals.WaitAll:
		req["request"] = "lava-wait-all"
		if ev.Role != "" {
			req["waitrole"] = ev.Role
		}
	case signals.Sync:
		req["request"] = "lava-sync"
	default:
		return nil, sdk.TestErrorf("Unable to handle the test shell signal correctly: unknown LAVA_%s", ev.Message)
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
