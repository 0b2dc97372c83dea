package testshell

import (
	"context"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/actionspec"
)

// A test block with definitions and docker: is LAVA's docker test shell
// (DockerTest, which outranks the plain test shell: DockerTestAction): the
// definitions run in a container on the dispatcher, with the board reached
// over USB (adb, fastboot) rather than its console. lavacore describes and
// validates it as LAVA does; running it is not supported yet.

// hasDocker reports whether the block runs in the docker test shell.
func hasDocker(b sdk.Block) bool {
	_, ok := b.Params["docker"]
	return ok
}

func describeDocker(req sdk.Request) (sdk.ActionSpec, error) {
	p := req.Block.Params
	top := sdk.ActionSpec{Name: "lava-docker-test", Class: "DockerTestAction",
		Description: "Runs tests in a docker container",
		Summary:     "Runs tests in a docker container, with the DUT available via adb/fastboot over USB"}
	env := sdk.ActionSpec{Name: "lava-docker-test-set-environment", Class: "DockerTestSetEnvironment",
		Description: "Adds necessary environments variables for docker-test-shell",
		Summary:     "Adds necessary environments variables for docker-test-shell"}
	overlay := sdk.ActionSpec{Name: "lava-create-overlay", Class: "CreateOverlay",
		Description: "add lava scripts during deployment for test shell use", Summary: "overlay the lava support scripts"}
	if _, ok := req.Device.Methods["deploy/ssh"]; ok {
		overlay.Children = append(overlay.Children, sdk.ActionSpec{Name: "ssh-authorize", Class: "SshAuthorize",
			Description: "include public key in overlay and authorize root user", Summary: "add public key to authorized_keys"})
	}
	td, err := actionspec.TestDefinition(req)
	if err != nil {
		return top, err
	}
	// a docker test shell mounts the overlay directory: no compress-overlay
	overlay.Children = append(overlay.Children, actionspec.VLANPlaceholder(),
		sdk.ActionSpec{Name: "lava-multinode-overlay", Class: "MultinodeOverlayAction",
			Description: "add lava scripts during deployment for multinode test shell use", Summary: "overlay the lava multinode scripts"},
		td)
	top.Children = []sdk.ActionSpec{env, overlay}
	if v, _ := p["disconnect_connection"].(bool); v {
		top.Children = append(top.Children, sdk.ActionSpec{Name: "disconnect-device", Class: "DisconnectDevice",
			Description: "disconnect from console", Summary: "disconnect from console"})
	}
	if req.Job.Role != "" {
		top.Children = append(top.Children, sdk.ActionSpec{Name: "lava-multinode-docker-test-shell", Class: "MultinodeDockerTestShell",
			Description: "Runs multinode lava-test-shell in a docker container", Summary: "Runs multinode lava-test-shell in a docker container"})
	} else {
		top.Children = append(top.Children, sdk.ActionSpec{Name: "lava-docker-test-shell", Class: "DockerTestShell",
			Description: "Runs lava-test-shell in a docker container", Summary: "Runs lava-test-shell in a docker container"})
	}
	top.Children = append(top.Children, sdk.ActionSpec{Name: "read-feedback", Class: "ReadFeedback",
		Description: "Check for messages on all other namespaces", Summary: "Read from other namespaces"})
	return top, nil
}

func validateDocker(req sdk.Request) sdk.Diagnostics {
	var diags sdk.Diagnostics
	d, ok := req.Block.Params["docker"].(map[string]any)
	if !ok {
		return append(diags, sdk.Diagnostic{Path: "docker", Summary: "expected a dictionary"})
	}
	if img, _ := d["image"].(string); img == "" {
		diags = append(diags, sdk.Diagnostic{Path: "docker.image", Summary: "required key not provided: image"})
	}
	return diags
}

// notSupported is every action's code: lavacore does not run containers yet.
type notSupported struct{}

func (notSupported) Run(_ context.Context, call sdk.Call, _ sdk.Host) error {
	return sdk.ConfigErrorf("%s: the docker test shell (a test block with docker:) is not supported by lavacore yet", call.Action)
}

// dockerOverlay is why the docker test shell's overlay steps do nothing:
// lava-docker-test-set-environment, before them, fails.
const dockerOverlay = "the docker test shell does not run in lavacore"

func dockerActions() sdk.Actions {
	t := sdk.Actions{
		"lava-docker-test":                 sdk.Group{},
		"lava-docker-test-set-environment": notSupported{},
		"lava-create-overlay":              sdk.Group{},
		"ssh-authorize":                    sdk.Noop(dockerOverlay),
		"lava-vland-overlay":               sdk.Noop(dockerOverlay),
		"lava-multinode-overlay":           sdk.Noop(dockerOverlay),
		"test-definition":                  sdk.Group{},
		"disconnect-device":                sdk.ActionFunc(func(ctx context.Context, _ sdk.Call, h sdk.Host) error { return h.CloseConsole(ctx) }),
		"lava-docker-test-shell":           notSupported{},
		"lava-multinode-docker-test-shell": notSupported{},
		"read-feedback":                    sdk.Noop("no other namespace's console to read"),
	}
	for _, n := range []string{"git-repo-action", "inline-repo-action", "url-repo-action", "tar-repo-action",
		"test-overlay", "test-install-overlay", "test-runscript-overlay"} {
		t[n] = sdk.Noop(dockerOverlay)
	}
	return t
}
