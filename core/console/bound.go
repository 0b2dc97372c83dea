package console

import (
	"bytes"
	"regexp/syntax"
	"unicode"
)

// Bounding an anchored try.
//
// Go's regexp runs a pattern that is not one-pass with its backtracker only
// on short inputs (the bit set of visited states grows with program size ×
// input length), and with the slower NFA otherwise: an anchored try of a
// large pattern (the test shell's signals.Pattern, an alternation) over
// the rest of an 8 KiB window runs the NFA, although its match ends at the
// next '>' or the one after. When no match of a pattern can hold more than
// n occurrences of some ASCII byte s, every match starting at q ends before
// the (n+1)th s after q; the pattern has no assertion (^ $ \b \B \A \z)
// that could look at the end of the input; so trying it on b[q:] up to that
// s finds every match it would find on b[q:], and, its paths being tried
// in the same order, the same one.

// unbounded is a count no match can reach: the byte may repeat freely.
const unbounded = 1 << 30

// stopByte returns an ASCII byte and the most occurrences of it any match
// of expr can hold, the fewest over all bytes ('\n' first among equals), or
// ok false when every byte may repeat freely or expr has an assertion.
func stopByte(expr string) (s byte, n int, ok bool) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return 0, 0, false
	}
	re = re.Simplify()
	if hasAssertion(re) {
		return 0, 0, false
	}
	best := unbounded
	for _, c := range append([]byte{'\n'}, asciiBytes()...) {
		if k := maxCount(re, rune(c)); k < best {
			s, best = c, k
		}
	}
	return s, best, best < unbounded
}

func asciiBytes() []byte {
	b := make([]byte, 0, 128)
	for c := 0; c < 128; c++ {
		b = append(b, byte(c))
	}
	return b
}

func hasAssertion(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	}
	for _, s := range re.Sub {
		if hasAssertion(s) {
			return true
		}
	}
	return false
}

// maxCount is the most occurrences of the ASCII rune c in a match of re
// (unbounded: any number).
func maxCount(re *syntax.Regexp, c rune) int {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpNoMatch:
		return 0
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			if r == c || (re.Flags&syntax.FoldCase != 0 && equalFold(r, c)) {
				n++
			}
		}
		return n
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if c >= re.Rune[i] && c <= re.Rune[i+1] {
				return 1
			}
		}
		return 0
	case syntax.OpAnyCharNotNL:
		if c == '\n' {
			return 0
		}
		return 1
	case syntax.OpAnyChar:
		return 1
	case syntax.OpCapture, syntax.OpQuest:
		return maxCount(re.Sub[0], c)
	case syntax.OpStar, syntax.OpPlus:
		if maxCount(re.Sub[0], c) == 0 {
			return 0
		}
		return unbounded
	case syntax.OpRepeat:
		k := maxCount(re.Sub[0], c)
		switch {
		case k == 0:
			return 0
		case re.Max < 0 || k >= unbounded:
			return unbounded
		}
		return min(k*re.Max, unbounded)
	case syntax.OpConcat:
		n := 0
		for _, s := range re.Sub {
			n = min(n+maxCount(s, c), unbounded)
		}
		return n
	case syntax.OpAlternate:
		n := 0
		for _, s := range re.Sub {
			n = max(n, maxCount(s, c))
		}
		return n
	}
	return unbounded // anything else: assume the worst
}

// equalFold reports whether r and c are the same letter under simple case folding.
func equalFold(r, c rune) bool {
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f == c {
			return true
		}
	}
	return false
}

// boundEnd returns the end of the input an anchored try at q needs: before
// the (n+1)th s at or after q, or len(b).
func boundEnd(b []byte, q int, s byte, n int) int {
	p := q
	for k := 0; k <= n; k++ {
		i := bytes.IndexByte(b[p:], s)
		if i < 0 {
			return len(b)
		}
		if k == n {
			return p + i
		}
		p += i + 1
	}
	return len(b)
}
