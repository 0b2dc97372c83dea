package sdktest

import (
	"context"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/sdk"
)

type fakeMethod struct {
	sdk.Actions
	spec sdk.ActionSpec
}

func (fakeMethod) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionBoot, Name: "fake"}
}
func (fakeMethod) Accepts(sdk.Request) (bool, string)                    { return true, "" }
func (m fakeMethod) Describe(sdk.Request) (sdk.ActionSpec, error)        { return m.spec, nil }
func (fakeMethod) Validate(context.Context, sdk.Request) sdk.Diagnostics { return nil }

// untabled is a Method that dispatches by itself: CheckActions cannot see its code.
type untabled struct{ fakeMethod }

func (untabled) Action() {}

func TestMissingActions(t *testing.T) {
	tree := sdk.ActionSpec{Name: "top", Children: []sdk.ActionSpec{{Name: "a"}, {Name: "b"}}}
	noop := sdk.Noop("test")
	cases := []struct {
		name  string
		m     sdk.Method
		wants []string
	}{
		{"all registered", fakeMethod{sdk.Actions{"top": sdk.Group{}, "a": noop, "b": noop}, tree}, nil},
		{"a leaf without code", fakeMethod{sdk.Actions{"top": sdk.Group{}, "a": noop}, tree},
			[]string{"boot/fake: action b (1.2) is declared but has no code"}},
		{"a group without children", fakeMethod{sdk.Actions{"top": sdk.Group{}, "a": noop, "b": sdk.Group{}}, tree},
			[]string{"boot/fake: action b (1.2) is an sdk.Group without children"}},
		{"no table", untabled{fakeMethod{nil, tree}},
			[]string{"boot/fake: the method registers no actions (embed an sdk.Actions table)"}},
	}
	for _, c := range cases {
		got := MissingActions(c.m, sdk.Request{})
		if strings.Join(got, "\n") != strings.Join(c.wants, "\n") {
			t.Errorf("%s: got %q, want %q", c.name, got, c.wants)
		}
	}
}
