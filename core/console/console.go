package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/lavacore/lavacore/sdk"
)

// Defaults taken from LAVA's pexpect spawn of a connection.
const (
	DefaultMaxRead   = 4092               // bytes moved into the search window per step (pexpect maxread)
	DefaultWindow    = 2 * DefaultMaxRead // bytes searched (pexpect searchwindowsize)
	DefaultLineSep   = "\n"               // LAVA's sendline always sends "\n"
	DefaultTailLines = 20                 // console lines quoted in a timeout error
	chunkSize        = 32 << 10           // pending data is kept in chunks of this size
	maxPending       = 4 << 20            // unread bytes held before the reader stops reading
	closeWait        = 5 * time.Second    // how long Close waits for the reader
	tailBytes        = 8 << 10            // output kept to quote in errors
	timeoutPrefix    = "wait for prompt timed out"
)

// ErrTimeout is matched (errors.Is) by every Expect timeout.
var ErrTimeout = errors.New("console: timed out")

// Options configure a Console. The zero value works: no transcript, no
// log, LAVA's defaults.
type Options struct {
	Name string  // namespace; names the transcript files (console-<Name>.log/.jsonl)
	Dir  string  // transcript directory; "" records no transcript
	Log  LogFunc // console lines (target), sent lines (input), debug/warning records; nil discards

	LineSep   string        // sent after SendLine's text; "" means DefaultLineSep ("\n")
	CharDelay time.Duration // delay after each character SendLine writes (character_delays); see SetCharDelay, WithCharDelay
	Window    int           // bytes searched by Expect; 0: DefaultWindow
	MaxRead   int           // bytes added to the window per search step; 0: DefaultMaxRead
	// StripANSI removes ANSI/VT100 escape sequences (CSI, OSC, two- and
	// three-byte ESC sequences) from the data before it is searched, so
	// Before/Text are clean too. Default false: like LAVA, patterns match the
	// raw output. Prompts such as "grub>" or "# " match raw output anyway;
	// turn this on to match text that a terminal redraws (GRUB's echo, which
	// positions the cursor before every character).
	StripANSI bool
	TailLines int // console lines quoted in a timeout error; 0: DefaultTailLines
}

// Console is a device console: a transport, a reader goroutine, LAVA's
// expect semantics, a transcript and line logging. It implements
// sdk.Console and io.Closer. Expect calls are serialised; sending may
// happen while an Expect waits.
type Console struct {
	conn Conn
	opts Options
	rec  *Recorder
	log  LogFunc

	mu      sync.Mutex
	pend    [][]byte // chunks read but not yet searched; pend[0][pendOff:] is next
	pendOff int
	pendN   int           // bytes in pend
	free    [][]byte      // spare chunks
	waiting bool          // the reader waits for pend to shrink
	rerr    error         // the reader's final error (io.EOF, …)
	changed chan struct{} // closed (and replaced) when pend or rerr change and watched
	watched bool          // an Expect waits on changed
	drained chan struct{} // closed (and replaced) when pend shrinks
	closed  bool
	stop    chan struct{}
	done    chan struct{} // the reader exited

	tmu      sync.Mutex // rx splitter and tail
	rx       *LineSplitter
	last     []byte // the last tailBytes bytes read (for Tail), a slice of lastBack
	lastBack []byte
	trimmed  bool // bytes were dropped before last

	xmu     sync.Mutex // one Expect at a time; guards buf and strip
	buf     []byte     // search window, len ≤ Window, a slice of back
	back    []byte     // storage of the window; compacted when full
	strip   ansiStripper
	lastSrc []string // the last pattern list and its compiled form
	lastRes []*pattern
	memo    []int64 // per lastRes pattern: no start literal begins before this stream offset
	locs    [][]int // per pattern: room for its match indexes (simple matcher)
	base    int64   // stream offset of buf[0]

	wmu       sync.Mutex // writes
	tx        *LineSplitter
	charDelay atomic.Int64

	closeOnce sync.Once
}

// burstReader is a transport that can read all it holds in one call:
// ReadBurst waits like Read for the first bytes, then takes what else is
// already there, up to len(p).
type burstReader interface {
	ReadBurst(p []byte) (int, error)
}

// Dial opens spec's transport (see Open) and returns a Console on it.
func Dial(ctx context.Context, spec sdk.ConsoleSpec, opts Options) (*Console, error) {
	conn, err := Open(ctx, spec)
	if err != nil {
		return nil, err
	}
	c, err := New(conn, opts)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

// New starts a Console on an open transport; the Console owns conn.
func New(conn Conn, opts Options) (*Console, error) {
	if opts.LineSep == "" {
		opts.LineSep = DefaultLineSep
	}
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	if opts.MaxRead <= 0 {
		opts.MaxRead = DefaultMaxRead
	}
	if opts.TailLines <= 0 {
		opts.TailLines = DefaultTailLines
	}
	c := &Console{
		conn:     conn,
		opts:     opts,
		log:      opts.Log,
		changed:  make(chan struct{}),
		drained:  make(chan struct{}),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		lastBack: make([]byte, 0, 2*tailBytes),
		back:     make([]byte, 4*(opts.Window+opts.MaxRead)),
	}
	if c.log == nil {
		c.log = func(sdk.LogLevel, string) {}
	}
	c.charDelay.Store(int64(opts.CharDelay))
	if opts.Dir != "" {
		rec, err := NewRecorder(opts.Dir, opts.Name)
		if err != nil {
			return nil, sdk.InfraErrorf("%v", err)
		}
		c.rec = rec
		_ = rec.Record(DirOpen, []byte(conn.String()))
	}
	c.last = c.lastBack
	if opts.Log != nil {
		c.rx = NewLineSplitter(func(l string) { c.log(sdk.LevelTarget, l) })
	}
	c.tx = NewLineSplitter(func(l string) { c.log(sdk.LevelInput, l) })
	go c.readLoop()
	return c, nil
}

// String says what the console is connected to.
func (c *Console) String() string { return c.conn.String() }

// Conn returns the transport.
func (c *Console) Conn() Conn { return c.conn }

func (c *Console) readLoop() {
	defer close(c.done)
	b := make([]byte, 32<<10)
	read := c.conn.Read
	if br, ok := c.conn.(burstReader); ok {
		// A pty hands out 4 KiB a read: pass a burst on in one piece,
		// one wake-up of a waiting Expect instead of one per read.
		read = br.ReadBurst
	}
	for {
		n, err := read(b)
		if n > 0 {
			_ = c.rec.Record(DirRead, b[:n])
			c.tmu.Lock()
			if c.rx != nil {
				c.rx.Write(b[:n])
			}
			c.keepLast(b[:n])
			c.tmu.Unlock()
			c.mu.Lock()
			for c.pendN >= maxPending && !c.closed {
				c.waiting = true
				ch := c.drained
				c.mu.Unlock()
				select {
				case <-ch:
				case <-c.stop:
				}
				c.mu.Lock()
			}
			c.queue(b[:n])
			if c.watched {
				// Only a waiting Expect needs telling: one that is
				// searching sees pend when it next takes the lock.
				c.watched = false
				close(c.changed)
				c.changed = make(chan struct{})
			}
			c.mu.Unlock()
		}
		if err != nil {
			if err == io.EOF {
				_ = c.rec.Record(DirClose, []byte("EOF"))
			} else {
				_ = c.rec.Record(DirClose, []byte(err.Error()))
			}
			c.mu.Lock()
			c.rerr = err
			c.watched = false
			close(c.changed)
			c.changed = make(chan struct{})
			c.mu.Unlock()
			return
		}
	}
}

// queue appends p to the pending chunks (c.mu held): into the last chunk
// while it has room, so a device writing a byte at a time costs no more
// than one writing in blocks.
func (c *Console) queue(p []byte) {
	c.pendN += len(p)
	if k := len(c.pend) - 1; k >= 0 && (k > 0 || c.pendOff == 0) && cap(c.pend[k])-len(c.pend[k]) >= len(p) {
		c.pend[k] = append(c.pend[k], p...)
		return
	}
	var ch []byte
	if n := len(c.free); n > 0 && cap(c.free[n-1]) >= len(p) {
		ch, c.free = c.free[n-1], c.free[:n-1]
	} else {
		ch = make([]byte, 0, max(len(p), chunkSize))
	}
	c.pend = append(c.pend, append(ch, p...))
}

// take moves up to n pending bytes into the search window (c.mu held).
func (c *Console) take(n int) {
	for n > 0 && c.pendN > 0 {
		head := c.pend[0][c.pendOff:]
		k := min(n, len(head))
		c.appendWindow(head[:k])
		n -= k
		c.pendOff += k
		c.pendN -= k
		if c.pendOff == len(c.pend[0]) {
			if len(c.free) < 4 {
				c.free = append(c.free, c.pend[0][:0])
			}
			c.pend[0] = nil
			c.pend = c.pend[1:]
			c.pendOff = 0
		}
	}
	if c.waiting && c.pendN < maxPending {
		c.waiting = false
		close(c.drained)
		c.drained = make(chan struct{})
	}
}

// Close closes the transport (killing a command's process group), flushes
// partial lines to the log and closes the transcript.
func (c *Console) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		close(c.stop)
		c.mu.Unlock()
		err = c.conn.Close()
		select {
		case <-c.done:
		case <-time.After(closeWait):
		}
		c.Flush()
		c.wmu.Lock()
		c.tx.Flush()
		c.wmu.Unlock()
		if e := c.rec.Close(); err == nil {
			err = e
		}
	})
	return err
}

// Flush logs the partial console line (output not yet ended by a newline),
// as LAVA does at the end of an action.
func (c *Console) Flush() {
	c.tmu.Lock()
	if c.rx != nil {
		c.rx.Flush()
	}
	c.tmu.Unlock()
}

// keepLast remembers the last tailBytes bytes read (c.tmu held).
func (c *Console) keepLast(p []byte) {
	if len(p) >= tailBytes {
		c.last = append(c.lastBack[:0], p[len(p)-tailBytes:]...)
		c.trimmed = true
		return
	}
	if len(c.last)+len(p) > cap(c.last) {
		c.last = c.lastBack[:copy(c.lastBack, c.last)]
	}
	c.last = append(c.last, p...)
	if over := len(c.last) - tailBytes; over > 0 {
		c.last = c.last[over:]
		c.trimmed = true
	}
}

// Tail returns the last console lines read (up to TailLines, from the
// last 8 KiB), the partial line last if there is one, cleaned as log lines.
func (c *Console) Tail() []string {
	c.tmu.Lock()
	var lines []string
	s := NewLineSplitter(func(l string) { lines = append(lines, l) })
	s.Write(c.last)
	s.Flush()
	trimmed := c.trimmed
	c.tmu.Unlock()
	if trimmed && len(lines) > 1 {
		lines = lines[1:] // its start was dropped
	}
	if n := c.opts.TailLines; len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// ---- sending ----

type charDelayKey struct{}

// WithCharDelay returns a context whose SendLine calls use delay per
// character (the device's character_delays for the running section),
// overriding the console's own setting.
func WithCharDelay(ctx context.Context, delay time.Duration) context.Context {
	return context.WithValue(ctx, charDelayKey{}, delay)
}

// SetCharDelay sets the per-character delay SendLine uses from now on.
func (c *Console) SetCharDelay(d time.Duration) { c.charDelay.Store(int64(d)) }

// SendLine sends s and the line separator. With a character delay each
// character (rune) is written on its own, followed by the delay, the
// separator included, as LAVA's sendline(delay=…).
func (c *Console) SendLine(ctx context.Context, s string) error {
	d := time.Duration(c.charDelay.Load())
	if v, ok := ctx.Value(charDelayKey{}).(time.Duration); ok {
		d = v
	}
	c.log(sdk.LevelDebug, fmt.Sprintf("Sending line: '%s'", s))
	line := s + c.opts.LineSep
	if d <= 0 {
		return c.write(ctx, line)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	for i := 0; i < len(line); {
		_, n := utf8.DecodeRuneInString(line[i:])
		if err := c.write(ctx, line[i:i+n]); err != nil {
			return err
		}
		i += n
		t.Reset(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctxError(ctx, "sending "+quote(s))
		}
	}
	return nil
}

// SendRaw sends s as it is (no separator, no delay).
func (c *Console) SendRaw(ctx context.Context, s string) error { return c.write(ctx, s) }

func (c *Console) write(ctx context.Context, s string) error {
	if err := ctx.Err(); err != nil {
		return ctxError(ctx, "sending "+quote(s))
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return sdk.InfraErrorf("Connection closed")
	}
	b := []byte(s)
	_ = c.rec.Record(DirWrite, b)
	c.tx.Write(b)
	if _, err := c.conn.Write(b); err != nil {
		return sdk.InfraErrorf("Connection closed (writing to %s: %v)", c.conn, err)
	}
	return nil
}

func ctxError(ctx context.Context, what string) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return &sdk.Error{Type: sdk.Canceled, Msg: "canceled while " + what, Err: ctx.Err()}
	}
	return &sdk.Error{Type: sdk.Job, Msg: "timed out while " + what, Err: ctx.Err()}
}

// ---- expect ----

// TimeoutError is the detail of an Expect timeout (wrapped in an
// *sdk.Error of type Job). errors.Is(err, ErrTimeout) is true, and so is
// errors.Is(err, context.DeadlineExceeded) when ctx's deadline ended the wait.
type TimeoutError struct {
	Patterns []string
	After    time.Duration
	Tail     []string
	Ctx      error
}

func (e *TimeoutError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s after %s waiting for ", timeoutPrefix, e.After.Round(time.Millisecond))
	for i, p := range e.Patterns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quote(p))
	}
	if len(e.Tail) == 0 {
		b.WriteString("; the console printed nothing")
	} else {
		b.WriteString("; last console lines:")
		for _, l := range e.Tail {
			b.WriteString("\n    ")
			b.WriteString(l)
		}
	}
	return b.String()
}

// Is matches ErrTimeout.
func (e *TimeoutError) Is(target error) bool { return target == ErrTimeout }

// Unwrap returns ctx's error when ctx ended the wait.
func (e *TimeoutError) Unwrap() error { return e.Ctx }

// IsTimeout reports whether err is an Expect timeout. It also recognises
// the message of a timeout that crossed a plugin boundary as text.
func IsTimeout(err error) bool {
	return err != nil && (errors.Is(err, ErrTimeout) || strings.HasPrefix(err.Error(), timeoutPrefix))
}

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
	te := &TimeoutError{Patterns: patterns, After: after, Tail: c.Tail(), Ctx: ctx.Err()}
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
		if p.simple != nil {
			locs[i] = make([]int, 2+2*p.simple.ncap)
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
	m := sdk.Match{Index: best, Before: string(buf[:bs]), Text: string(buf[bs:be])}
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
	exec := func(re *regexp.Regexp, from int) []int {
		var loc []int
		if subs {
			loc = re.FindSubmatchIndex(b[from:])
		} else {
			loc = re.FindIndex(b[from:])
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
		return exec(p.re, 0), 0
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
			return exec(p.re, q), none
		}
		if loc := exec(p.anch, q); loc != nil {
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
