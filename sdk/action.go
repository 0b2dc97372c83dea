package sdk

import (
	"context"
	"fmt"
)

// Action is the code of one declared action (an ActionSpec's Name). The host
// calls Run for every action of the tree, parents before their children, with
// the action's deadline in ctx.
type Action interface {
	Run(ctx context.Context, call Call, host Host) error
}

// Cleaner is an Action with something to undo. The host calls Cleanup, newest
// first, for every action whose Run it called, whether Run failed or not. An
// action with nothing to undo does not implement Cleaner.
type Cleaner interface {
	Cleanup(ctx context.Context, call Call, host Host) error
}

// ActionFunc is an Action (without a Cleanup) written as a function.
type ActionFunc func(ctx context.Context, call Call, host Host) error

// Run calls f.
func (f ActionFunc) Run(ctx context.Context, call Call, host Host) error { return f(ctx, call, host) }

// Group is an action whose work is all in its children (LAVA's retry
// wrappers, lava-overlay …): its Run does nothing. It is registered
// explicitly, so that an action nobody wrote code for is an error, not a
// silent success.
type Group struct{}

// Run does nothing: the children do the work.
func (Group) Run(context.Context, Call, Host) error { return nil }

// Noop is a leaf action LAVA declares that has nothing to do in this method;
// the string says why (e.g. "a zImage is booted as it is").
type Noop string

// Run does nothing.
func (Noop) Run(context.Context, Call, Host) error { return nil }

// Actions is a method's action table: every action name its Describe can
// declare, with its code. A method embeds it (or calls its Run and Cleanup)
// to implement Method's Run and Cleanup by lookup:
//
//	type method struct{ sdk.Actions }
//
//	func New() sdk.Method {
//		return method{sdk.Actions{
//			"hello-main":  sdk.Group{},
//			"say-hello":   sayHello{},
//		}}
//	}
//
// sdktest.CheckActions asserts that every declared action is in the table.
type Actions map[string]Action

// Run runs the action named by call.Action; a name with no code is a Bug.
func (a Actions) Run(ctx context.Context, call Call, host Host) error {
	act, ok := a.Action(call.Action)
	if !ok {
		return &Error{Type: Bug, Msg: fmt.Sprintf("%s: the method declares this action but has no code for it", call.Action)}
	}
	return act.Run(ctx, call, host)
}

// Cleanup runs the Cleanup of the action named by call.Action, if it has one.
func (a Actions) Cleanup(ctx context.Context, call Call, host Host) error {
	if c, ok := a[call.Action].(Cleaner); ok {
		return c.Cleanup(ctx, call, host)
	}
	return nil
}

// Action returns the code registered for name.
func (a Actions) Action(name string) (Action, bool) {
	act, ok := a[name]
	return act, ok && act != nil
}

// ActionTable is a Method whose actions are registered in an Actions table
// (every Method that embeds Actions is one).
type ActionTable interface {
	Action(name string) (Action, bool)
}
