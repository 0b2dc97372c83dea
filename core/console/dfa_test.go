package console

import (
	"regexp"
	"testing"

	"github.com/lavacore/lavacore/sdk/overlay/signals"
)

// dfaAgrees checks the DFA's answer on text against regexp's FindIndex of
// \A(?:expr) (skipped when the DFA does not cover the text).
func dfaAgrees(t *testing.T, d *asciiDFA, expr, text string) {
	t.Helper()
	got := d.run([]byte(text))
	if got == dfaUnknown {
		return
	}
	want := dfaNone
	if loc := regexp.MustCompile(`\A(?:` + expr + `)`).FindStringIndex(text); loc != nil {
		want = loc[1]
	}
	if got != want {
		t.Fatalf("%q on %q: DFA %d, regexp %d", expr, text, got, want)
	}
}

func TestASCIIDFA_LeftmostFirstAsRegexp(t *testing.T) {
	tests := []struct {
		expr  string
		texts []string
	}{
		{signals.Pattern, []string{
			"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=a RESULT=pass>", "<LAVA_MULTI_NODE> <LAVA_SEND a b=c>",
			"<LAVA_MULTI_NODE>", "<LAVA_MULTI_NODE> x>", "<LAVA_MULTI_NODEX>", "<LAVA_MULTI>", "<LAVA_>", "<LAVA_M",
			"<LAVA_TEST_RUNNER EXIT>\r\n", "<LAVA_SIGNAL_X\r\n noise > more>",
		}},
		{`a|ab`, []string{"ab", "a", "b"}},          // first alternative wins though shorter
		{`ab|a`, []string{"ab", "ac"}},              // longer first
		{`a*?b|a+`, []string{"aaab", "aaa", "b"}},   // non-greedy
		{`(a+)(b*)c|a`, []string{"aabbc", "aabb"}},  // falls back to the second
		{`x(?:y|yz)*w`, []string{"xyzyw", "xyyzw"}}, // loops through alternations
		{`(?i)login:|Password`, []string{"LOGIN:", "Password", "password"}},
		{`.+>`, []string{"abc>def>", "abc\n>", ">"}}, // . stops at \n
		{`(?s).+>`, []string{"abc\n>x>"}},
		{`[^\x00-\x7f]+|a`, []string{"a", "é"}},
	}
	for _, tt := range tests {
		d := newASCIIDFA(tt.expr)
		if d == nil {
			t.Fatalf("%q: no DFA", tt.expr)
		}
		for _, text := range tt.texts {
			dfaAgrees(t, d, tt.expr, text)
		}
	}
}

func TestASCIIDFA_NoneForAssertionsOrSize(t *testing.T) {
	for _, expr := range []string{`a$`, `(?m)^a`, `a\b`, `\Aa`, `a\z`, `(?s).*a[ab]{10}`} {
		if newASCIIDFA(expr) != nil {
			t.Errorf("%q: a DFA, want none", expr)
		}
	}
}

// The DFA stops at a byte it does not cover: non-ASCII text goes to the
// regexp.
func TestASCIIDFA_UnknownAtNonASCII(t *testing.T) {
	d := newASCIIDFA(`<[^>]*>`)
	if got := d.run([]byte("<é>")); got != dfaUnknown {
		t.Fatalf("got %d, want dfaUnknown", got)
	}
	if got := d.run([]byte("<a>é")); got != 3 {
		t.Fatalf("got %d, want 3 (the match ends before the byte)", got)
	}
}

// FuzzASCIIDFA compares the DFA with regexp on any pattern and text; it
// waits on no clock.
func FuzzASCIIDFA(f *testing.F) {
	f.Add(signals.Pattern, "<LAVA_MULTI_NODE> <LAVA_SEND a>")
	f.Add(`(a|ab)(c|bcd)(d*)`, "abcd")
	f.Add(`a*?b|a+?`, "aaab")
	f.Fuzz(func(t *testing.T, expr, text string) {
		if len(expr) > 200 || len(text) > 1000 {
			return
		}
		if _, err := regexp.Compile(`\A(?:` + expr + `)`); err != nil {
			return // (\Q quotes the rest: Expect has no anchored form of it either)
		}
		if d := newASCIIDFA(expr); d != nil {
			dfaAgrees(t, d, expr, text)
		}
	})
}
