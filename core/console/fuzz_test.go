package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// sliceConn serves fixed data in chunks of size n, then EOF.
type sliceConn struct {
	data []byte
	n    int
}

func (s *sliceConn) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	k := min(len(p), len(s.data), max(s.n, 1))
	copy(p, s.data[:k])
	s.data = s.data[k:]
	return k, nil
}
func (s *sliceConn) Write(p []byte) (int, error) { return len(p), nil }
func (s *sliceConn) Close() error                { return nil }
func (s *sliceConn) String() string              { return "slice" }

func FuzzLineSplitter(f *testing.F) {
	f.Add([]byte("a\r\nb\r\r\nc\nd"), uint8(3), uint8(0))
	f.Add([]byte("\x1b[6n/ # \xff\xfe\r"), uint8(1), uint8(4))
	f.Add(bytes.Repeat([]byte("x"), 300), uint8(7), uint8(16))
	f.Fuzz(func(t *testing.T, data []byte, chunk, maxLine uint8) {
		var lines []string
		s := NewLineSplitter(func(l string) { lines = append(lines, l) })
		s.MaxLine = int(maxLine)
		step := int(chunk) + 1
		for i := 0; i < len(data); i += step {
			s.Write(data[i:min(i+step, len(data))])
			if limit := s.MaxLine; limit > 0 && len(s.buf) >= limit {
				t.Fatalf("partial line %d bytes ≥ max %d", len(s.buf), limit)
			}
		}
		s.Flush()
		for _, l := range lines {
			if strings.ContainsAny(l, "\n\x1b") {
				t.Fatalf("line %q holds a newline or ESC", l)
			}
		}
		// Nothing is lost but terminators and ESC bytes.
		if s.MaxLine == 0 {
			want := strings.Count(string(bytes.ReplaceAll(data, []byte{0x1b}, nil)), "\n")
			if got := len(lines); got < want {
				t.Fatalf("%d lines for %d newlines", got, want)
			}
		}
	})
}

// The fuzz targets never wait on a real clock: the console reads a
// sliceConn, which always ends (EOF), so an Expect without a timeout
// returns a match or "Connection closed". An input that makes Expect hang
// or crawl is a finding: the fuzzing engine fails an input that runs for
// 10 s and writes it to testdata/fuzz. Inputs are bounded (maxFuzzData) so
// that each run stays in milliseconds under the engine's instrumentation.
const maxFuzzData = 8 << 10

func FuzzExpect(f *testing.F) {
	f.Add([]byte("login: root\r\nroot@lava:~# <LAVA_SIGNAL_ENDRUN 0_smoke 1>"), `<LAVA_SIGNAL_(\S+) ([^>]+)>`, "login:", uint16(4092), uint8(7))
	f.Add(bytes.Repeat([]byte("ab"), maxFuzzData/2), `(a|b)*c`, `b{3}`, uint16(16), uint8(200))
	f.Add([]byte("\x1b[12;07Hgrub> "), `grub> `, `(?=x)`, uint16(8), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, p1, p2 string, window uint16, chunk uint8) {
		if len(data) > maxFuzzData {
			return
		}
		w := int(window)%20000 + 1
		c, err := New(&sliceConn{data: data, n: int(chunk)}, Options{Window: w, MaxRead: max(w/2, 1), StripANSI: chunk%2 == 1})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ctx := context.Background()
		for i := 0; i < 10000; i++ {
			m, err := c.Expect(ctx, []string{p1, p2}, 0)
			if len(c.buf) > w {
				t.Fatalf("window holds %d bytes > %d", len(c.buf), w)
			}
			if err != nil {
				if errors.Is(err, ErrTimeout) {
					t.Fatalf("Expect without a timeout timed out: %v", err)
				}
				return // EOF or bad pattern
			}
			if len(m.Before)+len(m.Text) > w {
				t.Fatalf("match spans %d bytes > window %d", len(m.Before)+len(m.Text), w)
			}
			if m.Text == "" {
				return // an empty match consumes nothing new: it would repeat
			}
		}
	})
}

// naiveSearch is the reference: every pattern over the whole window,
// earliest start wins, ties to the lower index.
func naiveSearch(buf []byte, ps []string) (int, []int) {
	best := -1
	var bloc []int
	for i, p := range ps {
		loc := regexpMust(p).FindSubmatchIndex(buf)
		if loc != nil && (best < 0 || loc[0] < bloc[0]) {
			best, bloc = i, loc
		}
	}
	return best, bloc
}

func regexpMust(p string) *regexpT { return regexpMustCompile(translate(p)) }

// FuzzSearchMatchesNaive checks the literal prefilter and anchored tries
// against naiveSearch.
func FuzzSearchMatchesNaive(f *testing.F) {
	f.Add("x <LAVA_SIGNAL_TESTCASE A=b> kernel BUG at 1 BUG: <LAVA_SIGNAL_X", `<LAVA_SIGNAL_(\S+) ([^>]+)>`, `(kernel BUG at|BUG:)`, `Oops(?: -|:)`)
	f.Add("aaab abab ba", `a+b`, `[ab]a`, `(ab)+`)
	f.Add("foo\nbar$ foo", `o$`, `(?m)o$`, `bar\b`)
	f.Add("Login: login:", `[Ll]ogin:`, `(?i)LOGIN`, `ogin`)
	f.Fuzz(func(t *testing.T, text, p1, p2, p3 string) {
		ps := []string{p1, p2, p3}
		res, err := compilePatterns(ps)
		if err != nil {
			return
		}
		c := &Console{buf: []byte(text)}
		m, ok := c.search(res)
		wi, wloc := naiveSearch([]byte(text), ps)
		if ok != (wi >= 0) {
			t.Fatalf("found=%v, naive found=%v (%d)", ok, wi >= 0, wi)
		}
		if !ok {
			return
		}
		if m.Index != wi || len(m.Before) != wloc[0] || len(m.Before)+len(m.Text) != wloc[1] {
			t.Fatalf("got pattern %d at %d..%d, naive %d at %v", m.Index, len(m.Before), len(m.Before)+len(m.Text), wi, wloc)
		}
		for g := range m.Groups {
			s, e := wloc[2*g+2], wloc[2*g+3]
			want := ""
			if s >= 0 {
				want = text[s:e]
			}
			if m.Groups[g] != want {
				t.Fatalf("group %d = %q, naive %q", g, m.Groups[g], want)
			}
		}
	})
}

// naiveRun is the reference pexpect loop: move maxRead bytes into the
// window, keep its last window bytes, search every pattern over all of it,
// consume to the end of the earliest match; until the data runs out.
func naiveRun(data []byte, ps []string, window, maxRead int) []string {
	var out []string
	var buf []byte
	for {
		if i, loc := naiveSearch(buf, ps); i >= 0 {
			out = append(out, fmt.Sprintf("%d %q %q", i, buf[:loc[0]], buf[loc[0]:loc[1]]))
			buf = buf[loc[1]:]
			if loc[1] == loc[0] {
				return out // empty match: would repeat
			}
			continue
		}
		if len(data) == 0 {
			return out
		}
		k := min(maxRead, len(data))
		buf = append(buf, data[:k]...)
		data = data[k:]
		if len(buf) > window {
			buf = buf[len(buf)-window:]
		}
	}
}

// FuzzExpectStream runs whole streams through Expect (window, chunks, the
// literal memo across searches) and compares with naiveRun.
func FuzzExpectStream(f *testing.F) {
	sig := "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=a RESULT=pass>\r\nnoise BUG: x\r\n"
	f.Add([]byte(strings.Repeat(sig, 40)+"<LAVA_TEST_RUNNER EXIT>"), `<LAVA_TEST_RUNNER EXIT>`, `<LAVA_SIGNAL_(\S+) ([^>]+)>`, `(kernel BUG at|BUG:)`, uint16(64), uint16(30), uint8(7))
	f.Add([]byte("aaa login: bbb # login: #"), `# `, `login:`, `[Ll]ogin`, uint16(8), uint16(3), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, p1, p2, p3 string, window, maxRead uint16, chunk uint8) {
		ps := []string{p1, p2, p3}
		if _, err := compilePatterns(ps); err != nil {
			return
		}
		w := int(window)%4096 + 1
		mr := int(maxRead)%w + 1
		if len(data) > maxFuzzData || (len(data)/mr+1)*w > 2<<20 {
			// (far below maxPending, where the reader would stop); naiveRun
			// searches the whole window at each step: bound its work too
			return
		}
		want := naiveRun(data, ps, w, mr)
		c, err := New(&sliceConn{data: data, n: int(chunk) + 1}, Options{Window: w, MaxRead: mr})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// naiveRun moves MaxRead bytes per step, as Expect does when the
		// reader is ahead of it; a reader behind it (a loaded machine, -race)
		// makes smaller steps and other windows. Let it read the whole stream.
		<-c.done // sliceConn ends: the reader stops at EOF
		expectAllAsNaive(t, c, ps, want)
	})
}

// expectAllAsNaive runs Expect with ps until the stream ends (or one match more than want has)
// and fails t unless the matches are want's, naiveRun's lines.
func expectAllAsNaive(t *testing.T, c *Console, ps []string, want []string) {
	t.Helper()
	var got []string
	for len(got) <= len(want) {
		m, err := c.Expect(context.Background(), ps, 0)
		if err != nil {
			if err.Error() != "Connection closed" {
				t.Fatal(err)
			}
			break
		}
		got = append(got, fmt.Sprintf("%d %q %q", m.Index, m.Before, m.Text))
		if m.Text == "" {
			break
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
