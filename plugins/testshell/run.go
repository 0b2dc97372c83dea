package testshell

import (
	"context"

	"github.com/lavacore/lavacore/sdk"
)

// Run runs one declared action; the test shell is not implemented yet.
func (method) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	if call.Action == "lava-test-retry" {
		return nil
	}
	return sdk.InfraErrorf("%s: not implemented yet", call.Action)
}

// Cleanup has nothing to undo while Run does nothing.
func (method) Cleanup(ctx context.Context, call sdk.Call, host sdk.Host) error { return nil }
