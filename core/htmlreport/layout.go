package htmlreport

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Geometry of the timeline (SVG user units, drawn at 1 unit = 1 CSS pixel
// at the default zoom).
const (
	labelW = 230.0  // the lanes' labels
	plotW  = 1170.0 // the time axis
	axisH  = 28.0   // the time axis above the lanes
	rowH   = 16.0   // one action level
	laneP  = 7.0    // padding above and below a lane's bars
	laneG  = 10.0   // gap between lanes
	charW  = 6.2    // an estimate of a label character's width
)

type tick struct {
	X     float64
	Label string
}

type bar struct {
	X, Y, W, H float64
	TX, TY     float64
	Text       string // the name, when it fits
	Title      string
	Label      string // the detail panel's heading
	Class      string
	Sub, Index int
	From, To   int // its console lines
}

type shade struct {
	X, Y, W, H float64
	TX, TY     float64
	Text       string // what it waits for, when it fits
	Title      string
	Class      string
}

type mark struct {
	X, Y  float64
	Title string
}

type arrow struct {
	X1, Y1, X2, Y2 float64
	Kind, ID       string
	Title          string
}

type lane struct {
	Index      int
	Y, H, MidY float64
	Label      string
	Health     string
	Bars       []bar
	Waits      []shade
	Sends      []mark
}

// timeline is the drawing of a group's run.
type timeline struct {
	Width, Height float64
	PlotX         float64
	Ticks         []tick
	Lanes         []lane
	Arrows        []arrow
}

// layout places every sub-job's actions, waits and messages on the timeline.
func layout(g *Group) timeline {
	tl := timeline{Width: labelW + plotW + 10, PlotX: labelW}
	span := g.End.Sub(g.Start)
	if span <= 0 {
		span = time.Second
	}
	x := func(t time.Time) float64 {
		if t.Before(g.Start) {
			t = g.Start
		}
		return labelW + float64(t.Sub(g.Start))/float64(span)*plotW
	}
	tl.Ticks = ticks(span, func(d time.Duration) float64 { return labelW + float64(d)/float64(span)*plotW })
	y := axisH
	byID := map[string]int{}
	for i, s := range g.SubJobs {
		if s.JobID != "" {
			byID[s.JobID] = i
		}
		depth := 0
		for _, a := range s.Actions {
			depth = max(depth, a.Depth)
		}
		h := float64(depth+1)*rowH + 2*laneP
		ln := lane{Index: i, Y: y, H: h, MidY: y + h/2, Label: s.Label(), Health: s.Health}
		for k, a := range s.Actions {
			b := bar{X: x(a.Start), Y: y + laneP + float64(a.Depth)*rowH + 1, H: rowH - 2, Sub: i, Index: k, From: a.From, To: a.To}
			b.W = max(x(a.End)-b.X, 1.5)
			b.TX, b.TY = b.X+3, b.Y+b.H-3.5
			b.Label = actionLabel(s, &a)
			b.Class = "act d" + fmt.Sprint(min(a.Depth, 5))
			if a.Failed {
				b.Class += " failed"
			}
			if n := int((b.W - 6) / charW); n >= 4 {
				b.Text = a.Name
				if len(b.Text) > n {
					b.Text = b.Text[:n-1] + "…"
				}
			}
			b.Title = fmt.Sprintf("%s %s [%s]\n%s (timeout %s)", a.Level, a.Name, a.NS, seconds(a.Duration()), a.Timeout)
			if !a.Ended {
				b.Title += "\nno end record: still running when the log ended"
			}
			ln.Bars = append(ln.Bars, b)
		}
		tl.Lanes = append(tl.Lanes, ln)
		y += h + laneG
	}
	tl.Height = y
	for i, s := range g.SubJobs {
		ln := &tl.Lanes[i]
		for _, e := range s.MN {
			call := e.Request + " " + e.ID
			if e.Request == "lava-send" {
				ln.Sends = append(ln.Sends, mark{X: x(e.Req), Y: ln.Y, Title: fmt.Sprintf("%s sent %s (%s)", s.Short(), call, e.Response)})
				continue
			}
			from := senders(g, byID, i, e)
			var names []string
			for _, f := range from {
				p := g.SubJobs[f.sub]
				names = append(names, p.Label())
				t := p.MN[f.ev].Req
				kind := e.Request
				tl.Arrows = append(tl.Arrows, arrow{X1: x(t), Y1: tl.Lanes[f.sub].MidY, X2: x(e.Rep), Y2: ln.MidY,
					Kind: kind, ID: e.ID,
					Title: fmt.Sprintf("%s %s of %s → %s of %s", p.MN[f.ev].Request, e.ID, p.Short(), e.Request, s.Short())})
			}
			w := shade{X: x(e.Req), Y: ln.Y, W: max(x(e.Rep)-x(e.Req), 1.5), H: ln.H, Class: "wait"}
			w.Title = fmt.Sprintf("%s waited %s in %s", s.Short(), seconds(e.Rep.Sub(e.Req)), call)
			var short []string
			for _, f := range from {
				short = append(short, g.SubJobs[f.sub].Short())
			}
			if len(names) > 0 {
				w.Title += " for " + strings.Join(names, ", ")
			}
			text := e.ID
			if len(short) > 0 {
				text += " ⇠ " + strings.Join(short, ", ")
			}
			if n := int((w.W - 6) / charW); n >= len([]rune(text)) {
				w.Text, w.TX, w.TY = text, w.X+3, w.Y+w.H-4
			}
			switch {
			case !e.Answered:
				w.Class += " unanswered"
				w.Title += ": no answer before the log ended"
			case e.Response != "ack":
				w.Class += " unanswered"
				w.Title += ": " + e.Response
			}
			ln.Waits = append(ln.Waits, w)
		}
	}
	return tl
}

// actionLabel heads the console lines of action a of s.
func actionLabel(s *SubJob, a *Action) string {
	l := fmt.Sprintf("%s · %s %s [%s] · %s of %s timeout", s.Label(), a.Level, a.Name, a.NS, seconds(a.Duration()), a.Timeout)
	if a.Failed {
		l += " · failed"
	}
	return l
}

type evRef struct{ sub, ev int }

// senders finds the calls of other sub-jobs that released sub-job i's wait e:
// for a lava-wait(-all), the latest lava-send of the message by each job the
// reply names (or by every other sub-job when it names none); for a
// lava-sync, the peer that reached the sync last, when that was after e.
func senders(g *Group, byID map[string]int, i int, e MNEvent) []evRef {
	latest := func(sub int, req string, before time.Time) (int, bool) {
		best := -1
		for k, o := range g.SubJobs[sub].MN {
			if o.Request != req || o.ID != e.ID || o.Proto != e.Proto {
				continue
			}
			if best < 0 || !o.Req.After(before) {
				best = k
			}
			if o.Req.After(before) {
				break
			}
		}
		return best, best >= 0
	}
	var out []evRef
	switch e.Request {
	case "lava-sync":
		if !e.Answered {
			return nil
		}
		var last evRef
		var lastT time.Time
		for j := range g.SubJobs {
			if j == i {
				continue
			}
			if k, ok := latest(j, "lava-sync", e.Rep); ok && g.SubJobs[j].MN[k].Req.After(lastT) {
				last, lastT = evRef{j, k}, g.SubJobs[j].MN[k].Req
			}
		}
		if !lastT.IsZero() && lastT.After(e.Req) {
			out = append(out, last)
		}
	case "lava-wait", "lava-wait-all":
		if !e.Answered || e.Response != "ack" {
			return nil
		}
		subs := []int{}
		if len(e.From) > 0 {
			for _, id := range e.From {
				if j, ok := byID[id]; ok && j != i {
					subs = append(subs, j)
				}
			}
		} else {
			for j := range g.SubJobs {
				if j != i {
					subs = append(subs, j)
				}
			}
		}
		sort.Ints(subs)
		for _, j := range subs {
			if k, ok := latest(j, "lava-send", e.Rep); ok {
				out = append(out, evRef{j, k})
			}
		}
	}
	return out
}

// ticks are the time axis' labels: about ten, at a round step.
func ticks(span time.Duration, x func(time.Duration) float64) []tick {
	steps := []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second,
		30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute,
		30 * time.Minute, time.Hour, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}
	step := steps[len(steps)-1]
	for _, s := range steps {
		if span/s <= 12 {
			step = s
			break
		}
	}
	var out []tick
	for d := time.Duration(0); d <= span && len(out) < 100; d += step {
		out = append(out, tick{X: x(d), Label: clock(d)})
	}
	return out
}

// clock renders d as m:ss or h:mm:ss.
func clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, (s/60)%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// seconds renders d as "12.3 s" (or "4m05s" when long).
func seconds(d time.Duration) string {
	if d >= 100*time.Second {
		return d.Round(time.Second).String()
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}
