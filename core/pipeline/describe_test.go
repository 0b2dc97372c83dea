package pipeline

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
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

// The printer and yaml.v3 agree on LAVA's own descriptions.
func TestYAMLRoundTrip(t *testing.T) {
	for _, name := range []string{"mustang-grub-efi-nfs.yaml", "ssh-guest.yaml", "download.yaml", "juno-uefi-nfs.yaml"} {
		ref := loadRef(t, name)
		var buf bytes.Buffer
		if err := WriteYAML(&buf, ref); err != nil {
			t.Fatal(err)
		}
		var back []Description
		if err := yaml.Unmarshal(buf.Bytes(), &back); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(ref, back); d != "" {
			t.Errorf("%s: (-ref +printed):\n%s", name, d)
		}
	}
}

func TestWriteDescription(t *testing.T) {
	subs := seedSubJobs(t)
	p, err := Build(subs[0].Job, subs[0].Device, builtinRegistry(), testDisp)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := p.WriteDescription(&buf); err != nil {
		t.Fatal(err)
	}
	var doc struct{ Pipeline []Description }
	if err := yaml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(p.Describe(), doc.Pipeline); d != "" {
		t.Error(d)
	}
}
