package grub

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/bootflow"
)

// actions is the code of every action grub-main-action's tree declares.
func actions(name string) sdk.Actions {
	return sdk.Actions{
		"grub-main-action":        sdk.Group{},
		"reset-device":            sdk.Group{},
		"bootloader-from-media":   sdk.Noop("only for images on secondary media, which lavacore does not deploy"),
		"bootloader-overlay":      bootloaderOverlay{name},
		"connect-device":          sdk.ActionFunc(bootflow.ConnectDevice),
		"pdu-reboot":              sdk.ActionFunc(pduReboot),
		"send-reboot-commands":    sdk.ActionFunc(bootflow.SendRebootCommands),
		"uefi-menu-interrupt":     sdk.ActionFunc(uefiMenuInterrupt),
		"grub-efi-menu-selector":  sdk.ActionFunc(selectMenu),
		"bootloader-interrupt":    bootloaderInterrupt{name},
		"bootloader-commands":     bootloaderCommands{name},
		"auto-login-action":       autoLogin{name},
		"login-action":            sdk.ActionFunc(bootflow.LoginAction),
		"expect-shell-connection": bootflow.ExpectShellConnection{},
		"overlay-unpack":          sdk.ActionFunc(overlayUnpack),
		"export-device-env":       sdk.ActionFunc(exportDeviceEnv),
		"installer-wait":          sdk.ActionFunc(installerWait),
	}
}

// bootloaderOverlay substitutes the job's values into the command set.
type bootloaderOverlay struct{ name string }

func (m bootloaderOverlay) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	lines, err := bootflow.CommandList(call.Block.Params["commands"], call.Device.Method)
	if err != nil {
		return err
	}
	subs, err := substitutions(call, host)
	if err != nil {
		return err
	}
	out := bootflow.Substitute(lines, subs)
	b, err := json.Marshal(out)
	if err != nil {
		return &sdk.Error{Type: sdk.Bug, Msg: fmt.Sprintf("bootloader-overlay: %v", err)}
	}
	if err := host.Set("bootloader-overlay", m.name, "commands", string(b)); err != nil {
		return err
	}
	for _, l := range out {
		if err := host.Log(sdk.LevelDebug, "bootloader command: "+l); err != nil {
			return err
		}
	}
	return nil
}

// pduReboot power-cycles the device with its hard_reset command.
func pduReboot(ctx context.Context, call sdk.Call, host sdk.Host) error {
	if err := host.Power(ctx, "hard_reset"); err != nil {
		return err
	}
	return host.Result(sdk.Result{Definition: "lava", Case: call.Action, Level: call.Level, Result: "pass",
		Extra: map[string]any{"status": "success"}})
}

// uefiMenuInterrupt interrupts the firmware to reach its UEFI menu.
func uefiMenuInterrupt(ctx context.Context, call sdk.Call, host sdk.Host) error {
	menu := call.Device.Methods["boot/uefi-menu"]
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	prompt := bootflow.Str(menu, "interrupt_prompt")
	if _, err := con.Expect(ctx, []string{regexp.QuoteMeta(prompt)}, 0); err != nil {
		return sdk.InfraErrorf("uefi-menu-interrupt: waiting for %q: %v", prompt, err)
	}
	return con.SendRaw(ctx, bootflow.Str(menu, "interrupt_string"))
}

// bootloaderInterrupt interrupts GRUB and waits for its prompt.
type bootloaderInterrupt struct{ name string }

func (m bootloaderInterrupt) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	dm := call.Device.Method
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	consts, _ := call.Device.Constants[m.name].(map[string]any)
	prompt := firstNonEmpty(bootflow.Str(dm, "interrupt_prompt"), bootflow.Str(consts, "interrupt-prompt"))
	char := firstNonEmpty(bootflow.Str(dm, "interrupt_char"), bootflow.Str(consts, "interrupt-character"))
	newline := true
	if v, ok := consts["interrupt-newline"].(bool); ok {
		newline = v
	}
	if needs, ok := dm["needs_interrupt"].(bool); ok && !needs {
		prompt, char = "", ""
	}
	bp := bootflow.Str(dm, "bootloader_prompt")
	if err := bootflow.Interrupt(ctx, con, host, prompt, char, newline, bp); err != nil {
		return err
	}
	return host.Set("interrupt", "interrupt", "at_bootloader_prompt", "true")
}

// bootloaderCommands types bootloader-overlay's commands at the GRUB prompt.
type bootloaderCommands struct{ name string }

func (m bootloaderCommands) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	p, dm := call.Block.Params, call.Device.Method
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	var lines []string
	v, ok, err := host.Get("bootloader-overlay", m.name, "commands")
	if err != nil {
		return err
	}
	if ok {
		_ = json.Unmarshal([]byte(v), &lines)
	}
	consts, _ := call.Device.Constants[m.name].(map[string]any)
	errs := bootflow.StringList(dm["error_messages"])
	if len(errs) == 0 {
		errs = bootflow.StringList(consts["error-messages"])
	}
	final := bootflow.Str(consts, "final-message")
	if params, ok := p["parameters"].(map[string]any); ok && bootflow.Str(params, "bootloader-final-message") != "" {
		final = bootflow.Str(params, "bootloader-final-message")
	}
	return bootflow.Commands(ctx, con, host, lines, bootflow.Str(dm, "bootloader_prompt"), errs, final)
}

// autoLogin waits for the kernel to start (its child, login-action, logs in).
type autoLogin struct{ name string }

func (m autoLogin) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	dm := call.Device.Method
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	start := bootflow.KernelStartMessage(call)
	consts, _ := call.Device.Constants[m.name].(map[string]any)
	errs := bootflow.StringList(dm["error_messages"])
	if len(errs) == 0 {
		errs = bootflow.StringList(consts["error-messages"])
	}
	return bootflow.WaitKernelStart(ctx, con, host, start, errs)
}

// exportDeviceEnv exports the NFS root's location in the device's shell.
func exportDeviceEnv(ctx context.Context, call sdk.Call, host sdk.Host) error {
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	env := map[string]string{}
	rd := bootflow.Reader{H: host}
	if nfs := rd.String(bootflow.KeyNFSRoot); nfs != "" {
		env["NFS_ROOTFS"] = nfs
		env["NFS_SERVER_IP"] = firstNonEmpty(rd.String(bootflow.KeyNFSServer), call.Dispatcher.IP)
	}
	if rd.Err != nil {
		return rd.Err
	}
	return bootflow.ExportEnv(ctx, con, bootflow.StringList(call.Block.Params["prompts"]), env)
}

// overlayUnpack is LAVA's transfer_overlay (download and unpack the overlay
// from the booted system's shell), which lavacore does not do.
func overlayUnpack(ctx context.Context, call sdk.Call, host sdk.Host) error {
	return sdk.InfraErrorf("%s: transfer_overlay is not supported by the %s boot method", call.Action, call.Block.Method)
}

// installerWait waits for the block's boot_finished message.
func installerWait(ctx context.Context, call sdk.Call, host sdk.Host) error {
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	_, err = con.Expect(ctx, bootflow.StringList(call.Block.Params["boot_finished"]), 0)
	return err
}

// substitutions are LAVA's bootloader placeholders with this job's values.
func substitutions(call sdk.Call, host sdk.Host) (map[string]string, error) {
	ip := call.Dispatcher.IP
	rd := bootflow.Reader{H: host}
	subs := map[string]string{
		"{SERVER_IP}":          ip,
		"{LAVA_DISPATCHER_IP}": ip,
		"{KERNEL}":             rd.String(bootflow.KeyKernel),
		"{DTB}":                rd.String(bootflow.KeyDTB),
		"{TEE}":                rd.String(bootflow.KeyTee),
		"{RAMDISK}":            rd.String(bootflow.KeyRamdisk),
		"{INITRD}":             rd.String(bootflow.KeyRamdisk),
		"{NFSROOTFS}":          rd.String(bootflow.KeyNFSRoot),
		"{NFS_SERVER_IP}":      firstNonEmpty(rd.String(bootflow.KeyNFSServer), ip),
		"{LAVA_JOB_ID}":        call.Job.ID,
	}
	return subs, rd.Err
}

var menuItemRE = regexp.MustCompile(`\[([0-9]+)\] ([a-zA-Z0-9\s\:]*)`)

// selectMenu picks the UEFI menu entry named by the grub-efi block's uses_menu
// (an HCL device type), or walks the uefi-menu sequence its menu_options names
// (a device file rendered by LAVA, see selectLAVAMenu).
func selectMenu(ctx context.Context, call sdk.Call, host sdk.Host) error {
	menu := call.Device.Methods["boot/uefi-menu"]
	ref := bootflow.Str(call.Device.Method, "uses_menu")
	if ref == "" {
		return selectLAVAMenu(ctx, host, menu)
	}
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	name := ref[strings.LastIndex(ref, "/")+1:]
	menus, _ := menu["menu"].(map[string]any)
	entry, _ := menus[name].(map[string]any)
	items := bootflow.StringList(entry["select"])
	if len(items) == 0 {
		return sdk.ConfigErrorf("grub-efi-menu-selector: the uefi-menu block has no menu %q with a select list", name)
	}
	prompt := bootflow.Str(menu, "bootloader_prompt")
	mt, err := con.Expect(ctx, []string{regexp.QuoteMeta(prompt)}, 0)
	if err != nil {
		return sdk.InfraErrorf("grub-efi-menu-selector: waiting for %q: %w", prompt, err)
	}
	lines := strings.Split(mt.Before, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		sm := menuItemRE.FindStringSubmatch(lines[i])
		if sm != nil && strings.Contains(sm[2], items[0]) {
			n, _ := strconv.Atoi(sm[1])
			if err := host.Log(sdk.LevelDebug, fmt.Sprintf("Selecting menu item %d: %s", n, strings.TrimSpace(sm[2]))); err != nil {
				return err
			}
			return con.SendLine(ctx, sm[1])
		}
	}
	return sdk.InfraErrorf("grub-efi-menu-selector: menu item %q not found in the UEFI menu", items[0])
}

// selectLAVAMenu is LAVA's GrubMenuSelector on a device file LAVA rendered:
// the uefi-menu method's menu_options names its sequence (pxe-grub: a list of
// select steps); wait for the menu's bootloader_prompt, walk the sequence, no
// boot_message. An empty sequence only waits (a board without a UEFI menu,
// such as the virtual lab's: lab/lava/lavacore-lab-x86.jinja2).
func selectLAVAMenu(ctx context.Context, host sdk.Host, menu map[string]any) error {
	name := bootflow.Str(menu, "menu_options")
	if name == "" {
		return sdk.ConfigErrorf("grub-efi-menu-selector: Missing entry for menu item to use for uefi-menu")
	}
	steps, err := menuSteps(menu, name)
	if err != nil {
		return sdk.ConfigErrorf("grub-efi-menu-selector: %v", err)
	}
	sel, err := newMenuSelector(menu)
	if err != nil {
		return err
	}
	sep := "\r\n"
	if bootflow.Str(menu, "line_separator") == "unix" {
		sep = "\n"
	}
	return walkMenu(ctx, host, "grub-efi-menu-selector", menu, sel, steps, sep, "")
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
