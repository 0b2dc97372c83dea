package report

import (
	"fmt"
	"strings"
	"time"
)

// SubView is one sub-job in the View: the sink of its log records and what
// it is doing (the running action, its level and deadline, and what it waits
// for). Its methods may be called on a nil *SubView (no view): they do
// nothing.
type SubView struct {
	v       *View
	info    SubJob
	actions []action // running actions, outermost first (guarded by v.mu)
	waits   []*wait  // in the order they started (guarded by v.mu)
}

type action struct {
	level, name     string
	start, deadline time.Time
}

type wait struct {
	what            string
	start, deadline time.Time
	reported        int // Intervals reported so far (plain, JSON)
}

// Write implements Sink.
func (s *SubView) Write(r Record) {
	if s == nil {
		return
	}
	if s.v.o.Mode == ModeJSON {
		s.v.print(r.jsonWith(subFields(s.info)))
		return
	}
	if line, ok := s.v.o.textLine(s.info.Prefix, r); ok {
		s.v.print(line)
	}
}

// ActionStarted says that an action runs (inside the running ones), until
// its deadline.
func (s *SubView) ActionStarted(level, name string, start, deadline time.Time) {
	if s == nil {
		return
	}
	s.v.mu.Lock()
	s.actions = append(s.actions, action{level: level, name: name, start: start, deadline: deadline})
	s.v.mu.Unlock()
}

// ActionEnded says that the action of that level ended (and any still
// running inside it).
func (s *SubView) ActionEnded(level string) {
	if s == nil {
		return
	}
	s.v.mu.Lock()
	defer s.v.mu.Unlock()
	for i := len(s.actions) - 1; i >= 0; i-- {
		if s.actions[i].level == level {
			s.actions = s.actions[:i]
			return
		}
	}
}

// Waiting says that the sub-job waits for what (a sentence such as
// "waiting for 'login:' on the console"), at most until deadline (zero: the
// running action's deadline). The returned func says that the wait ended.
func (s *SubView) Waiting(what string, deadline time.Time) (done func()) {
	if s == nil {
		return func() {}
	}
	s.v.mu.Lock()
	defer s.v.mu.Unlock()
	w := &wait{what: what, start: s.v.o.Now(), deadline: deadline}
	s.waits = append(s.waits, w)
	return func() {
		s.v.mu.Lock()
		defer s.v.mu.Unlock()
		for i, x := range s.waits {
			if x == w {
				s.waits = append(s.waits[:i], s.waits[i+1:]...)
				return
			}
		}
	}
}

// Done says that the sub-job ended: its status line goes.
func (s *SubView) Done() {
	if s == nil {
		return
	}
	s.v.mu.Lock()
	defer s.v.mu.Unlock()
	s.v.remove(s)
	if s.v.o.Mode == ModeTTY && !s.v.closed {
		s.v.draw(s.v.o.Now(), false)
	}
}

// current returns the innermost running action and the latest wait (nil
// when none).
func (s *SubView) current() (*action, *wait) {
	var a *action
	var w *wait
	if n := len(s.actions); n > 0 {
		a = &s.actions[n-1]
	}
	if n := len(s.waits); n > 0 {
		w = s.waits[n-1]
	}
	return a, w
}

// left is the time left before the wait's deadline or the action's,
// whichever comes first; ok is false when there is none.
func left(a *action, w *wait, now time.Time) (time.Duration, bool) {
	var d time.Time
	if a != nil {
		d = a.deadline
	}
	if w != nil && !w.deadline.IsZero() && (d.IsZero() || w.deadline.Before(d)) {
		d = w.deadline
	}
	if d.IsZero() {
		return 0, false
	}
	return max(d.Sub(now), 0), true
}

// up rounds a time left up to the second: a one-minute action starts with
// "1m00s left", and "0s left" is the deadline.
func up(d time.Duration) time.Duration { return (d + time.Second - 1).Truncate(time.Second) }

// status is the sub-job's status line ("" when it has nothing to say):
//
//	[host.0] 2.4.3 auto-login-action (12s, 4m48s left): waiting for 'login:' on the console
func (s *SubView) status(now time.Time) string {
	a, w := s.current()
	if a == nil && w == nil {
		return ""
	}
	color := s.v.o.Color
	var b strings.Builder
	b.WriteString(sanitize(s.info.Prefix, true))
	var times []string
	if a != nil {
		b.WriteString(paintIf(color, bold, sanitize(a.level+" "+a.name, true)))
		times = append(times, short(now.Sub(a.start)))
	} else {
		times = append(times, short(now.Sub(w.start)))
	}
	if d, ok := left(a, w, now); ok {
		l := short(up(d)) + " left"
		switch {
		case color && d <= 0:
			l = paint(red, l)
		case color && d < 30*time.Second:
			l = paint(yellow, l)
		}
		times = append(times, l)
	}
	if a != nil {
		b.WriteString(" (" + strings.Join(times, ", ") + ")")
		if w != nil {
			b.WriteString(": " + paintIf(color, cyan, sanitize(w.what, true)))
		}
	} else {
		b.WriteString(paintIf(color, cyan, sanitize(w.what, true)) + " (" + strings.Join(times, ", ") + ")")
	}
	line := b.String()
	if s.v.o.Width != nil {
		line = cut(line, s.v.o.Width()-1)
	}
	return line
}

// stillWaiting is the periodic report of a wait (plain or JSON).
func (s *SubView) stillWaiting(w *wait, now time.Time) string {
	a, _ := s.current()
	elapsed := now.Sub(w.start)
	d, hasLeft := left(a, w, now)
	if s.v.o.Mode == ModeJSON {
		fs := Fields{{"dt", isoformat(now.UTC())}, {"lvl", "waiting"}, {"msg", "still " + w.what}, {"what", w.what}}
		if a != nil {
			fs = append(fs, Field{"level", a.level}, Field{"action", a.name})
		}
		fs = append(fs, Field{"elapsed", seconds(elapsed)})
		if hasLeft {
			fs = append(fs, Field{"left", seconds(up(d))})
		}
		fs = append(fs, subFields(s.info)...)
		b, _ := fs.MarshalJSON()
		return string(b)
	}
	msg := fmt.Sprintf("still %s (%s so far", w.what, short(elapsed))
	if hasLeft {
		msg += ", " + short(up(d)) + " left"
	}
	if a != nil {
		msg += " in " + a.level + " " + a.name
	}
	msg += ")"
	stamp := now.In(s.v.o.Loc).Format("15:04:05")
	return fmt.Sprintf("%s %s%-7s %s", stamp, sanitize(s.info.Prefix, true), "waiting", sanitize(msg, true))
}

// seconds is d in whole seconds (a JSON number).
func seconds(d time.Duration) int64 { return int64(d / time.Second) }

// short renders d for a status line: 12s, 4m08s, 1h02m.
func short(d time.Duration) string {
	s := int64(max(d, 0) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh%02dm", s/3600, (s/60)%60)
}
