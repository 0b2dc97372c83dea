package report

import (
	"strconv"
	"strings"
)

// screen is a fake terminal: it runs the output of a View (printable text,
// "\n", "\r", ESC[nA, ESC[J and SGR colours) and shows what a person would
// see, colours as {31}…{0} before the character they apply to.
type screen struct {
	lines    [][]cell
	row, col int
	pending  string // SGR tags for the next character
	bad      []string
}

type cell struct {
	pre string
	ch  rune
}

func (s *screen) Write(p []byte) (int, error) {
	str := string(p)
	for i := 0; i < len(str); {
		r := rune(str[i])
		switch {
		case r == 0x1b:
			j := i + 1
			if j < len(str) && str[j] == '[' {
				j++
				for j < len(str) && (str[j] == ';' || str[j] == '?' || (str[j] >= '0' && str[j] <= '9')) {
					j++
				}
				if j < len(str) {
					s.csi(str[i+2:j], str[j])
					i = j + 1
					continue
				}
			}
			s.bad = append(s.bad, strconv.Quote(str[i:min(i+8, len(str))]))
			i++
		case r == '\n':
			if s.pending != "" { // colours reset at the end of a line
				s.put(0)
			}
			s.row++
			s.col = 0
			i++
		case r == '\r':
			s.col = 0
			i++
		case r < 0x20 && r != '\t':
			s.bad = append(s.bad, strconv.QuoteRune(r))
			i++
		default:
			ru, n := []rune(str[i:])[0], len(string([]rune(str[i:])[0]))
			s.put(ru)
			i += n
		}
	}
	return len(p), nil
}

func (s *screen) csi(params string, final byte) {
	n, err := strconv.Atoi(params)
	if err != nil {
		n = 1
	}
	switch final {
	case 'A':
		s.row = max(s.row-n, 0)
	case 'J':
		s.grow()
		s.lines[s.row] = s.lines[s.row][:min(s.col, len(s.lines[s.row]))]
		s.lines = s.lines[:s.row+1]
	case 'm':
		s.pending += "{" + params + "}"
	default:
		s.bad = append(s.bad, "CSI "+params+string(final))
	}
}

func (s *screen) grow() {
	for len(s.lines) <= s.row {
		s.lines = append(s.lines, nil)
	}
}

func (s *screen) put(r rune) {
	s.grow()
	l := s.lines[s.row]
	for len(l) < s.col {
		l = append(l, cell{ch: ' '})
	}
	c := cell{pre: s.pending, ch: r}
	s.pending = ""
	if s.col < len(l) {
		l[s.col] = c
	} else {
		l = append(l, c)
	}
	s.lines[s.row] = l
	s.col++
}

// String is the screen, a "█" where the cursor is when it is not at the
// start of an empty last line.
func (s *screen) String() string {
	var b strings.Builder
	for i, l := range s.lines {
		for _, c := range l {
			b.WriteString(c.pre)
			if c.ch != 0 {
				b.WriteRune(c.ch)
			}
		}
		if i == s.row && s.col > 0 {
			b.WriteString("█")
		}
		if i < len(s.lines)-1 || i < s.row {
			b.WriteByte('\n')
		}
	}
	b.WriteString(s.pending)
	return b.String()
}
