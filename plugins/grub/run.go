package grub

import (
	"context"

	"github.com/lavacore/lavacore/sdk"
)

var parents = map[string]bool{"grub-main-action": true, "reset-device": true, "auto-login-action": true}

// Run runs one declared action; leaves are not implemented yet.
func (method) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	if parents[call.Action] {
		return nil
	}
	return sdk.InfraErrorf("%s: not implemented yet", call.Action)
}

// Cleanup has nothing to undo while Run does nothing.
func (method) Cleanup(ctx context.Context, call sdk.Call, host sdk.Host) error { return nil }
