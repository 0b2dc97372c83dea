package pipeline

import (
	"testing"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// The YAML printer's scalars read back as the same strings.
func FuzzYAMLScalar(f *testing.F) {
	for _, s := range []string{"1", "1.2", "1.1.3", "", "yes", "a: b", "http://x/y?z=1", "1:20", "'q'", "#x", "- x", "~", "0x1f", "1_000", "a #b", "x\ny", "null", "  x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		b := append([]byte("k: "), appendScalar(nil, s)...)
		var got map[string]string
		if err := yaml.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q: %v", b, err)
		}
		if got["k"] != s {
			t.Fatalf("%q read back as %q", s, got["k"])
		}
	})
}
