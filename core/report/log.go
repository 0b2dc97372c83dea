// Package report writes what a job run leaves behind: the LAVA-format job log
// (log.yaml, streamed), results.yaml, junit.xml, and the terminal or NDJSON view.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
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
}

// NewLog writes records to w (nil: no file) and to the sinks.
func NewLog(w io.Writer, sinks ...Sink) *Log {
	return &Log{w: w, sinks: sinks, now: time.Now}
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

// Add logs one record at level lvl with msg (a string or a map).
func (l *Log) Add(lvl string, msg any) { l.add(lvl, msg, "") }

// Feedback logs console output of another namespace.
func (l *Log) Feedback(ns, msg string) { l.add("feedback", msg, ns) }

// Infof logs at info level.
func (l *Log) Infof(format string, a ...any) { l.add("info", fmt.Sprintf(format, a...), "") }

// Debugf logs at debug level.
func (l *Log) Debugf(format string, a ...any) { l.add("debug", fmt.Sprintf(format, a...), "") }

// Errorf logs at error level.
func (l *Log) Errorf(format string, a ...any) { l.add("error", fmt.Sprintf(format, a...), "") }

func (l *Log) add(lvl string, msg any, ns string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	msg = l.mask(msg)
	r := Record{DT: l.now().UTC(), Lvl: lvl, Msg: msg, NS: ns}
	line := r.YAML()
	if len(line) >= MaxRecord {
		if _, ok := msg.(map[string]any); ok {
			r.Msg = map[string]any{"skip": "line way too long"}
		} else {
			r.Msg = "<line way too long ...>"
		}
		line = r.YAML()
	}
	if l.w != nil && l.err == nil {
		_, l.err = io.WriteString(l.w, "- "+line+"\n")
	}
	for _, s := range l.sinks {
		s.Write(r)
	}
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

// TimeFormat is LAVA's record timestamp: UTC ISO-8601 with microseconds and +00:00.
const TimeFormat = "2006-01-02T15:04:05.000000+00:00"

// YAML renders the record as LAVA does: one flow mapping, every scalar double-quoted,
// integers tagged !!int, keys in insertion order (dt, lvl, msg, ns).
func (r Record) YAML() string {
	var b strings.Builder
	b.WriteString(`{"dt": `)
	b.WriteString(quote(r.DT.UTC().Format(TimeFormat)))
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
	m := map[string]any{"dt": r.DT.UTC().Format(TimeFormat), "lvl": r.Lvl, "msg": r.Msg}
	if r.NS != "" {
		m["ns"] = r.NS
	}
	b, err := json.Marshal(m)
	if err != nil {
		b, _ = json.Marshal(map[string]any{"dt": m["dt"], "lvl": r.Lvl, "msg": fmt.Sprint(r.Msg)})
	}
	return string(b)
}

// Keys of result records come first in this order, as LAVA logs them.
var keyOrder = map[string]int{"definition": 0, "namespace": 1, "case": 2, "level": 3, "duration": 4, "result": 5}

func orderedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		oi, iok := keyOrder[keys[i]]
		oj, jok := keyOrder[keys[j]]
		switch {
		case iok && jok:
			return oi < oj
		case iok != jok:
			return iok
		}
		return keys[i] < keys[j]
	})
	return keys
}

func writeFlow(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString(`!!null "null"`)
	case string:
		b.WriteString(quote(x))
	case bool:
		fmt.Fprintf(b, `!!bool "%t"`, x)
	case int:
		fmt.Fprintf(b, `!!int "%d"`, x)
	case int64:
		fmt.Fprintf(b, `!!int "%d"`, x)
	case float64:
		b.WriteString(`!!float "` + strconv.FormatFloat(x, 'g', -1, 64) + `"`)
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, v := range x {
			m[k] = v
		}
		writeFlow(b, m)
	case map[string]any:
		b.WriteString("{")
		for i, k := range orderedKeys(x) {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quote(k))
			b.WriteString(": ")
			writeFlow(b, x[k])
		}
		b.WriteString("}")
	case []any:
		b.WriteString("[")
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeFlow(b, e)
		}
		b.WriteString("]")
	case []string:
		b.WriteString("[")
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quote(e))
		}
		b.WriteString("]")
	default:
		b.WriteString(quote(fmt.Sprint(x)))
	}
}

// quote renders s as a YAML double-quoted scalar.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == 0x1b:
			b.WriteString(`\e`)
		case r == 0xfffd:
			b.WriteString(`\uFFFD`)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
