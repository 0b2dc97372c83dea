// Package safejoin joins job-supplied names and paths onto a directory without
// letting them leave it. Every place the dispatcher turns a value from a job
// file (a test definition's path or name, lava_test_results_dir, a role name …)
// into a path on its own filesystem goes through Join or DeviceDir; job
// validation uses Rel and Device to say why a value is refused.
//
// The checks are lexical: they do not follow symlinks (a directory the
// dispatcher builds itself holds none that a job value could name).
package safejoin

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"
)

// Reasons a path is refused (wrapped in the errors of this package).
var (
	ErrEmpty     = errors.New("empty path")
	ErrAbsolute  = errors.New("absolute path")
	ErrDotDot    = errors.New(`".." component`)
	ErrNUL       = errors.New("NUL byte")
	ErrRelative  = errors.New("relative path")
	ErrBackslash = errors.New("backslash")
)

// Rel checks that rel is a relative, slash-separated path that stays below
// the directory it is joined to: not empty, not absolute, no ".." component,
// no NUL byte and no backslash (a Windows separator some tools honour).
// "." components and repeated slashes are allowed (path.Clean removes them).
func Rel(rel string) error {
	switch {
	case rel == "":
		return ErrEmpty
	case strings.ContainsRune(rel, 0):
		return ErrNUL
	case strings.HasPrefix(rel, "/") || filepath.IsAbs(rel):
		return ErrAbsolute
	case strings.ContainsRune(rel, '\\'):
		return ErrBackslash
	}
	for _, c := range strings.Split(rel, "/") {
		if c == ".." {
			return ErrDotDot
		}
	}
	if c := path.Clean(rel); c == "." {
		return ErrEmpty
	}
	return nil
}

// Device checks an absolute path on a device (lava_test_results_dir): it
// starts with "/", has no ".." component and no NUL byte.
func Device(p string) error {
	switch {
	case p == "":
		return ErrEmpty
	case strings.ContainsRune(p, 0):
		return ErrNUL
	case !strings.HasPrefix(p, "/"):
		return ErrRelative
	case strings.ContainsRune(p, '\\'):
		return ErrBackslash
	}
	for _, c := range strings.Split(p, "/") {
		if c == ".." {
			return ErrDotDot
		}
	}
	if path.Clean(p) == "/" {
		return ErrEmpty
	}
	return nil
}

// Join returns base joined with the relative path rel, or an error when rel
// could leave base (see Rel). The result is always below base.
func Join(base, rel string) (string, error) {
	if err := Rel(rel); err != nil {
		return "", fmt.Errorf("%q: %w", rel, err)
	}
	p := filepath.Join(base, filepath.FromSlash(path.Clean(rel)))
	if !Within(base, p) || filepath.Clean(base) == p {
		return "", fmt.Errorf("%q: %w", rel, ErrDotDot) // not reachable after Rel; kept as the last word
	}
	return p, nil
}

// DeviceDir returns where the absolute device path p lives inside root, a
// directory that maps to / on the device (the overlay's tree), or an error
// when p is not an absolute device path below / (see Device).
func DeviceDir(root, p string) (string, error) {
	if err := Device(p); err != nil {
		return "", fmt.Errorf("%q: %w", p, err)
	}
	return Join(root, strings.TrimLeft(path.Clean(p), "/"))
}

// Within reports whether p is base or below it (lexically).
func Within(base, p string) bool {
	rel, err := filepath.Rel(filepath.Clean(base), filepath.Clean(p))
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)))
}
