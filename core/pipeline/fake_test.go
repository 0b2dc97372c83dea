package pipeline

import (
	"context"

	"github.com/lavacore/lavacore/sdk"
)

// fakeMethod is the do-nothing part of a test method.
type fakeMethod struct{}

func (fakeMethod) Info() sdk.MethodInfo                                  { return sdk.MethodInfo{} }
func (fakeMethod) Accepts(sdk.Request) (bool, string)                    { return true, "accepted" }
func (fakeMethod) Describe(sdk.Request) (sdk.ActionSpec, error)          { return sdk.ActionSpec{}, nil }
func (fakeMethod) Validate(context.Context, sdk.Request) sdk.Diagnostics { return nil }
func (fakeMethod) Run(context.Context, sdk.Call, sdk.Host) error         { return nil }
func (fakeMethod) Cleanup(context.Context, sdk.Call, sdk.Host) error     { return nil }
