package console

import (
	"math/rand"
	"testing"
)

func TestSimpleMatcherShapes(t *testing.T) {
	for p, want := range map[string]bool{
		`<LAVA_SIGNAL_(\S+) ([^>]+)>`: true,
		`<LAVA_TEST_RUNNER EXIT>`:     true,
		`root@lava:~# `:               true,
		`x[0-9]+`:                     true,
		`a(.+)`:                       true,
		`<(\w+)>`:                     true,
		`a(b*)c`:                      true,
		`a.*b`:                        false, // b is in .: greedy gives back
		`a\S+ \S+`:                    true,
		`a\S+\d+`:                     false, // class after class
		`(?i)login`:                   false,
		`a+?b`:                        false,
		`^root`:                       false,
		`a(b|c)`:                      false,
	} {
		if got := newSimpleMatcher(p) != nil; got != want {
			t.Errorf("%q: simple = %v, want %v", p, got, want)
		}
	}
}

// The simple matcher agrees with Go's regexp on random texts.
func TestSimpleMatcherAgrees(t *testing.T) {
	pats := []string{`<LAVA_SIGNAL_(\S+) ([^>]+)>`, `x[0-9]+`, `a(.+)`, `<(\w+)>`, `a(b*)c`, `é(\S+) `, `a(.*)`, `z[^z]*`}
	alphabet := []string{"<", ">", "a", "b", "c", "x", "z", "1", " ", "\n", "\r", "é", "\xff", "\xc3", "LAVA_SIGNAL_", "<LAVA_SIGNAL_", "_"}
	r := rand.New(rand.NewSource(7))
	for i := 0; i < 20000; i++ {
		var text []byte
		for n := r.Intn(30); n > 0; n-- {
			text = append(text, alphabet[r.Intn(len(alphabet))]...)
		}
		p := pats[r.Intn(len(pats))]
		res, _ := compilePatterns([]string{p})
		if res[0].simple == nil {
			t.Fatalf("%q is not simple", p)
		}
		c := &Console{buf: text}
		m, ok := c.search(res)
		wi, wloc := naiveSearch(text, []string{p})
		if ok != (wi >= 0) || ok && (len(m.Before) != wloc[0] || len(m.Before)+len(m.Text) != wloc[1]) {
			t.Fatalf("%q on %q: got %v %q/%q, want %v", p, text, ok, m.Before, m.Text, wloc)
		}
		for g := range m.Groups {
			want := ""
			if wloc[2*g+2] >= 0 {
				want = string(text[wloc[2*g+2]:wloc[2*g+3]])
			}
			if m.Groups[g] != want {
				t.Fatalf("%q on %q: group %d %q, want %q", p, text, g, m.Groups[g], want)
			}
		}
	}
}
