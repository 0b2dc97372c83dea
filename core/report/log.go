// Package report writes what a job run leaves behind: the LAVA-format job log
// (log.yaml, streamed), results.yaml, junit.xml, and the terminal or NDJSON view.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/lavacore/lavacore/sdk"
)

// MaxRecord is LAVA's limit for one record; longer messages are replaced.
const MaxRecord = 100000

// Record is one job log record: LAVA's {dt, lvl, msg} (+ ns for feedback).
type Record struct {
	DT  time.Time
	Lvl string
	Msg any // string or map[string]any
	NS  string
}

// Sink receives every record as it is logged.
type Sink interface {
	Write(r Record)
}

// Log is a job log. It writes log.yaml one record at a time (never batched) and
// fans every record out to its sinks. It is safe for concurrent use.
type Log struct {
	mu      sync.Mutex
	w       io.Writer
	closer  io.Closer
	sinks   []Sink
	secrets []string
	now     func() time.Time
	err     error
	line    int                       // records written so far
	markers map[string]map[string]int // case → start/end/case → record number
}

// NewLog writes records to w (nil: no file) and to the sinks.
func NewLog(w io.Writer, sinks ...Sink) *Log {
	return &Log{w: w, sinks: sinks, now: time.Now, markers: map[string]map[string]int{}}
}

// CreateLog opens path (log.yaml) for writing.
func CreateLog(path string, sinks ...Sink) (*Log, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("job log: %w", err)
	}
	l := NewLog(f, sinks...)
	l.closer = f
	return l, nil
}

// Mask replaces every occurrence of each secret value with [MASKED] in later records.
func (l *Log) Mask(secrets ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range secrets {
		if s != "" {
			l.secrets = append(l.secrets, s)
		}
	}
}

// AddSink adds a sink for later records.
func (l *Log) AddSink(s Sink) {
	l.mu.Lock()
	l.sinks = append(l.sinks, s)
	l.mu.Unlock()
}

// SetClock replaces the clock (tests).
func (l *Log) SetClock(now func() time.Time) { l.now = now }

// Add logs one record at level lvl with msg (a string, Fields or a map).
func (l *Log) Add(lvl string, msg any) { l.add(lvl, msg, "") }

// Lines returns the number of records logged so far.
func (l *Log) Lines() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.line
}

// Feedback logs console output of another namespace.
func (l *Log) Feedback(ns, msg string) { l.add("feedback", msg, ns) }

// Infof logs at info level.
func (l *Log) Infof(format string, a ...any) { l.add("info", fmt.Sprintf(format, a...), "") }

// Debugf logs at debug level.
func (l *Log) Debugf(format string, a ...any) { l.add("debug", fmt.Sprintf(format, a...), "") }

// Errorf logs at error level.
func (l *Log) Errorf(format string, a ...any) { l.add("error", fmt.Sprintf(format, a...), "") }

func (l *Log) add(lvl string, msg any, ns string) Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.addLocked(lvl, msg, ns)
}

func (l *Log) addLocked(lvl string, msg any, ns string) Record {
	msg = l.mask(msg)
	r := Record{DT: l.now().UTC(), Lvl: lvl, Msg: msg, NS: ns}
	line := r.YAML()
	if len(line) >= MaxRecord {
		if _, ok := msg.(string); ok {
			r.Msg = "<line way too long ...>"
		} else {
			r.Msg = Fields{{"skip", "line way too long ..."}}
		}
		line = r.YAML()
	}
	if l.w != nil && l.err == nil {
		_, l.err = io.WriteString(l.w, "- "+line+"\n")
	}
	l.line++
	if lvl == "target" {
		if s, ok := msg.(string); ok {
			l.mark(s)
		}
	}
	for _, s := range l.sinks {
		s.Write(r)
	}
	return r
}

// signalRE finds the test shell's signals that mark a test case in the log:
// LAVA's logger.marker records the line of each for the case's result.
var signalRE = regexp.MustCompile(`<LAVA_SIGNAL_(STARTTC|ENDTC|TESTCASE) (?:TEST_CASE_ID=)?([^\s>]+)`)

func (l *Log) mark(s string) {
	for _, m := range signalRE.FindAllStringSubmatch(s, -1) {
		kind := map[string]string{"STARTTC": "start_test_case", "ENDTC": "end_test_case", "TESTCASE": "test_case"}[m[1]]
		if l.markers[m[2]] == nil {
			l.markers[m[2]] = map[string]int{}
		}
		l.markers[m[2]][kind] = l.line
	}
}

// Result logs r as LAVA's "results" record (Map) and returns the record's
// msg and time. A test case (a suite other than lava, but not a
// TESTREFERENCE) gets starttc and endtc as LAVA's logger adds them: the job
// log lines of its STARTTC and ENDTC signals, else of its TESTCASE signal,
// else the last line logged.
func (l *Log) Result(r sdk.Result) (Fields, time.Time) {
	msg := Map(r)
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ref := r.Extra["reference"]; r.Definition != "lava" && !ref {
		m := l.markers[r.Case]
		delete(l.markers, r.Case)
		tc, ok := m["test_case"]
		if !ok {
			tc = l.line
		}
		start, ok := m["start_test_case"]
		if !ok {
			start = tc
		}
		end, ok := m["end_test_case"]
		if !ok {
			end = tc
		}
		msg = append(msg, Field{"starttc", start}, Field{"endtc", end})
	}
	rec := l.addLocked("results", msg, "")
	if f, ok := rec.Msg.(Fields); ok {
		msg = f
	}
	return msg, rec.DT
}

func (l *Log) mask(msg any) any {
	if len(l.secrets) == 0 {
		return msg
	}
	switch m := msg.(type) {
	case string:
		for _, s := range l.secrets {
			m = strings.ReplaceAll(m, s, "[MASKED]")
		}
		return m
	case map[string]any:
		out := make(map[string]any, len(m))
		for k, v := range m {
			out[k] = l.mask(v)
		}
		return out
	case Fields:
		out := make(Fields, len(m))
		for i, f := range m {
			out[i] = Field{f.Key, l.mask(f.Value)}
		}
		return out
	case []any:
		out := make([]any, len(m))
		for i, v := range m {
			out[i] = l.mask(v)
		}
		return out
	}
	return msg
}

// Err returns the first error writing log.yaml.
func (l *Log) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Close closes log.yaml.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closer != nil {
		err := l.closer.Close()
		l.closer = nil
		if l.err == nil {
			l.err = err
		}
	}
	return l.err
}

// TimeFormat is LAVA's record timestamp: UTC ISO-8601 with microseconds and
// +00:00 (Python's isoformat(), which leaves out microseconds that are zero).
const TimeFormat = "2006-01-02T15:04:05.000000+00:00"

// YAML renders the record as LAVA's dispatcher dumps it (PyYAML's safe_dump
// (LibYAML's CSafeDumper) with default_flow_style=True, default_style='"', sort_keys=False): one flow
// mapping, every scalar double-quoted, non-strings with the non-specific tag
// (! "5", ! "42.0"), non-ASCII escaped, keys in order (dt, lvl, msg, ns).
func (r Record) YAML() string {
	var b strings.Builder
	b.WriteString(`{"dt": `)
	b.WriteString(quote(isoformat(r.DT)))
	b.WriteString(`, "lvl": `)
	b.WriteString(quote(r.Lvl))
	b.WriteString(`, "msg": `)
	writeFlow(&b, r.Msg)
	if r.NS != "" {
		b.WriteString(`, "ns": `)
		b.WriteString(quote(r.NS))
	}
	b.WriteString("}")
	return b.String()
}

// JSON renders the record as one NDJSON line (without the newline).
func (r Record) JSON() string {
	m := map[string]any{"dt": isoformat(r.DT), "lvl": r.Lvl, "msg": r.Msg}
	if r.NS != "" {
		m["ns"] = r.NS
	}
	b, err := json.Marshal(m)
	if err != nil {
		b, _ = json.Marshal(map[string]any{"dt": m["dt"], "lvl": r.Lvl, "msg": fmt.Sprint(r.Msg)})
	}
	return string(b)
}
