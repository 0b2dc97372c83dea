package console

import (
	"bytes"
	"regexp/syntax"
	"unicode/utf8"
)

// simpleMatcher matches, at a given start, patterns that are a plain
// sequence of literals and repeated character classes where each
// repetition is followed by a literal whose first rune it cannot match (or
// ends the pattern): e.g. <LAVA_SIGNAL_(\S+) ([^>]+)>. For those, greedy
// repetition never gives back, so one left-to-right pass finds exactly the
// match Go's regexp finds, without its backtracking machinery.
type simpleMatcher struct {
	items []simpleItem
	ncap  int // capture groups (NumSubexp)
}

type simpleItem struct {
	lit   []byte // a literal, or
	class []rune // a class (rune ranges, as syntax.Regexp.Rune)
	ascii [128]bool
	min   int // 0 (star) or 1 (plus)
	stop  int // the class is every rune but this ASCII byte ([^>], .), or -1
	cap   int // capture group index (1-based) around the repetition, or 0
}

func (it *simpleItem) has(r rune) bool {
	if r < 128 {
		return it.ascii[r]
	}
	for i := 0; i+1 < len(it.class); i += 2 {
		if r >= it.class[i] && r <= it.class[i+1] {
			return true
		}
	}
	return false
}

// newSimpleMatcher returns nil when expr is not of the supported shape.
func newSimpleMatcher(expr string) *simpleMatcher {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	re = re.Simplify()
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		subs = re.Sub
	}
	m := &simpleMatcher{ncap: re.MaxCap()}
	for _, s := range subs {
		capIdx := 0
		if s.Op == syntax.OpCapture {
			capIdx, s = s.Cap, s.Sub[0]
			if s.Op != syntax.OpPlus && s.Op != syntax.OpStar {
				return nil
			}
		}
		switch s.Op {
		case syntax.OpLiteral:
			if s.Flags&syntax.FoldCase != 0 {
				return nil
			}
			m.items = append(m.items, simpleItem{lit: []byte(string(s.Rune))})
		case syntax.OpPlus, syntax.OpStar:
			if s.Flags&syntax.NonGreedy != 0 {
				return nil
			}
			it := simpleItem{cap: capIdx, stop: -1}
			if s.Op == syntax.OpPlus {
				it.min = 1
			}
			switch c := s.Sub[0]; c.Op {
			case syntax.OpCharClass:
				it.class = c.Rune
			case syntax.OpLiteral:
				if len(c.Rune) != 1 || c.Flags&syntax.FoldCase != 0 {
					return nil
				}
				it.class = []rune{c.Rune[0], c.Rune[0]}
			case syntax.OpAnyCharNotNL:
				it.class = []rune{0, '\n' - 1, '\n' + 1, utf8.MaxRune}
			case syntax.OpAnyChar:
				it.class = []rune{0, utf8.MaxRune}
			default:
				return nil
			}
			if c := it.class; len(c) == 4 && c[0] == 0 && c[3] == utf8.MaxRune && c[2] == c[1]+2 && c[1]+1 < utf8.RuneSelf {
				// No byte of a multi-byte (or invalid) sequence is ASCII:
				// the repetition runs to the first stop byte.
				it.stop = int(c[1] + 1)
			}
			for r := rune(0); r < 128; r++ {
				for i := 0; i+1 < len(it.class); i += 2 {
					if r >= it.class[i] && r <= it.class[i+1] {
						it.ascii[r] = true
					}
				}
			}
			m.items = append(m.items, it)
		default:
			return nil
		}
	}
	if len(m.items) == 0 || m.items[0].lit == nil {
		return nil
	}
	// Each repetition must be followed by a literal it cannot eat, or end the pattern.
	for i, it := range m.items {
		if it.lit != nil {
			continue
		}
		if i+1 == len(m.items) {
			continue
		}
		next := m.items[i+1]
		if next.lit == nil {
			return nil
		}
		r, _ := utf8.DecodeRune(next.lit)
		if it.has(r) {
			return nil
		}
	}
	return m
}

// matchAt returns the match starting at q, as FindSubmatchIndex on b
// would report it (absolute offsets), or nil. It fills and returns loc
// when loc is long enough (2+2*ncap), else a new slice.
func (m *simpleMatcher) matchAt(b []byte, q int, loc []int) []int {
	if n := 2 + 2*m.ncap; len(loc) < n {
		loc = make([]int, n)
	} else {
		loc = loc[:n]
	}
	for i := range loc {
		loc[i] = -1
	}
	loc[0] = q
	p := q
	for _, it := range m.items {
		if it.lit != nil {
			if len(b)-p < len(it.lit) || string(b[p:p+len(it.lit)]) != string(it.lit) {
				return nil
			}
			p += len(it.lit)
			continue
		}
		start, n := p, 0
		if it.stop >= 0 {
			if i := bytes.IndexByte(b[p:], byte(it.stop)); i >= 0 {
				p += i
			} else {
				p = len(b)
			}
			n = p - start // runes or not, only n < min matters
		}
		for it.stop < 0 && p < len(b) {
			r, w := rune(b[p]), 1
			if r >= utf8.RuneSelf {
				r, w = utf8.DecodeRune(b[p:])
			}
			if !it.has(r) {
				break
			}
			p += w
			n++
		}
		if n < it.min {
			return nil
		}
		if it.cap > 0 {
			loc[2*it.cap], loc[2*it.cap+1] = start, p
		}
	}
	loc[1] = p
	return loc
}
