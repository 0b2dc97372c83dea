package sdktest

import (
	"fmt"
	"testing"

	"github.com/lavacore/lavacore/sdk"
)

// CheckActions fails t for every action m's Describe declares for req that
// has no code: m must register its actions in an sdk.Actions table, every
// declared name must be in it, and an action registered as sdk.Group (whose
// work is all in its children) must have children. Call it with the
// requests of a method's Describe tests, so a new action without code fails
// there and not in a lab.
func CheckActions(t testing.TB, m sdk.Method, req sdk.Request) {
	t.Helper()
	for _, p := range MissingActions(m, req) {
		t.Error(p)
	}
}

// MissingActions is CheckActions' list of problems (nil: none).
func MissingActions(m sdk.Method, req sdk.Request) []string {
	key := m.Info().Key()
	table, ok := m.(sdk.ActionTable)
	if !ok {
		return []string{fmt.Sprintf("%s: the method registers no actions (embed an sdk.Actions table)", key)}
	}
	top, err := m.Describe(req)
	if err != nil {
		return []string{fmt.Sprintf("%s: describe: %v", key, err)}
	}
	var out []string
	var walk func(s sdk.ActionSpec, level string)
	walk = func(s sdk.ActionSpec, level string) {
		act, ok := table.Action(s.Name)
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s: action %s (%s) is declared but has no code", key, s.Name, level))
		case len(s.Children) == 0:
			if _, group := act.(sdk.Group); group {
				out = append(out, fmt.Sprintf("%s: action %s (%s) is an sdk.Group without children", key, s.Name, level))
			}
		}
		for i, c := range s.Children {
			walk(c, fmt.Sprintf("%s.%d", level, i+1))
		}
	}
	walk(top, "1")
	return out
}
