package lavaversion

import (
	"strings"
	"testing"

	"github.com/lavacore/lavacore/sdk"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in, want, err string
	}{
		{"", Default, ""},
		{"2023.01", "2023.01", ""},
		{"2023.05.1", "2023.05", ""},
		{" 2026.08 ", "2026.08", ""},
		{"2026.8", "", "not a LAVA release"},
		{"26.08", "", "not a LAVA release"},
		{"2026.13", "", "not a LAVA release"},
		{"head", "", "not a LAVA release"},
		{"2026.08.x", "", "not a LAVA release"},
	}
	for _, c := range cases {
		v, err := Parse(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Parse(%q) = %v, %v; want an error with %q", c.in, v, err, c.err)
			}
			continue
		}
		if err != nil || v.String() != c.want {
			t.Errorf("Parse(%q) = %v, %v; want %s", c.in, v, err, c.want)
		}
	}
}

func overlay() sdk.ActionSpec {
	return sdk.ActionSpec{Name: "tftp-deploy", Children: []sdk.ActionSpec{
		{Name: "lava-overlay", Children: []sdk.ActionSpec{
			{Name: "ssh-authorize"}, {Name: "lava-vland-overlay"}, {Name: "lava-multinode-overlay"},
			{Name: "test-definition"}, {Name: "compress-overlay"},
		}},
	}}
}

func names(s sdk.ActionSpec) []string {
	var out []string
	for _, c := range s.Children[0].Children {
		out = append(out, c.Name)
	}
	return out
}

// The founding document's release keeps lava-vland-overlay (a guest's
// overlay at 1.1.5); the VLANd drop's release and later lose it (1.1.4).
func TestApply_VLANdDrop(t *testing.T) {
	cases := []struct {
		version string
		want    string
	}{
		{"", "ssh-authorize lava-vland-overlay lava-multinode-overlay test-definition compress-overlay"},
		{"2026.05", "ssh-authorize lava-vland-overlay lava-multinode-overlay test-definition compress-overlay"},
		{"2026.06", "ssh-authorize lava-multinode-overlay test-definition compress-overlay"},
		{"2026.08", "ssh-authorize lava-multinode-overlay test-definition compress-overlay"},
	}
	for _, c := range cases {
		in := overlay()
		got, err := ForRequest(sdk.Request{Dispatcher: sdk.Dispatcher{LavaVersion: c.version}}, in)
		if err != nil {
			t.Fatal(err)
		}
		if g := strings.Join(names(got), " "); g != c.want {
			t.Errorf("%q: %s, want %s", c.version, g, c.want)
		}
		if len(in.Children[0].Children) != 5 {
			t.Errorf("%q: Apply modified its argument", c.version)
		}
	}
}

// Every row cites its LAVA change and is in release order.
func TestChangesCiteLAVA(t *testing.T) {
	prev := Version{}
	for _, c := range Changes() {
		if !strings.Contains(c.LAVA, "Linaro/lava ") || c.What == "" || c.Apply == nil {
			t.Errorf("row %v: LAVA %q, What %q", c.Since, c.LAVA, c.What)
		}
		if c.Since.Before(prev) {
			t.Errorf("row %v is before %v", c.Since, prev)
		}
		prev = c.Since
	}
}
