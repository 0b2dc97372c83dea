package console

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lavacore/lavacore/sdk"
)

// Defaults taken from LAVA's pexpect spawn of a connection.
const (
	DefaultMaxRead   = 4092               // bytes moved into the search window per step (pexpect maxread)
	DefaultWindow    = 2 * DefaultMaxRead // bytes searched (pexpect searchwindowsize)
	DefaultLineSep   = "\n"               // LAVA's sendline always sends "\n"
	DefaultTailLines = 20                 // console lines quoted in a timeout error
	chunkSize        = 32 << 10           // pending data is kept in chunks of this size
	readSize         = 32 << 10           // bytes asked for per read
	maxPending       = 4 << 20            // unread bytes held before the reader stops reading
	closeWait        = 5 * time.Second    // how long Close waits for the reader
	tailBytes        = 8 << 10            // output kept to quote in errors
)

// ErrTimeout is matched (errors.Is) by every Expect timeout: the SDK's, so
// that it matches a timeout that crossed a plugin boundary too.
var ErrTimeout = sdk.ErrConsoleTimeout

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

	// Who reads the transport (direct.go; c.mu).
	read       func([]byte) (int, error)
	dl         deadliner // the transport's read deadline: Expect reads itself; nil: only the reader goroutine reads
	rbuf       []byte    // the role holder's read buffer
	role       int       // roleNone, roleReader, roleExpect
	xwant      bool      // an Expect waits for the reader to give the role up
	xreading   bool      // an Expect is in a read
	xgen       uint64    // Expect activity, for the idle check
	graceGen   uint64
	grace      *time.Timer // gives the role back to the reader once Expect is idle
	graceArmed bool
	roleFree   chan struct{} // closed (and replaced) when the reader may read again
	dlAt       time.Time     // the deadline set on the transport

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
		roleFree: make(chan struct{}),
		rbuf:     make([]byte, readSize),
		read:     conn.Read,
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
	if br, ok := conn.(burstReader); ok {
		// A pty hands out 4 KiB a read: pass a burst on in one piece,
		// one wake-up of a waiting Expect instead of one per read.
		c.read = br.ReadBurst
	}
	if d, ok := conn.(deadliner); ok && d.SetReadDeadline(time.Time{}) == nil {
		// Deadlines work (a descriptor Go's poller does not manage says
		// so with an error): Expect may read itself (direct.go).
		c.dl = d
	}
	go c.readLoop()
	return c, nil
}

// String says what the console is connected to.
func (c *Console) String() string { return c.conn.String() }

// Conn returns the transport.
func (c *Console) Conn() Conn { return c.conn }

func (c *Console) readLoop() {
	defer close(c.done)
	for {
		if !c.takeReaderRole() {
			return
		}
		n, err := c.read(c.rbuf)
		if n == 0 && c.dl != nil && errors.Is(err, os.ErrDeadlineExceeded) {
			// An Expect interrupted the read to read itself (direct.go).
			c.mu.Lock()
			c.role = roleNone
			c.notify()
			c.mu.Unlock()
			continue
		}
		c.deliver(c.rbuf[:n], err, true)
		if err != nil {
			return
		}
	}
}

// deliver passes what the role holder read on: to the transcript, the log
// lines, the tail and the pending queue (waiting while it is full), and
// tells a waiting Expect. The reader gives the role back here.
func (c *Console) deliver(p []byte, err error, reader bool) {
	if len(p) > 0 {
		_ = c.rec.Record(DirRead, p)
		c.tmu.Lock()
		if c.rx != nil {
			c.rx.Write(p)
		}
		c.keepLast(p)
		c.tmu.Unlock()
	}
	if err != nil {
		if err == io.EOF {
			_ = c.rec.Record(DirClose, []byte("EOF"))
		} else {
			_ = c.rec.Record(DirClose, []byte(err.Error()))
		}
	}
	c.mu.Lock()
	if len(p) > 0 {
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
		c.queue(p)
	}
	if reader {
		c.role = roleNone
	}
	if err != nil {
		c.rerr = err
		c.watched = true // tell everyone
		c.wakeReader()   // a parked reader exits
	}
	c.notify()
	c.mu.Unlock()
}

// notify wakes a waiting Expect (c.mu held). Only a waiting Expect needs
// telling: one that is searching sees pend when it next takes the lock.
func (c *Console) notify() {
	if c.watched {
		c.watched = false
		close(c.changed)
		c.changed = make(chan struct{})
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
		if c.grace != nil {
			c.grace.Stop()
		}
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
