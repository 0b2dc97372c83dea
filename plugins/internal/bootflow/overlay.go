package bootflow

import (
	"context"

	"github.com/lavacore/lavacore/sdk"
)

// OverlayAction reports whether name is one of lava-overlay's actions.
func OverlayAction(name string) bool {
	switch name {
	case "ssh-authorize", "lava-vland-overlay", "lava-multinode-overlay", "compress-overlay",
		"git-repo-action", "inline-repo-action", "url-repo-action",
		"test-overlay", "test-install-overlay", "test-runscript-overlay":
		return true
	}
	return false
}

// RunOverlay runs lava-overlay's actions (core/overlay builds the tree).
func RunOverlay(ctx context.Context, call sdk.Call, host sdk.Host) error {
	return sdk.InfraErrorf("%s: the overlay builder is not wired yet", call.Action)
}
