package ssh

import (
	"context"

	"github.com/lavacore/lavacore/sdk"
)

var parents = map[string]bool{"scp-overlay": true, "lava-overlay": true, "test-definition": true,
	"prepare-scp-overlay": true, "login-ssh": true, "auto-login-action": true}

func notYet(call sdk.Call) error {
	if parents[call.Action] {
		return nil
	}
	return sdk.InfraErrorf("%s: not implemented yet", call.Action)
}

// Run runs one declared action of deploy/ssh; leaves are not implemented yet.
func (deploy) Run(ctx context.Context, call sdk.Call, host sdk.Host) error { return notYet(call) }

// Cleanup has nothing to undo while Run does nothing.
func (deploy) Cleanup(ctx context.Context, call sdk.Call, host sdk.Host) error { return nil }

// Run runs one declared action of boot/ssh; leaves are not implemented yet.
func (boot) Run(ctx context.Context, call sdk.Call, host sdk.Host) error { return notYet(call) }

// Cleanup has nothing to undo while Run does nothing.
func (boot) Cleanup(ctx context.Context, call sdk.Call, host sdk.Host) error { return nil }
