// Package lavaversion is the LAVA release whose pipeline lavacore builds: the
// lab's `lava_version` (lava-run takes it from the dispatcher's configuration)
// or the command line's --lava-version. The default is the founding
// document's LAVA, Debian's 2023.01; a newer release gives the tree that
// release builds. Every difference between releases is one row of Changes,
// citing the LAVA change; it is applied to a method's action tree after
// Describe, so the methods build one tree and never look at the version.
package lavaversion

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/lavacore/lavacore/sdk"
)

// Default is the release lavacore's trees follow when none is set: Debian's
// LAVA, which the founding document describes (a guest's overlay at 1.1.5).
const Default = "2023.01"

// Version is a LAVA release, YYYY.MM (point releases such as 2023.05.1 are
// their month's).
type Version struct{ Year, Month int }

func (v Version) String() string { return fmt.Sprintf("%04d.%02d", v.Year, v.Month) }

// Before reports whether v is an earlier release than w.
func (v Version) Before(w Version) bool {
	return v.Year < w.Year || (v.Year == w.Year && v.Month < w.Month)
}

// Parse reads a release name, "YYYY.MM" or "YYYY.MM.N"; "" is Default.
func Parse(s string) (Version, error) {
	if strings.TrimSpace(s) == "" {
		s = Default
	}
	parts := strings.Split(strings.TrimSpace(s), ".")
	bad := fmt.Errorf("%q is not a LAVA release: want YYYY.MM, e.g. %s or 2026.08", s, Default)
	if len(parts) < 2 || len(parts) > 3 || len(parts[0]) != 4 || len(parts[1]) != 2 {
		return Version{}, bad
	}
	y, err1 := strconv.Atoi(parts[0])
	m, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || y < 2014 || m < 1 || m > 12 {
		return Version{}, bad
	}
	if len(parts) == 3 {
		if n, err := strconv.Atoi(parts[2]); err != nil || n < 0 {
			return Version{}, bad
		}
	}
	return Version{Year: y, Month: m}, nil
}

// MustParse is Parse for constants.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

// Change is one difference between LAVA releases in the trees the methods
// describe. The methods describe the tree of Default; Apply rewrites a tree
// for a release at or after Since.
type Change struct {
	// Since is the first LAVA release with the change.
	Since Version
	// LAVA cites the change: commit, date and title in LAVA's history.
	LAVA string
	// What the change does to the tree.
	What string
	// Apply rewrites one action tree (a block's top-level action).
	Apply func(*sdk.ActionSpec)
}

// Changes is the table, oldest first. It is a function so the table stays
// constant.
func Changes() []Change {
	return []Change{
		{
			Since: Version{2026, 6},
			LAVA:  "Linaro/lava 8579e1d3fca7 (2026-04-07, \"Drop VLANd code\"), first released in 2026.06",
			What:  "lava-overlay loses its lava-vland-overlay step: a guest's compress-overlay moves from 1.1.5 to 1.1.4",
			Apply: func(s *sdk.ActionSpec) { drop(s, "lava-vland-overlay") },
		},
	}
}

// Apply returns spec as release v builds it (spec itself is not modified).
func Apply(v Version, spec sdk.ActionSpec) sdk.ActionSpec {
	out := clone(spec)
	for _, c := range Changes() {
		if !v.Before(c.Since) {
			c.Apply(&out)
		}
	}
	return out
}

func clone(s sdk.ActionSpec) sdk.ActionSpec {
	if s.Children != nil {
		kids := make([]sdk.ActionSpec, len(s.Children))
		for i, c := range s.Children {
			kids[i] = clone(c)
		}
		s.Children = kids
	}
	return s
}

// drop removes every action named name (with its children) from the tree.
func drop(s *sdk.ActionSpec, name string) {
	kept := s.Children[:0]
	for i := range s.Children {
		if s.Children[i].Name == name {
			continue
		}
		drop(&s.Children[i], name)
		kept = append(kept, s.Children[i])
	}
	s.Children = kept
}

// ForRequest is Apply with the release the request's dispatcher names. A
// method that describes its tree again at Run time (to find an action by
// level) passes it through ForRequest, so it sees the tree the host runs.
func ForRequest(req sdk.Request, spec sdk.ActionSpec) (sdk.ActionSpec, error) {
	v, err := Parse(req.Dispatcher.LavaVersion)
	if err != nil {
		return spec, err
	}
	return Apply(v, spec), nil
}
