package tftp

import (
	"context"

	"github.com/lavacore/lavacore/sdk"
)

// parents have all their work in their children.
var parents = map[string]bool{"tftp-deploy": true, "lava-overlay": true, "test-definition": true,
	"download-retry": true, "prepare-tftp-overlay": true}

// Run runs one declared action. Only the tree exists so far: leaves are not
// implemented yet.
func (method) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	if parents[call.Action] {
		return nil
	}
	return sdk.InfraErrorf("%s: not implemented yet", call.Action)
}

// Cleanup has nothing to undo while Run does nothing.
func (method) Cleanup(ctx context.Context, call sdk.Call, host sdk.Host) error { return nil }
