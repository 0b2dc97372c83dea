package sdk

import (
	"context"
	"testing"
)

type undo struct{ ran, undone *int }

func (u undo) Run(context.Context, Call, Host) error     { *u.ran++; return nil }
func (u undo) Cleanup(context.Context, Call, Host) error { *u.undone++; return nil }

// The table runs the named action, calls Cleanup only on actions that have
// one, and a declared name without code is a Bug, never a silent success.
func TestActionsDispatch(t *testing.T) {
	var ran, undone int
	table := Actions{"parent": Group{}, "leaf": undo{&ran, &undone}, "skip": Noop("nothing here"), "nil": nil}
	ctx := context.Background()
	cases := []struct {
		action      string
		runErr      ErrorType // "" = no error
		ran, undone int
	}{
		{"parent", "", 0, 0},
		{"skip", "", 0, 0},
		{"leaf", "", 1, 1},
		{"missing", Bug, 0, 0},
		{"nil", Bug, 0, 0},
	}
	for _, c := range cases {
		ran, undone = 0, 0
		err := table.Run(ctx, Call{Action: c.action}, nil)
		if (err == nil) != (c.runErr == "") || (err != nil && TypeOf(err) != c.runErr) {
			t.Errorf("%s: Run: %v, want %q", c.action, err, c.runErr)
		}
		if err := table.Cleanup(ctx, Call{Action: c.action}, nil); err != nil {
			t.Errorf("%s: Cleanup: %v", c.action, err)
		}
		if ran != c.ran || undone != c.undone {
			t.Errorf("%s: ran %d undone %d, want %d %d", c.action, ran, undone, c.ran, c.undone)
		}
	}
}
