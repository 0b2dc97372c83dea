package fastboot

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/actionspec"
	"github.com/lavacore/lavacore/sdk/bootflow"
	"github.com/lavacore/lavacore/sdk/shlex"
)

type bootMethod struct{ sdk.Actions }

// NewBoot returns the boot/fastboot method.
func NewBoot() sdk.Method { return bootMethod{bootActions()} }

// Sequences are the steps a device's fastboot boot sequence may list.
var Sequences = []string{"boot", "reboot", "no-flash-boot", "auto-login", "overlay-unpack", "shell-session", "export-env"}

// BootParams are the keys of a fastboot boot block.
var BootParams = []sdk.ParamSpec{
	{Key: "commands", Type: sdk.ParamStringOrList, Doc: "fastboot commands (without options) run before the boot, e.g. \"oem uart enable\"."},
	{Key: "docker", Type: sdk.ParamDocker, Doc: "Run the fastboot tool in this container."},
}

func (bootMethod) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionBoot, Name: "fastboot",
		Description: "fastboot boot into the system", DeviceSpec: &sdk.BlockSpec{Attrs: []sdk.AttrSpec{
			{Name: "sequence", Type: "list(string)", Doc: "The boot steps after fastboot mode: " + strings.Join(Sequences, ", ") + "."}}},
		JobParams: BootParams}
}

func (bootMethod) Accepts(req sdk.Request) (bool, string) {
	if req.Block.Method != "fastboot" {
		return false, `"method" was not "fastboot"`
	}
	if _, ok := req.Device.Methods["boot/fastboot"]; !ok {
		return false, `"fastboot" was not in the device configuration boot methods`
	}
	return true, "accepted"
}

// detectAdded reports whether an earlier fastboot block of the namespace
// declared detect-fastboot-device (LAVA adds it once per namespace).
func detectAdded(req sdk.Request) bool {
	for _, b := range req.Job.Blocks {
		if b.Index >= req.Block.Index || b.Namespace != req.Block.Namespace || b.Method != "fastboot" {
			continue
		}
		if b.Section == sdk.SectionDeploy || b.Section == sdk.SectionBoot {
			return true
		}
	}
	return false
}

func (bootMethod) Describe(req sdk.Request) (sdk.ActionSpec, error) {
	p, d := req.Block.Params, req.Device
	top := sdk.ActionSpec{Name: "fastboot-boot", Class: "BootFastbootAction", Retry: true,
		Description: "fastboot boot into the system", Summary: "fastboot boot"}
	if c := bootflow.StringList(p["commands"]); len(c) > 0 {
		top.Children = append(top.Children, infra(sdk.ActionSpec{Name: "fastboot-boot-commands", Class: "BootFastbootCommands",
			Description: "Run custom fastboot commands before boot", Summary: "Run fastboot boot commands"}))
	}
	detect := autoDetect(d) && !detectAdded(req)
	switch {
	case devBool(d, "fastboot_via_uboot"):
		top.Children = append(top.Children, connectDeviceSpec(), ubootEnterFastbootSpec(d))
		if detect {
			top.Children = append(top.Children, detectSpec())
		}
	case hasHardReset(d):
		top.Children = append(top.Children, connectDeviceSpec(), resetDeviceSpec(d))
		if detect {
			top.Children = append(top.Children, detectSpec())
		}
	default:
		top.Children = append(top.Children, waitBoardIDSpec(), enterFastbootSpec())
	}
	for _, s := range sequence(d) {
		top.Children = append(top.Children, waitBoardIDSpec())
		switch s {
		case "boot", "no-flash-boot":
			top.Children = append(top.Children, sdk.ActionSpec{Name: "boot-fastboot", Class: "FastbootBootAction",
				Description: "fastboot boot into system", Summary: "attempt to fastboot boot"})
		case "reboot":
			top.Children = append(top.Children, sdk.ActionSpec{Name: "fastboot-reboot", Class: "FastbootRebootAction",
				Description: "fastboot reboot into system", Summary: "attempt to fastboot reboot"})
		case "auto-login":
			top.Children = append(top.Children, actionspec.AutoLogin())
		case "overlay-unpack":
			top.Children = append(top.Children, overlayUnpackSpec())
		case "shell-session":
			top.Children = append(top.Children, actionspec.ExpectShell())
		case "export-env":
			top.Children = append(top.Children, actionspec.ExportDeviceEnv())
		}
	}
	if hasHardReset(d) {
		top.Children = append(top.Children, infra(sdk.ActionSpec{Name: "pre-os-command", Class: "PreOs",
			Description: "issue pre os command", Summary: "send pre-os-command"}))
		top.Children = append(top.Children, actionspec.LoginTail(req)...)
	} else if !isContainer(p) {
		top.Children = append(top.Children,
			sdk.ActionSpec{Name: "connect-adb", Class: "ConnectAdb", Description: "connect via adb shell to the device", Summary: "run connection command"},
			sdk.ActionSpec{Name: "adb-overlay-unpack", Class: "AdbOverlayUnpack", Description: "unpack the overlay over adb", Summary: "unpack the overlay on the remote device"})
	}
	return top, nil
}

func overlayUnpackSpec() sdk.ActionSpec {
	return sdk.ActionSpec{Name: "overlay-unpack", Class: "OverlayUnpack",
		Description: "transfer and unpack overlay to persistent rootfs after login", Summary: "transfer and unpack overlay"}
}

func (bootMethod) Validate(_ context.Context, req sdk.Request) sdk.Diagnostics {
	var diags sdk.Diagnostics
	for _, s := range sequence(req.Device) {
		known := false
		for _, k := range Sequences {
			known = known || s == k
		}
		if !known {
			diags = append(diags, sdk.Diagnostic{Path: "method", Summary: fmt.Sprintf("Unknown boot sequence '%s'", s)})
		}
	}
	for i, c := range bootflow.StringList(req.Block.Params["commands"]) {
		if _, err := commandArgs(c); err != nil {
			diags = append(diags, sdk.Diagnostic{Path: fmt.Sprintf("commands[%d]", i), Summary: err.Error()})
		}
	}
	diags = append(diags, validateDevice(req.Device, false)...)
	diags = append(diags, actionspec.ValidateAutoLogin(req.Block.Params)...)
	return diags
}

// commandArgs splits one of the block's fastboot commands into words. The
// job chooses the fastboot command, never its options: a word starting with
// "-" is refused (the device's fastboot_options are the lab's).
func commandArgs(c string) ([]string, error) {
	words, err := shlex.Split(c)
	if err != nil {
		return nil, fmt.Errorf("fastboot command %q: %v", c, err)
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("empty fastboot command")
	}
	for _, w := range words {
		if strings.HasPrefix(w, "-") {
			return nil, fmt.Errorf("fastboot command %q: %q is an option; a job's fastboot commands take none", c, w)
		}
	}
	return words, nil
}

func bootActions() sdk.Actions {
	t := common()
	maps.Copy(t, sdk.Actions{
		"fastboot-boot":           sdk.Group{},
		"fastboot-boot-commands":  sdk.ActionFunc(bootCommands),
		"boot-fastboot":           sdk.ActionFunc(bootImage),
		"fastboot-reboot":         sdk.ActionFunc(rebootSystem),
		"pre-os-command":          deviceCommand("pre_os_command"),
		"auto-login-action":       sdk.ActionFunc(bootflow.AutoLogin),
		"login-action":            sdk.ActionFunc(bootflow.LoginAction),
		"expect-shell-connection": bootflow.ExpectShellConnection{},
		"overlay-unpack":          unsupported("transfer_overlay"),
		"export-device-env":       sdk.ActionFunc(exportEnv),
		"connect-adb":             unsupported("an adb shell as the test connection"),
		"adb-overlay-unpack":      unsupported("unpacking the overlay over adb"),
	})
	return t
}

// unsupported is an action lavacore has no code for yet: it fails with a
// Configuration error that says what.
type unsupported string

func (u unsupported) Run(_ context.Context, call sdk.Call, _ sdk.Host) error {
	return sdk.ConfigErrorf("%s: %s is not supported by lavacore's fastboot method", call.Action, string(u))
}

// bootCommands runs the block's fastboot commands.
func bootCommands(ctx context.Context, call sdk.Call, host sdk.Host) error {
	if err := host.Log(sdk.LevelInfo, "Running custom fastboot boot commands...."); err != nil {
		return err
	}
	for _, c := range bootflow.StringList(call.Block.Params["commands"]) {
		words, err := commandArgs(c)
		if err != nil {
			return sdk.JobErrorf("%v", err)
		}
		if _, err := runFastboot(ctx, call, host, words, false); err != nil {
			return err
		}
	}
	return nil
}

// finished is the first line of fastboot's output that says "finished".
func finished(out string) map[string]any {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(strings.ToLower(l), "finished") {
			return map[string]any{"status": strings.TrimSpace(l)}
		}
	}
	return nil
}

// bootImage boots the deployed boot image with `fastboot boot`.
func bootImage(ctx context.Context, call sdk.Call, host sdk.Host) error {
	img, err := bootflow.GetString(host, fileKey("boot"))
	if err != nil {
		return err
	}
	if img == "" {
		return sdk.JobErrorf("%s: no boot image was deployed (images: boot)", call.Action)
	}
	out, err := runFastboot(ctx, call, host, []string{"boot", img}, true)
	if err != nil {
		return err
	}
	if out != "" && !strings.Contains(strings.ToLower(out), "booting") {
		return sdk.JobErrorf("Unable to boot with fastboot: %s", strings.TrimSpace(out))
	}
	return recordStatus(call, host, finished(out))
}

// rebootSystem reboots the flashed board into its system with `fastboot reboot`.
func rebootSystem(ctx context.Context, call sdk.Call, host sdk.Host) error {
	out, err := runFastboot(ctx, call, host, []string{"reboot"}, true)
	if err != nil {
		return err
	}
	if out != "" && !strings.Contains(strings.ToLower(out), "rebooting") {
		return sdk.JobErrorf("Unable to fastboot reboot: %s", strings.TrimSpace(out))
	}
	return recordStatus(call, host, finished(out))
}

func recordStatus(call sdk.Call, host sdk.Host, extra map[string]any) error {
	res := "pass"
	if extra == nil {
		res, extra = "fail", map[string]any{"fail": call.Action}
	}
	return host.Result(sdk.Result{Definition: "lava", Case: call.Action, Level: call.Level, Result: res, Extra: extra})
}

func exportEnv(ctx context.Context, call sdk.Call, host sdk.Host) error {
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	return bootflow.ExportEnv(ctx, con, bootflow.StringList(call.Block.Params["prompts"]), map[string]string{})
}
