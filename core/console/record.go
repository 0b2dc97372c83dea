package console

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// DefaultMaxLine is the longest line the splitter holds before it emits it
// anyway (a device printing 10 MB without a newline must not grow memory).
const DefaultMaxLine = 1 << 20

// LineSplitter turns a byte stream into log lines as LAVA's console logger
// does: lines end at "\r\r\n", "\r\n" or "\n" (the terminator is dropped),
// ESC bytes (0x1b) are removed, invalid UTF-8 becomes U+FFFD. A partial line
// is held until its end arrives, Flush is called, or it reaches MaxLine bytes.
type LineSplitter struct {
	Emit    func(line string)
	MaxLine int // 0: DefaultMaxLine

	buf []byte
}

// NewLineSplitter returns a splitter calling emit for each complete line.
func NewLineSplitter(emit func(line string)) *LineSplitter {
	return &LineSplitter{Emit: emit}
}

// Write feeds bytes; it never fails.
func (s *LineSplitter) Write(p []byte) (int, error) {
	n := len(p)
	max := s.MaxLine
	if max <= 0 {
		max = DefaultMaxLine
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.buf = append(s.buf, p...)
			for len(s.buf) >= max {
				s.emit(s.buf[:max])
				s.buf = append(s.buf[:0], s.buf[max:]...)
			}
			break
		}
		line := p[:i]
		if len(s.buf) > 0 {
			s.buf = append(s.buf, line...)
			line = s.buf
		}
		for k := 0; k < 2 && len(line) > 0 && line[len(line)-1] == '\r'; k++ {
			line = line[:len(line)-1]
		}
		s.emit(line)
		s.buf = s.buf[:0]
		p = p[i+1:]
	}
	return n, nil
}

// Partial returns the held partial line (cleaned as an emitted line would be).
func (s *LineSplitter) Partial() string { return clean(s.buf) }

// Flush emits the partial line, if any.
func (s *LineSplitter) Flush() {
	if len(s.buf) > 0 {
		s.emit(s.buf)
		s.buf = s.buf[:0]
	}
}

func (s *LineSplitter) emit(b []byte) {
	if s.Emit != nil {
		s.Emit(clean(b))
	}
}

// clean removes ESC bytes and replaces invalid UTF-8.
func clean(b []byte) string {
	if bytes.IndexByte(b, 0x1b) < 0 && utf8.Valid(b) {
		return string(b)
	}
	s := strings.ReplaceAll(string(b), "\x1b", "")
	return strings.ToValidUTF8(s, "\uFFFD")
}

// Transcript direction tags.
const (
	DirRead  = "rx"    // bytes read from the device
	DirWrite = "tx"    // bytes written to the device
	DirOpen  = "open"  // the connection opened (data: what was opened)
	DirClose = "close" // the connection ended (data: why)
)

// Recorder writes a console transcript: every byte read and written, with
// timestamps. Two files in Dir, both appended to (a console re-opened in the
// same namespace continues them):
//
//   - console-<name>.log: the raw bytes read from the device, nothing else
//     (what a serial capture would show; `cat` it to replay the session);
//   - console-<name>.jsonl: one JSON object per event, in order:
//     {"t":"<RFC 3339 UTC, ns>","dir":"rx|tx|open|close","off":N,"data":"…"}
//     "off" (rx only) is the offset of the chunk in the .log file; the bytes
//     are in "data" when they are valid UTF-8, else base64 in "b64".
type Recorder struct {
	mu   sync.Mutex
	raw  *os.File
	js   *os.File
	off  int64
	now  func() time.Time
	line bytes.Buffer
}

// NewRecorder opens (creating or appending) the transcript files for name in dir.
func NewRecorder(dir, name string) (*Recorder, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("console transcript: %w", err)
	}
	raw, err := os.OpenFile(rawPath(dir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("console transcript: %w", err)
	}
	js, err := os.OpenFile(eventsPath(dir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		raw.Close()
		return nil, fmt.Errorf("console transcript: %w", err)
	}
	st, err := raw.Stat()
	if err != nil {
		raw.Close()
		js.Close()
		return nil, fmt.Errorf("console transcript: %w", err)
	}
	return &Recorder{raw: raw, js: js, off: st.Size(), now: time.Now}, nil
}

// rawPath and eventsPath name the files NewRecorder(dir, name) writes.
func rawPath(dir, name string) string { return filepath.Join(dir, "console-"+safeName(name)+".log") }

func eventsPath(dir, name string) string {
	return filepath.Join(dir, "console-"+safeName(name)+".jsonl")
}

func safeName(name string) string {
	if name == "" {
		return "console"
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, name)
}

type event struct {
	T    string  `json:"t"`
	Dir  string  `json:"dir"`
	Off  *int64  `json:"off,omitempty"`
	Data *string `json:"data,omitempty"`
	B64  string  `json:"b64,omitempty"`
}

// Record writes one event. Errors writing the transcript are returned but
// the console keeps working.
func (r *Recorder) Record(dir string, p []byte) error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := event{T: r.now().UTC().Format("2006-01-02T15:04:05.000000000Z"), Dir: dir}
	if dir == DirRead {
		off := r.off
		ev.Off = &off
		n, err := r.raw.Write(p)
		r.off += int64(n)
		if err != nil {
			return fmt.Errorf("console transcript: %w", err)
		}
	}
	if utf8.Valid(p) {
		s := string(p)
		ev.Data = &s
	} else {
		ev.B64 = base64.StdEncoding.EncodeToString(p)
	}
	r.line.Reset()
	enc := json.NewEncoder(&r.line)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ev); err != nil { // Encode ends the line
		return err
	}
	if _, err := r.js.Write(r.line.Bytes()); err != nil {
		return fmt.Errorf("console transcript: %w", err)
	}
	return nil
}

// Close closes the files.
func (r *Recorder) Close() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	e1 := r.raw.Close()
	e2 := r.js.Close()
	if e1 != nil {
		return e1
	}
	return e2
}
