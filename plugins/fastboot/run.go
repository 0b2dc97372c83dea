package fastboot

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/bootflow"
	"github.com/lavacore/lavacore/sdk/download"
	"github.com/lavacore/lavacore/sdk/lavaversion"
	"github.com/lavacore/lavacore/sdk/shlex"
)

func fileKey(image string) [3]string { return [3]string{"download-action", image, "file"} }

// common is the code of the actions both methods declare.
func common() sdk.Actions {
	return sdk.Actions{
		"connect-device":         sdk.ActionFunc(bootflow.ConnectDevice),
		"reset-device":           sdk.Group{},
		"pdu-reboot":             sdk.ActionFunc(pduReboot),
		"send-reboot-commands":   sdk.ActionFunc(bootflow.SendRebootCommands),
		"uboot-enter-fastboot":   sdk.Group{},
		"bootloader-interrupt":   sdk.ActionFunc(ubootEnterFastboot),
		"detect-fastboot-device": sdk.ActionFunc(detectDevice),
		"enter-fastboot-action":  sdk.ActionFunc(enterFastboot),
		"wait-device-boardid":    sdk.Noop("lavacore passes no udev device to a container; fastboot waits for the board itself"),
		"read-feedback":          sdk.Noop("no other namespace's console to read"),
	}
}

func deployActions() sdk.Actions {
	fetch := sdk.ActionFunc(fetchImage)
	t := common()
	maps.Copy(t, sdk.Actions{
		"fastboot-deploy":             sdk.Group{},
		"download-retry":              sdk.Group{},
		"http-download":               fetch,
		"file-download":               fetch,
		"scp-download":                fetch, // download.Fetch says the scheme is unsupported
		"pre-downloaded":              fetch, // idem
		"apply-overlay-sparse-image":  sdk.ActionFunc(applyOverlay),
		"apply-overlay-image":         sdk.ActionFunc(applyOverlay),
		"deploy-device-env":           sdk.Noop("compress-overlay writes the environment file into the overlay"),
		"pre-power-command":           deviceCommand("pre_power_command"),
		"fastboot-flash-order-action": sdk.Group{},
		"fastboot-flash-action":       sdk.ActionFunc(flash),
		"fastboot-reboot":             fastbootCmd{"reboot"},
		"fastboot-reboot-bootloader":  fastbootCmd{"reboot-bootloader"},
		"fastboot-reboot-fastboot":    fastbootCmd{"reboot", "fastboot"},
	})
	maps.Copy(t, bootflow.OverlayActions(deployMethod{}.Describe))
	return t
}

// pduReboot power-cycles the device with its hard_reset command.
func pduReboot(ctx context.Context, call sdk.Call, host sdk.Host) error {
	return host.Power(ctx, "hard_reset")
}

// deviceCommand runs one of the device's builtin commands (pre_power_command,
// pre_os_command), each line split into words, without a shell.
type deviceCommand string

func (n deviceCommand) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	c, ok := call.Device.Commands[string(n)]
	if !ok {
		return host.Log(sdk.LevelDebug, fmt.Sprintf("%s: the device has no %s", call.Action, n))
	}
	for _, line := range c.Do {
		argv, err := shlex.Split(line)
		if err != nil || len(argv) == 0 {
			return sdk.ConfigErrorf("%s: %q: not a command line", n, line)
		}
		if _, err := runTool(ctx, host, argv, false); err != nil {
			return err
		}
	}
	return nil
}

// ubootEnterFastboot interrupts U-Boot and types the device's fastboot
// commands (LAVA's uboot-enter-fastboot, whose own run follows its
// children's: lavacore runs parents first, so it is done here).
func ubootEnterFastboot(ctx context.Context, call sdk.Call, host sdk.Host) error {
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	dm := call.Device.Methods["deploy/u-boot"]
	if len(dm) == 0 {
		dm = call.Device.Methods["boot/u-boot"]
	}
	consts, _ := call.Device.Constants["u-boot"].(map[string]any)
	prompt := firstNonEmpty(bootflow.Str(dm, "interrupt_prompt"), bootflow.Str(consts, "interrupt-prompt"))
	char := firstNonEmpty(bootflow.Str(dm, "interrupt_char"), bootflow.Str(consts, "interrupt-character"))
	newline := true
	if v, ok := consts["interrupt-newline"].(bool); ok {
		newline = v
	}
	bp := bootflow.Str(dm, "bootloader_prompt")
	if bp == "" {
		return sdk.ConfigErrorf("%s: the device's u-boot method has no bootloader_prompt", call.Action)
	}
	if err := bootflow.Interrupt(ctx, con, host, prompt, char, newline, bp); err != nil {
		return err
	}
	cmds := ubootFastbootCommands(call.Device)
	if len(cmds) == 0 {
		return sdk.ConfigErrorf("uboot command missing")
	}
	return bootflow.Commands(ctx, con, host, cmds, bp, bootflow.StringList(consts["error-messages"]), "")
}

// detectDevice finds the one board in fastboot mode (LAVA's DetectFastbootDevice).
func detectDevice(ctx context.Context, call sdk.Call, host sdk.Host) error {
	if isContainer(call.Block.Params) {
		return sdk.ConfigErrorf("%s: running fastboot in a docker container (docker:) is not supported by lavacore", call.Action)
	}
	out, err := runTool(ctx, host, []string{"fastboot", "devices"}, false)
	if err != nil {
		return err
	}
	sns := parseDevices(out)
	switch {
	case len(sns) > 1:
		return sdk.JobErrorf("More then one fastboot devices found: %v", sns)
	case len(sns) == 0:
		return sdk.InfraErrorf("Fastboot device not found.")
	case !serialRE.MatchString(sns[0]):
		return sdk.InfraErrorf("fastboot devices: %q is not a serial number", sns[0])
	}
	if err := host.Log(sdk.LevelInfo, "Detected fastboot serial number: "+sns[0]); err != nil {
		return err
	}
	return bootflow.SetString(host, keySerial, sns[0])
}

// enterFastboot puts the board in fastboot mode with adb, or reboots it to
// the bootloader if it is in fastboot mode already (LAVA's EnterFastbootAction).
func enterFastboot(ctx context.Context, call sdk.Call, host sdk.Host) error {
	if isContainer(call.Block.Params) {
		return sdk.ConfigErrorf("%s: running fastboot in a docker container (docker:) is not supported by lavacore", call.Action)
	}
	adbSN := devString(call.Device, "adb_serial_number")
	if !serialRE.MatchString(adbSN) {
		return sdk.ConfigErrorf("device adb serial number %q is not a serial number", adbSN)
	}
	_, _ = runTool(ctx, host, []string{"adb", "start-server"}, true)
	out, _ := runTool(ctx, host, []string{"adb", "devices"}, true)
	if strings.Contains(out, adbSN) {
		_, err := runTool(ctx, host, []string{"adb", "-s", adbSN, "reboot-bootloader"}, false)
		return err
	}
	out, err := runTool(ctx, host, []string{"fastboot", "devices"}, false)
	if err != nil {
		return err
	}
	if slices.Contains(parseDevices(out), serial(call.Device)) {
		out, err := runFastboot(ctx, call, host, []string{"reboot-bootloader"}, false)
		if err != nil {
			return err
		}
		if !strings.Contains(strings.ToLower(out), "okay") {
			return sdk.InfraErrorf("Unable to enter fastboot: %s", strings.TrimSpace(out))
		}
	}
	return nil
}

// specIndex returns, for the action at call.Level, its index among the
// actions of the same name under the same parent in the deploy's tree.
func specIndex(call sdk.Call, name string, depth int) (int, error) {
	top, err := deployMethod{}.Describe(call.Request)
	if err == nil {
		top, err = lavaversion.ForRequest(call.Request, top)
	}
	if err != nil {
		return 0, err
	}
	path, _, ok := bootflow.SpecPath(top, call.Level)
	if !ok || len(path) < depth {
		return 0, sdk.InfraErrorf("%s %s: not in the fastboot-deploy tree", call.Level, call.Action)
	}
	siblings := top.Children
	for _, i := range path[:depth-1] {
		siblings = siblings[i].Children
	}
	n := 0
	for _, s := range siblings[:path[depth-1]] {
		if s.Name == name {
			n++
		}
	}
	return n, nil
}

// fetchImage downloads the image this download-retry stands for.
func fetchImage(ctx context.Context, call sdk.Call, host sdk.Host) error {
	i, err := specIndex(call, "download-retry", 1)
	if err != nil {
		return err
	}
	imgs := images(call.Block)
	if i >= len(imgs) {
		return sdk.InfraErrorf("%s: no image %d in the block", call.Action, i)
	}
	im := imgs[i]
	ds := download.ArtefactSpec(im.Key, bootflow.Str(im.Params, "url"), im.Params, call.Dispatcher)
	dest := filepath.Join(call.Dispatcher.WorkDir, "fastboot", call.Job.ID)
	r, err := download.FetchForAction(ctx, call, host, ds, dest)
	if err != nil {
		return err
	}
	if err := bootflow.SetString(host, fileKey(im.Key), r.Path); err != nil {
		return err
	}
	return host.Result(download.ActionResult(call, r))
}

// applyOverlay would put the overlay into an image (LAVA mounts it with
// simg2img/guestfs); lavacore cannot yet.
func applyOverlay(ctx context.Context, call sdk.Call, host sdk.Host) error {
	return sdk.ConfigErrorf("%s: applying the test overlay to a flashed image (apply-overlay) is not supported by lavacore", call.Action)
}

// flash flashes the image this fastboot-flash-action stands for.
func flash(ctx context.Context, call sdk.Call, host sdk.Host) error {
	i, err := specIndex(call, "fastboot-flash-action", 2)
	if err != nil {
		return err
	}
	order := flashOrder(call.Request)
	if i >= len(order) {
		return sdk.InfraErrorf("%s: no image %d to flash", call.Action, i)
	}
	key := order[i].Key
	src, err := bootflow.GetString(host, fileKey(key))
	if err != nil || src == "" {
		return err
	}
	if key == "boot" && slices.Contains(sequence(call.Device), "no-flash-boot") {
		return host.Log(sdk.LevelInfo, "Not flashing boot: the device boots it with fastboot boot (no-flash-boot)")
	}
	if _, err := runFastboot(ctx, call, host, []string{"flash", key, src}, false); err != nil {
		return err
	}
	if err := host.Log(sdk.LevelInfo, "Handling "+key); err != nil {
		return err
	}
	return host.Result(sdk.Result{Definition: "lava", Case: call.Action, Level: call.Level, Result: "pass",
		Extra: map[string]any{"label": key}})
}

// fastbootCmd runs one fastboot command (reboot, reboot-bootloader …).
type fastbootCmd []string

func (c fastbootCmd) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	_, err := runFastboot(ctx, call, host, c, false)
	return err
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
