package safejoin

import (
	"errors"
	"path/filepath"
	"testing"
)

func TestJoin_RefusesEscapes(t *testing.T) {
	base := filepath.FromSlash("/work/out")
	tests := []struct {
		name, rel string
		want      error
	}{
		{"parent", "../x.yaml", ErrDotDot},
		{"deep parent", "../../etc/passwd", ErrDotDot},
		{"parent in the middle", "a/../../x", ErrDotDot},
		{"parent that comes back", "a/../b", ErrDotDot},
		{"dot dot alone", "..", ErrDotDot},
		{"absolute", "/etc/shadow", ErrAbsolute},
		{"nul", "a\x00b", ErrNUL},
		{"empty", "", ErrEmpty},
		{"dot", ".", ErrEmpty},
		{"dot slash", "./", ErrEmpty},
		{"backslash parent", `..\x`, ErrBackslash},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Join(base, tc.rel)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Join(%q, %q) = %q, %v; want %v", base, tc.rel, p, err, tc.want)
			}
		})
	}
}

func TestJoin_KeepsInside(t *testing.T) {
	base := filepath.FromSlash("/work/out")
	for rel, want := range map[string]string{
		"x.yaml":          "/work/out/x.yaml",
		"inline/a.yaml":   "/work/out/inline/a.yaml",
		"./a//b/./c.yaml": "/work/out/a/b/c.yaml",
		"..foo/bar..":     "/work/out/..foo/bar..",
		"0_..":            "/work/out/0_..",
	} {
		p, err := Join(base, rel)
		if err != nil || p != filepath.FromSlash(want) {
			t.Errorf("Join(%q) = %q, %v; want %q", rel, p, err, want)
		}
	}
}

func TestDeviceDir_ResultsDirEscape(t *testing.T) {
	root := filepath.FromSlash("/work/overlay-1")
	bad := map[string]error{
		"/../../tmp/X-1": ErrDotDot,
		"/lava/../../x":  ErrDotDot,
		"lava-1":         ErrRelative,
		"":               ErrEmpty,
		"/":              ErrEmpty,
		"//":             ErrEmpty,
		"/lava\x00":      ErrNUL,
	}
	for p, want := range bad {
		if got, err := DeviceDir(root, p); !errors.Is(err, want) {
			t.Errorf("DeviceDir(%q) = %q, %v; want %v", p, got, err, want)
		}
	}
	for p, want := range map[string]string{
		"/lava-1":                "/work/overlay-1/lava-1",
		"/data/local/tmp/lava-1": "/work/overlay-1/data/local/tmp/lava-1",
		"//var//lib/./lava-1/":   "/work/overlay-1/var/lib/lava-1",
	} {
		got, err := DeviceDir(root, p)
		if err != nil || got != filepath.FromSlash(want) {
			t.Errorf("DeviceDir(%q) = %q, %v; want %q", p, got, err, want)
		}
	}
}

func TestWithin(t *testing.T) {
	for _, tc := range []struct {
		base, p string
		want    bool
	}{
		{"/a", "/a", true},
		{"/a", "/a/b", true},
		{"/a", "/ab", false},
		{"/a", "/", false},
		{"/a/b", "/a/b/../c", false},
		{"/a", "/a/..b", true},
	} {
		if got := Within(tc.base, tc.p); got != tc.want {
			t.Errorf("Within(%q, %q) = %v", tc.base, tc.p, got)
		}
	}
}
