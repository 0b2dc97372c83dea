package console

import (
	"bytes"
	"regexp/syntax"
	"unicode/utf8"
)

// maxStarts bounds the literal set of one pattern.
const maxStarts = 16

// startLiterals returns literals such that every match of the pattern
// begins with one of them, or nil when there is no such small set (case
// folding, a leading assertion, class or repetition, …). With them a search
// can skip to the first occurrence (bytes.Index, much faster than the regexp
// engine) and run the regexp from there: a match that begins with a
// consumed literal sees no context before its start, so searching buf[q:]
// finds what searching buf would find from q.
func startLiterals(expr string) []string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	lits, ok := firstLits(re.Simplify())
	if !ok || len(lits) == 0 {
		return nil
	}
	for _, l := range lits {
		if l == "" || !utf8.ValidString(l) {
			return nil
		}
	}
	return lits
}

func firstLits(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 || len(re.Rune) == 0 {
			return nil, false
		}
		return []string{string(re.Rune)}, true
	case syntax.OpCapture:
		return firstLits(re.Sub[0])
	case syntax.OpConcat:
		if len(re.Sub) == 0 {
			return nil, false
		}
		return firstLits(re.Sub[0])
	case syntax.OpPlus:
		return firstLits(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min < 1 {
			return nil, false
		}
		return firstLits(re.Sub[0])
	case syntax.OpAlternate:
		var out []string
		for _, s := range re.Sub {
			l, ok := firstLits(s)
			if !ok {
				return nil, false
			}
			out = append(out, l...)
			if len(out) > maxStarts {
				return nil, false
			}
		}
		return out, true
	case syntax.OpCharClass:
		// A small class of single runes, e.g. [Ll]ogin.
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				out = append(out, string(r))
				if len(out) > maxStarts {
					return nil, false
				}
			}
		}
		return out, len(out) > 0
	}
	return nil, false
}

// firstIndex returns the first position < limit where one of lits occurs in b, or -1.
func firstIndex(b []byte, lits [][]byte, limit int) int {
	best := -1
	for _, l := range lits {
		end := limit + len(l) - 1
		if best >= 0 {
			end = best + len(l) - 1 // only earlier occurrences matter now
		}
		if end > len(b) {
			end = len(b)
		}
		if i := bytes.Index(b[:end], l); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	return best
}
