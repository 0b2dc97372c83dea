package report

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// NDJSON is a sink printing each record as one JSON line (`--output json`).
type NDJSON struct {
	mu sync.Mutex
	W  io.Writer
}

// Write implements Sink.
func (n *NDJSON) Write(r Record) {
	n.mu.Lock()
	fmt.Fprintln(n.W, r.JSON())
	n.mu.Unlock()
}

// Terminal is a sink for people: it prints info-level and higher records, results
// and (optionally) console output, prefixed by a prefix such as the sub-job's role,
// and keeps a status line with the running action, its level and the time left.
type Terminal struct {
	mu      sync.Mutex
	W       io.Writer
	Prefix  string
	Console bool // also print target/input lines
	Debug   bool
	// status
	level, name string
	deadline    time.Time
}

// Write implements Sink.
func (t *Terminal) Write(r Record) {
	switch r.Lvl {
	case "debug":
		if !t.Debug {
			return
		}
	case "target", "input", "feedback":
		if !t.Console {
			return
		}
	}
	var msg string
	switch m := r.Msg.(type) {
	case string:
		msg = m
	case Fields:
		if r.Lvl == "results" {
			get := func(k string) any { v, _ := m.Get(k); return v }
			msg = fmt.Sprintf("result %v/%v: %v", get("definition"), get("case"), get("result"))
			if me, ok := m.Get("measurement"); ok {
				msg += fmt.Sprintf(" (%v %v)", me, get("units"))
			}
		} else {
			msg = flow(m)
		}
	case map[string]any:
		msg = flow(m)
	default:
		msg = fmt.Sprint(m)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	stamp := r.DT.Local().Format("15:04:05")
	fmt.Fprintf(t.W, "%s %s%-7s %s\n", stamp, t.Prefix, r.Lvl, msg)
}

func flow(v any) string {
	var b strings.Builder
	writeFlow(&b, v)
	return b.String()
}

// ActionStarted updates the status: the running action, its level and deadline.
func (t *Terminal) ActionStarted(level, name string, deadline time.Time) {
	t.mu.Lock()
	t.level, t.name, t.deadline = level, name, deadline
	t.mu.Unlock()
}

// Status returns the status line: "<level> <name> (mm:ss left)".
func (t *Terminal) Status(now time.Time) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.name == "" {
		return ""
	}
	left := t.deadline.Sub(now).Round(time.Second)
	if left < 0 {
		left = 0
	}
	return fmt.Sprintf("%s%s %s (%s left)", t.Prefix, t.level, t.name, FormatDuration(left))
}

// FormatDuration renders d as LAVA does in start/end lines: HH:MM:SS.
func FormatDuration(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, (s/60)%60, s%60)
}
