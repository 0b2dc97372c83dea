package console

import (
	"regexp/syntax"
	"testing"

	"github.com/lavacore/lavacore/sdk/overlay/signals"
)

func TestStopByte(t *testing.T) {
	tests := []struct {
		expr string
		s    byte
		n    int
		ok   bool
	}{
		{signals.Pattern, '>', 2, true},              // <LAVA_MULTI_NODE> <LAVA_…>
		{`<LAVA_SIGNAL_(\S+) ([^>]+)>`, 0, 0, false}, // \S+ repeats what [^>]+ does not
		{`login:`, '\n', 0, true},                    // no \n in it
		{`a(?:b>|c>d>){2,3}`, '\n', 0, true},         // '\n' first among equals
		{`(?s).*`, 0, 0, false},                      // every byte repeats
		{`x[^>]*>$`, 0, 0, false},                    // an assertion
		{`(?i)k+`, '\n', 0, true},                    // K, k and the Kelvin sign repeat; \n does not
	}
	for _, tt := range tests {
		s, n, ok := stopByte(tt.expr)
		if ok != tt.ok || (ok && (s != tt.s || n != tt.n)) {
			t.Errorf("%q: %q %d %v, want %q %d %v", tt.expr, s, n, ok, tt.s, tt.n, tt.ok)
		}
	}
	if n := maxCount(mustParse(t, `(?i)k`), 'K'); n != 1 {
		t.Errorf("(?i)k holds %d K, want 1", n)
	}
	if n := maxCount(mustParse(t, `a>{2,5}(?:>|b)`), '>'); n != 6 {
		t.Errorf("a>{2,5}(?:>|b) holds %d '>', want 6", n)
	}
}

// boundEnd cuts before the (n+1)th stop byte.
func TestBoundEnd(t *testing.T) {
	b := []byte("<a> <b> <c>")
	for _, tt := range []struct{ q, n, want int }{{0, 0, 2}, {0, 1, 6}, {0, 2, 10}, {0, 3, 11}, {4, 0, 6}} {
		if got := boundEnd(b, tt.q, '>', tt.n); got != tt.want {
			t.Errorf("boundEnd(q=%d, n=%d) = %d, want %d", tt.q, tt.n, got, tt.want)
		}
	}
}

func mustParse(t *testing.T, expr string) *syntax.Regexp {
	t.Helper()
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		t.Fatal(err)
	}
	return re.Simplify()
}
