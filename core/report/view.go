package report

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// The live view of `lavacore run`: one View per run, shared by its sub-jobs,
// one SubView per sub-job (its log sink and its progress: the running action
// and what it waits for).
//
//   - ModeTTY: log lines scroll above a block of status lines, one per running
//     sub-job, erased and redrawn in place (ANSI cursor movement) by Tick, at
//     most as often as Tick is called; colours by log level unless NO_COLOR.
//   - ModePlain: log lines only, no cursor movement, no colour; a wait that
//     lasts gets a "still waiting for …" line every Interval.
//   - ModeJSON: one NDJSON record per log record, each naming its sub-job
//     (role, sub_id, job_id), and a "waiting" record every Interval of a wait.

// Mode is how the view draws.
type Mode int

// The view's modes.
const (
	ModePlain Mode = iota
	ModeTTY
	ModeJSON
)

// DefaultInterval is how often a wait is reported in plain and JSON modes.
const DefaultInterval = 30 * time.Second

// MinRedraw is the least time between two draws of the status block, but for
// those of Tick.
const MinRedraw = 200 * time.Millisecond

// ViewOptions configure a View.
type ViewOptions struct {
	Mode    Mode
	Color   bool // ANSI colours (ModeTTY only)
	Console bool // also show console lines (target, input, feedback)
	Debug   bool // also show debug records
	// Now is the clock (default time.Now); Loc the time zone of the log
	// lines' stamps (default time.Local).
	Now func() time.Time
	Loc *time.Location
	// Width returns the terminal's columns: status lines are cut to fit,
	// so that none wraps (nil or 0: not cut).
	Width func() int
	// Interval between two reports of a wait in plain and JSON modes
	// (default DefaultInterval).
	Interval time.Duration
}

// View is the terminal (or NDJSON) output of a run. It is safe for
// concurrent use.
type View struct {
	w        io.Writer
	o        ViewOptions
	mu       sync.Mutex
	subs     []*SubView
	drawn    int    // status lines on the screen (ModeTTY)
	shown    string // what they say
	lastDraw time.Time
	closed   bool
}

// NewView writes the view to w.
func NewView(w io.Writer, o ViewOptions) *View {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Loc == nil {
		o.Loc = time.Local
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.Mode != ModeTTY {
		o.Color = false
	}
	return &View{w: w, o: o}
}

// SubJob names a sub-job in the view.
type SubJob struct {
	Role   string // "" for a job that is not MultiNode
	SubID  int
	JobID  string
	Prefix string // before each of its lines, e.g. "[host.0] "
}

// SubJob adds a sub-job to the view; its status line comes after those
// added before it.
func (v *View) SubJob(s SubJob) *SubView {
	sv := &SubView{v: v, info: s}
	v.mu.Lock()
	v.subs = append(v.subs, sv)
	v.mu.Unlock()
	return sv
}

// Run calls Tick on every tick until ctx ends.
func (v *View) Run(ctx context.Context, ticks <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
			v.Tick()
		}
	}
}

// Tick redraws the status block (ModeTTY) or reports the waits that have
// lasted another Interval (ModePlain, ModeJSON).
func (v *View) Tick() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return
	}
	now := v.o.Now()
	if v.o.Mode == ModeTTY {
		v.draw(now, false)
		return
	}
	for _, s := range v.subs {
		for _, w := range s.waits {
			k := int(now.Sub(w.start) / v.o.Interval)
			if k <= w.reported {
				continue
			}
			w.reported = k
			v.writeLine(s.stillWaiting(w, now))
		}
	}
}

// Close erases the status block; the view draws no more of it.
func (v *View) Close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.erase()
	v.closed = true
}

// print writes one line (without its newline) above the status block.
func (v *View) print(line string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.writeLine(line)
	if v.o.Mode == ModeTTY && !v.closed {
		if now := v.o.Now(); now.Sub(v.lastDraw) >= MinRedraw {
			v.draw(now, true)
		}
	}
}

func (v *View) writeLine(line string) {
	v.erase()
	io.WriteString(v.w, line+"\n")
}

// erase moves the cursor up to the first status line and clears the screen
// from there.
func (v *View) erase() {
	if v.drawn > 0 {
		fmt.Fprintf(v.w, "\x1b[%dA\r\x1b[J", v.drawn)
		v.drawn, v.shown = 0, ""
	}
}

// draw writes the status block, one line per sub-job with something to
// say; the cursor stays on the line below it. Unless force, a block that
// says what is on the screen already is left alone.
func (v *View) draw(now time.Time, force bool) {
	var lines []string
	for _, s := range v.subs {
		if l := s.status(now); l != "" {
			lines = append(lines, l)
		}
	}
	text := strings.Join(lines, "\n")
	if !force && v.drawn == len(lines) && v.shown == text {
		return
	}
	v.erase()
	for _, l := range lines {
		io.WriteString(v.w, l+"\n")
	}
	v.drawn, v.shown, v.lastDraw = len(lines), text, now
}

func (v *View) remove(s *SubView) {
	for i, x := range v.subs {
		if x == s {
			v.subs = append(v.subs[:i], v.subs[i+1:]...)
			return
		}
	}
}

// NDJSON is a sink printing each record as one JSON line (`--output json`),
// with its sub-job's role and sub_id (a single-node job: "" and 0) and job_id.
type NDJSON struct {
	mu    sync.Mutex
	W     io.Writer
	Role  string
	SubID int
	JobID string
}

// Write implements Sink.
func (n *NDJSON) Write(r Record) {
	line := r.jsonWith(subFields(SubJob{Role: n.Role, SubID: n.SubID, JobID: n.JobID}))
	n.mu.Lock()
	fmt.Fprintln(n.W, line)
	n.mu.Unlock()
}

// subFields are the fields naming a sub-job in its JSON records.
func subFields(s SubJob) Fields {
	fs := Fields{{"role", s.Role}, {"sub_id", s.SubID}}
	if s.JobID != "" {
		fs = append(fs, Field{"job_id", s.JobID})
	}
	return fs
}

// jsonWith renders the record as one NDJSON line with more fields after
// dt, lvl, msg and ns.
func (r Record) jsonWith(more Fields) string {
	fs := Fields{{"dt", isoformat(r.DT)}, {"lvl", r.Lvl}, {"msg", r.Msg}}
	if r.NS != "" {
		fs = append(fs, Field{"ns", r.NS})
	}
	fs = append(fs, more...)
	b, err := json.Marshal(fs)
	if err != nil {
		fs[2] = Field{"msg", fmt.Sprint(r.Msg)}
		b, _ = json.Marshal(fs)
	}
	return string(b)
}

// textLine renders a record for people; ok is false for a record the view
// does not show.
func (o *ViewOptions) textLine(prefix string, r Record) (string, bool) {
	switch r.Lvl {
	case "debug":
		if !o.Debug {
			return "", false
		}
	case "target", "input", "feedback":
		if !o.Console {
			return "", false
		}
	}
	var msg, result string
	switch m := r.Msg.(type) {
	case string:
		msg = m
	case Fields:
		if r.Lvl == "results" {
			get := func(k string) any { v, _ := m.Get(k); return v }
			result = fmt.Sprint(get("result"))
			msg = fmt.Sprintf("result %v/%v: %v", get("definition"), get("case"), result)
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
	stamp := r.DT.In(o.Loc).Format("15:04:05")
	body := fmt.Sprintf("%-7s %s", r.Lvl, sanitize(msg, false))
	if c := levelColor(r.Lvl, result); o.Color && c != "" {
		body = paint(c, body)
	}
	return stamp + " " + sanitize(prefix, true) + body, true
}

func flow(v any) string {
	var b strings.Builder
	writeFlow(&b, v)
	return b.String()
}

// FormatDuration renders d as LAVA does in start/end lines: HH:MM:SS.
func FormatDuration(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, (s/60)%60, s%60)
}
