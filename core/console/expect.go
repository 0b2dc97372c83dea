package console

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/lavacore/lavacore/sdk"
)

// Expect: LAVA's (pexpect's) search over a bounded window.

// TimeoutError is the detail of an Expect timeout (wrapped in an
// *sdk.Error of type Job): the SDK's own type, which keeps its fields across
// the plugin wire, so plugins and the host match one type (errors.As).
// errors.Is(err, ErrTimeout) is true, and so is
// errors.Is(err, context.DeadlineExceeded) when ctx's deadline ended the wait.
type TimeoutError = sdk.TimeoutError

// Expect waits for the earliest match of any pattern in the console output
// (ties: the first pattern in the list), until ctx's deadline or timeout,
// whichever comes first (timeout 0: ctx only).
//
// Semantics are pexpect's as LAVA uses them: data is moved into a search
// window MaxRead bytes at a time and the window (the last Window bytes,
// 8184 by default) is searched after each step, so data older than the
// window that matched nothing is dropped; a match consumes the window up to
// its end. Before is the window's text before the match (bounded by the
// window, unlike pexpect's), Text the match, Groups its submatches ("" for
// a group that did not take part).
//
// Patterns are Go RE2 (see the package doc): a pattern that does not
// compile is a Test error naming it. Timeout: a Job error (TimeoutError)
// naming the patterns, the wait and the last console lines. The connection
// closing (EOF) with no match left: Infrastructure error "Connection closed".
func (c *Console) Expect(ctx context.Context, patterns []string, timeout time.Duration) (sdk.Match, error) {
	// The clock starts when Expect is called; reading it is left until
	// Expect has to wait (the test shell's Expect usually finds its match
	// in the window at once) unless another Expect holds the console.
	var start time.Time
	if !c.xmu.TryLock() {
		start = time.Now()
		c.xmu.Lock()
	}
	defer c.xmu.Unlock()
	defer c.release()
	res, err := c.compile(patterns)
	if err != nil {
		return sdk.Match{}, err
	}
	if m, ok := c.search(res); ok {
		return m, nil
	}
	if start.IsZero() {
		start = time.Now()
	}
	var deadline time.Time
	var timer *time.Timer
	var timerC <-chan time.Time // made when Expect first has to wait
	if timeout > 0 {
		deadline = start.Add(timeout)
		defer func() {
			if timer != nil {
				timer.Stop()
			}
		}()
	}
	if d, ok := ctx.Deadline(); ok && (deadline.IsZero() || d.Before(deadline)) {
		deadline = d
	}
	var stopWatch func() bool // ends the ctx watch of a direct read
	defer func() {
		if stopWatch != nil {
			stopWatch()
		}
	}()
	search := false
	for {
		if search {
			if m, ok := c.search(res); ok {
				return m, nil
			}
			search = false
		}
		c.mu.Lock()
		if c.pendN > 0 {
			c.take(c.opts.MaxRead)
			c.mu.Unlock()
			search = true
			// A device that never stops talking must not outlive the
			// deadline or a cancellation.
			if late := !deadline.IsZero() && time.Now().After(deadline); late || ctx.Err() != nil {
				if m, ok := c.search(res); ok {
					return m, nil
				}
				if !late && errors.Is(ctx.Err(), context.Canceled) {
					return sdk.Match{}, &sdk.Error{Type: sdk.Canceled, Msg: "canceled while waiting for " + quoteList(patterns), Err: ctx.Err()}
				}
				return sdk.Match{}, c.timeoutError(ctx, patterns, start, deadline)
			}
			continue
		}
		if c.rerr == nil && c.dl != nil && c.readDirect(ctx, deadline, &stopWatch) {
			// Read here (c.mu released): or the deadline, or a cancellation.
			if ctx.Err() != nil {
				if errors.Is(ctx.Err(), context.Canceled) {
					return sdk.Match{}, &sdk.Error{Type: sdk.Canceled, Msg: "canceled while waiting for " + quoteList(patterns), Err: ctx.Err()}
				}
				return sdk.Match{}, c.timeoutError(ctx, patterns, start, deadline)
			}
			if !deadline.IsZero() && !time.Now().Before(deadline) {
				c.mu.Lock()
				more := c.pendN > 0
				c.mu.Unlock()
				if !more {
					return sdk.Match{}, c.timeoutError(ctx, patterns, start, deadline)
				}
			}
			continue
		}
		rerr, changed := c.rerr, c.changed
		c.watched = true
		c.mu.Unlock()
		if rerr != nil {
			return sdk.Match{}, sdk.InfraErrorf("Connection closed")
		}
		if timeout > 0 && timer == nil {
			timer = time.NewTimer(time.Until(start.Add(timeout)))
			timerC = timer.C
		}
		select {
		case <-changed:
		case <-timerC:
			return sdk.Match{}, c.timeoutError(ctx, patterns, start, deadline)
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return sdk.Match{}, &sdk.Error{Type: sdk.Canceled, Msg: "canceled while waiting for " + quoteList(patterns), Err: ctx.Err()}
			}
			return sdk.Match{}, c.timeoutError(ctx, patterns, start, deadline)
		}
	}
}

func (c *Console) timeoutError(ctx context.Context, patterns []string, start, deadline time.Time) error {
	after := time.Since(start)
	if !deadline.IsZero() && deadline.Sub(start) < after {
		after = deadline.Sub(start) // the limit that applied, not the scheduler's lateness
	}
	cerr := ctx.Err()
	if d, ok := ctx.Deadline(); ok && cerr == nil && !time.Now().Before(d) {
		cerr = context.DeadlineExceeded // the transport's deadline was ctx's, a moment before ctx ended
	}
	te := &TimeoutError{Patterns: patterns, Wait: after, LastLines: c.Tail(), Err: cerr}
	return &sdk.Error{Type: sdk.Job, Msg: te.Error(), Err: te}
}

// compile returns the compiled patterns (c.xmu held), reusing the last
// list: the test shell waits for the same list thousands of times.
func (c *Console) compile(ps []string) ([]*pattern, error) {
	if len(ps) == len(c.lastSrc) && len(ps) > 0 {
		same := true
		for i := range ps {
			if ps[i] != c.lastSrc[i] {
				same = false
				break
			}
		}
		if same {
			return c.lastRes, nil
		}
	}
	res, err := compilePatterns(ps)
	if err != nil {
		return nil, err
	}
	c.lastSrc, c.lastRes = append(c.lastSrc[:0], ps...), res
	c.memo = make([]int64, len(res))
	c.locs = newLocs(res)
	return res, nil
}

// newLocs makes room for the match indexes of each simple pattern of res.
func newLocs(res []*pattern) [][]int {
	locs := make([][]int, len(res))
	for i, p := range res {
		switch {
		case p.simple != nil:
			locs[i] = make([]int, 2+2*p.simple.ncap)
		case p.dfa != nil:
			locs[i] = make([]int, 2)
		}
	}
	return locs
}

// appendWindow adds p to the search window, keeping its last Window bytes.
func (c *Console) appendWindow(p []byte) {
	if len(c.buf)+len(p) > cap(c.buf) {
		// Move the window to the start of its storage (rarely: the storage
		// is 4× the window, and consuming a match only moves the start).
		c.buf = c.back[:copy(c.back, c.buf)]
	}
	if c.opts.StripANSI {
		c.buf = c.strip.append(c.buf, p)
	} else {
		c.buf = append(c.buf, p...)
	}
	if over := len(c.buf) - c.opts.Window; over > 0 {
		c.buf = c.buf[over:]
		c.base += int64(over)
	}
}

// search finds the earliest match in the window and consumes up to its end.
func (c *Console) search(res []*pattern) (sdk.Match, bool) {
	buf := c.buf
	if len(c.memo) != len(res) {
		c.memo = make([]int64, len(res))
	}
	if len(c.locs) != len(res) {
		c.locs = newLocs(res)
	}
	best := -1
	var bloc []int // best match's (sub)match indexes, relative to buf
	for i, p := range res {
		// Only a match starting before the best so far can win (ties: lower index).
		limit := len(buf) + 1
		if best >= 0 {
			limit = bloc[0]
		}
		known := c.memo[i] - c.base
		known = max(0, min(known, int64(len(buf))))
		if int(known) >= limit && p.starts != nil {
			continue // no start literal before limit (what find would say)
		}
		loc, none := p.find(buf, limit, int(known), c.locs[i])
		c.memo[i] = c.base + int64(none)
		if loc == nil {
			continue
		}
		best, bloc = i, loc
		if bloc[0] == 0 {
			break // nothing can start earlier
		}
	}
	if best < 0 {
		return sdk.Match{}, false
	}
	bs, be := bloc[0], bloc[1]
	whole := string(buf[:be]) // one allocation for Before and Text
	m := sdk.Match{Index: best, Before: whole[:bs], Text: whole[bs:]}
	if n := res[best].re.NumSubexp(); n > 0 {
		// Groups lie within the match: slices of Text, no copies.
		m.Groups = make([]string, n)
		for g := range m.Groups {
			if s, e := bloc[2*g+2], bloc[2*g+3]; s >= 0 {
				m.Groups[g] = m.Text[s-bs : e-bs]
			}
		}
	}
	c.buf = buf[be:]
	c.base += int64(be)
	return m, true
}

// maxAnchoredTries bounds the literal occurrences tried one by one before
// the search hands over to the regexp engine.
const maxAnchoredTries = 8

// find returns p's leftmost match in b starting before limit, as
// FindSubmatchIndex (or FindIndex without groups) would, or nil. known says
// no start literal begins before it (what earlier searches of the same
// stream learned); none returns what this search learned. The simple
// matcher fills room (when long enough) instead of allocating.
func (p *pattern) find(b []byte, limit, known int, room []int) (loc []int, none int) {
	subs := p.re.NumSubexp() > 0
	exec := func(re *regexp.Regexp, from, to int) []int {
		var loc []int
		if subs {
			loc = re.FindSubmatchIndex(b[from:to])
		} else {
			loc = re.FindIndex(b[from:to])
		}
		if loc == nil || from+loc[0] >= limit {
			return nil
		}
		for k := range loc {
			if loc[k] >= 0 {
				loc[k] += from
			}
		}
		return loc
	}
	if p.starts == nil {
		return exec(p.re, 0, len(b)), 0
	}
	pos := known
	none = -1
	for tries := 0; ; tries++ {
		if pos >= limit {
			if none < 0 {
				none = pos
			}
			return nil, none
		}
		// The scan goes past limit to the end of b: the next occurrence,
		// remembered in none, lets the following searches (the test shell
		// calls Expect once a signal, many times a window) skip to it
		// instead of scanning again up to each new limit.
		q := firstIndex(b[pos:], p.lits, len(b)-pos)
		if q < 0 {
			if none < 0 {
				none = max(pos, len(b)-p.maxLit+1)
			}
			return nil, none
		}
		q += pos
		if none < 0 {
			none = q // an occurrence: later data may complete its match
		}
		if q >= limit {
			return nil, none
		}
		if p.simple != nil {
			if loc := p.simple.matchAt(b, q, room); loc != nil {
				if !subs {
					loc = loc[:2]
				}
				return loc, none
			}
			pos = q + 1
			continue
		}
		if tries >= maxAnchoredTries {
			return exec(p.re, q, len(b)), none
		}
		end := len(b)
		if p.stopN >= 0 {
			end = boundEnd(b, q, p.stop, p.stopN) // what the try can need (bound.go)
		}
		if p.dfa != nil {
			switch e := p.dfa.run(b[q:end]); {
			case e == dfaNone:
				pos = q + 1
				continue
			case e >= 0 && !subs && len(room) >= 2:
				room[0], room[1] = q, q+e
				return room[:2], none
			case e >= 0:
				end = q + e // the submatches: the regexp on the match alone
			}
		}
		if loc := exec(p.anch, q, end); loc != nil {
			return loc, none
		}
		pos = q + 1
	}
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

func quoteList(ps []string) string {
	q := make([]string, len(ps))
	for i, p := range ps {
		q[i] = quote(p)
	}
	return strings.Join(q, ", ")
}
