package console

import (
	"errors"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"

	"github.com/lavacore/lavacore/sdk"
)

type pattern struct {
	src    string
	re     *regexp.Regexp
	starts []string       // every match begins with one of these (nil: unknown)
	anch   *regexp.Regexp // \A(?:re): tries one start only (one-pass when it can)
	simple *simpleMatcher // exact one-pass matcher for simple shapes, or nil
	dfa    *asciiDFA      // otherwise an anchored DFA over ASCII (dfa.go), or nil
	lits   [][]byte       // starts as bytes
	maxLit int            // longest of starts
	stop   byte           // no match holds more than stopN of this byte (bound.go)
	stopN  int            // -1: no such byte
}

const maxCache = 1024

var (
	cacheMu sync.Mutex
	cache   = map[string]*pattern{}
)

func compilePatterns(ps []string) ([]*pattern, error) {
	if len(ps) == 0 {
		return nil, sdk.TestErrorf("expect: no patterns to wait for")
	}
	out := make([]*pattern, len(ps))
	for i, p := range ps {
		c, err := compilePattern(p, i)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

func compilePattern(p string, i int) (*pattern, error) {
	cacheMu.Lock()
	c, ok := cache[p]
	cacheMu.Unlock()
	if ok {
		return c, nil
	}
	re, err := regexp.Compile(translate(p))
	if err != nil {
		hint := ""
		var se *syntax.Error
		if errors.As(err, &se) && (se.Code == syntax.ErrInvalidPerlOp || se.Code == syntax.ErrInvalidEscape ||
			strings.Contains(p, "(?<=") || strings.Contains(p, "(?<!")) {
			hint = " (patterns are Go RE2: no look-around (?=…) (?!…) (?<=…) (?<!…), no back-references \\1 (?P=name))"
		}
		return nil, sdk.TestErrorf("invalid expect pattern %d %q: %v%s", i, p, err, hint)
	}
	c = &pattern{src: p, re: re, starts: startLiterals(translate(p)), stopN: -1}
	if c.starts != nil {
		c.simple = newSimpleMatcher(translate(p))
		if c.simple == nil {
			c.dfa = newASCIIDFA(translate(p))
		}
		for _, l := range c.starts {
			c.lits = append(c.lits, []byte(l))
			c.maxLit = max(c.maxLit, len(l))
		}
		if c.anch, err = regexp.Compile(`\A(?:` + translate(p) + `)`); err != nil {
			c.starts = nil
		}
		if s, n, ok := stopByte(translate(p)); ok {
			c.stop, c.stopN = s, n
		}
	}
	cacheMu.Lock()
	if len(cache) >= maxCache {
		clear(cache)
	}
	cache[p] = c
	cacheMu.Unlock()
	return c, nil
}

// translate rewrites the few Python re spellings RE2 lacks but can express:
// \Z (end of text) becomes \z.
func translate(p string) string {
	if !strings.Contains(p, `\Z`) {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' && i+1 < len(p) {
			if p[i+1] == 'Z' {
				b.WriteString(`\z`)
			} else {
				b.WriteByte(p[i])
				b.WriteByte(p[i+1])
			}
			i++
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}
