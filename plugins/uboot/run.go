package uboot

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/bootflow"
)

// shared is the code of the actions every boot of this package may declare.
func shared() sdk.Actions {
	return sdk.Actions{
		"connect-device":          sdk.ActionFunc(connectDevice),
		"reset-device":            sdk.Group{},
		"pdu-reboot":              sdk.ActionFunc(pduReboot),
		"send-reboot-commands":    sdk.ActionFunc(sendRebootCommands),
		"auto-login-action":       sdk.ActionFunc(autoLogin),
		"login-action":            sdk.ActionFunc(bootflow.LoginAction),
		"expect-shell-connection": bootflow.ExpectShellConnection{},
		"overlay-unpack":          sdk.ActionFunc(overlayUnpack),
		"export-device-env":       sdk.ActionFunc(exportDeviceEnv),
	}
}

func with(base sdk.Actions, more sdk.Actions) sdk.Actions {
	for k, v := range more {
		base[k] = v
	}
	return base
}

func ubootActions() sdk.Actions {
	return with(shared(), sdk.Actions{
		"uboot-action":                sdk.Group{},
		"uboot-from-media":            sdk.ActionFunc(fromMedia),
		"bootloader-overlay":          sdk.ActionFunc(bootloaderOverlay),
		"uboot-commands":              sdk.Group{},
		"bootloader-interrupt":        sdk.ActionFunc(interrupt),
		"bootloader-commands":         commands{expectFinal: true},
		"bootloader-commands-altbank": sdk.ActionFunc(altBank),
		"wait-device-path":            sdk.ActionFunc(unsupported),
		"flash-uboot-ums":             sdk.ActionFunc(unsupported),
	})
}

func bootloaderActions() sdk.Actions {
	return with(shared(), sdk.Actions{
		"boot-bootloader-retry": sdk.Group{},
		"bootloader-overlay":    sdk.ActionFunc(bootloaderOverlay),
		"boot-bootloader":       sdk.Group{},
		"reset-connection":      sdk.Group{},
		"disconnect-device":     sdk.ActionFunc(disconnectDevice),
		"bootloader-interrupt":  sdk.ActionFunc(interrupt),
		"bootloader-commands":   commands{expectFinal: false},
	})
}

func minimalActions() sdk.Actions {
	return with(shared(), sdk.Actions{
		"minimal-boot":      sdk.Group{},
		"pre-power-command": deviceCommand("pre_power_command"),
		"pre-os-command":    deviceCommand("pre_os_command"),
	})
}

// loader is the bootloader a call drives (u-boot, or a bootloader block's
// `bootloader:`) and its device block.
func loader(call sdk.Call) (string, map[string]any) {
	name := call.Block.Method
	if name == "bootloader" {
		name = bootloaderOf(call.Block.Params)
	}
	return name, call.Device.Methods["boot/"+name]
}

func unsupported(ctx context.Context, call sdk.Call, host sdk.Host) error {
	return sdk.InfraErrorf("%s: not supported by lavacore (U-Boot USB mass storage flashing)", call.Action)
}

// connectDevice opens the device's console (or reuses the open one).
func connectDevice(ctx context.Context, call sdk.Call, host sdk.Host) error {
	cmd := call.Device.Connection
	if cmd == "" {
		cmd = call.Device.Vars["connection_command"]
	}
	if cmd == "" {
		return sdk.ConfigErrorf("Unable to connect to device %s: it has no connection command", call.Device.Name)
	}
	_, err := host.OpenConsole(ctx, sdk.ConsoleSpec{Command: cmd})
	return err
}

// disconnectDevice closes the console (reset-connection opens it again).
func disconnectDevice(ctx context.Context, call sdk.Call, host sdk.Host) error {
	return host.CloseConsole(ctx)
}

// pduReboot power-cycles the board with its hard_reset command.
func pduReboot(ctx context.Context, call sdk.Call, host sdk.Host) error {
	return host.Power(ctx, "hard_reset")
}

// rebootCommands is LAVA's REBOOT_COMMAND_LIST.
var rebootCommands = []string{"reboot", "reboot -n", "reboot -nf"}

// sendRebootCommands reboots from the running system's shell: the block's
// soft_reboot, the device's soft reboot command, or LAVA's defaults; then
// waits for the shutdown message.
func sendRebootCommands(ctx context.Context, call sdk.Call, host sdk.Host) error {
	p := call.Block.Params
	cmds := bootflow.StringList(p["soft_reboot"])
	if len(cmds) == 0 {
		cmds = bootflow.StringList(call.Device.Vars["soft_reboot_command"])
		if len(cmds) == 1 && cmds[0] == "" {
			cmds = nil
		}
	}
	if len(cmds) == 0 {
		if err := host.Log(sdk.LevelWarning, "No soft reboot command defined in the test job. Using defaults."); err != nil {
			return err
		}
		cmds = rebootCommands
	}
	msg := ""
	if v, ok := bootflow.Constant(call.Device, "", "shutdown-message"); ok {
		msg = fmt.Sprint(v)
	}
	if params, ok := p["parameters"].(map[string]any); ok && bootflow.Str(params, "shutdown-message") != "" {
		msg = bootflow.Str(params, "shutdown-message")
	}
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	for _, c := range cmds {
		if err := con.SendLine(ctx, c); err != nil {
			return err
		}
	}
	if msg == "" {
		return nil
	}
	if _, err := con.Expect(ctx, []string{msg}, call.ConnectionTimeout); err != nil {
		return sdk.JobErrorf("Soft reboot failed.")
	}
	return nil
}

// deviceCommand runs one of the device's builtin commands (pre_power_command …).
type deviceCommand string

func (d deviceCommand) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	if _, ok := call.Device.Commands[string(d)]; !ok {
		return host.Log(sdk.LevelWarning, fmt.Sprintf("%s: the device has no %s", call.Action, d))
	}
	return host.Power(ctx, string(d))
}

// interrupt stops the bootloader at its prompt.
func interrupt(ctx context.Context, call sdk.Call, host sdk.Host) error {
	name, block := loader(call)
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	return bootflow.InterruptBootloader(ctx, con, host, bootflow.InterruptSettingsOf(call.Device, name, block))
}

// commands types the commands bootloader-overlay substituted.
type commands struct{ expectFinal bool }

func (c commands) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	name, block := loader(call)
	lines, err := bootflow.BootloaderCommands(host, name)
	if err != nil {
		return err
	}
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	s := bootflow.CommandSettingsOf(call.Device, name, block, call.Block.Params, c.expectFinal)
	return bootflow.SendBootloaderCommands(ctx, con, host, lines, s)
}

// altBank sends the device's uboot_altbank_cmd.
func altBank(ctx context.Context, call sdk.Call, host sdk.Host) error {
	name, block := loader(call)
	cmd := bootflow.Str(block, "uboot_altbank_cmd")
	if cmd == "" {
		return sdk.ConfigErrorf("%s: the device sets no uboot_altbank_cmd", call.Action)
	}
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	s := bootflow.CommandSettingsOf(call.Device, name, block, call.Block.Params, false)
	return bootflow.SendBootloaderCommands(ctx, con, host, []string{cmd}, s)
}

// autoLogin waits for the kernel to start (its child, login-action, logs in).
func autoLogin(ctx context.Context, call sdk.Call, host sdk.Host) error {
	name, block := loader(call)
	start := ""
	if v, ok := bootflow.Constant(call.Device, "", "kernel-start-message"); ok {
		start = fmt.Sprint(v)
	}
	if params, ok := call.Block.Params["parameters"].(map[string]any); ok {
		if v, ok := params["kernel-start-message"]; ok {
			start = fmt.Sprint(v)
		}
	}
	if bm := bootflow.Str(block, "boot_message"); bm != "" {
		if err := host.Log(sdk.LevelWarning, "boot_message is being deprecated in favour of kernel-start-message in constants"); err != nil {
			return err
		}
		start = bm
	}
	var errs []string
	if v, ok := bootflow.Constant(call.Device, name, "error-messages"); ok {
		errs = bootflow.StringList(v)
	}
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	return bootflow.WaitKernelStart(ctx, con, host, start, errs)
}

// exportDeviceEnv exports the NFS root's location in the device's shell.
func exportDeviceEnv(ctx context.Context, call sdk.Call, host sdk.Host) error {
	rd := bootflow.Reader{H: host}
	env := map[string]string{}
	if nfs := rd.String(bootflow.KeyNFSRoot); nfs != "" {
		env["NFS_ROOTFS"] = nfs
		env["NFS_SERVER_IP"] = rd.String(bootflow.KeyNFSServer)
		if env["NFS_SERVER_IP"] == "" {
			env["NFS_SERVER_IP"] = call.Dispatcher.IP
		}
	}
	if rd.Err != nil {
		return rd.Err
	}
	if len(env) == 0 {
		return nil
	}
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	return bootflow.ExportEnv(ctx, con, bootflow.StringList(call.Block.Params["prompts"]), env)
}

// overlayUnpack is LAVA's transfer_overlay: the booted system downloads the
// overlay from the dispatcher's HTTP server, which lavacore does not lend
// its methods yet.
func overlayUnpack(ctx context.Context, call sdk.Call, host sdk.Host) error {
	return sdk.InfraErrorf("%s: transfer_overlay needs the dispatcher's HTTP server, which lavacore does not serve yet", call.Action)
}

var mediaKey = [3]string{"storage-deploy", "u-boot", "device"}

// fromMedia is uboot-from-media: when the block's command set names a
// secondary medium of the device (usb, sata, sd), the kernel, ramdisk and dtb
// are paths inside the deployed image, the boot command comes from the
// block's kernel_type, and {ROOT}/{ROOT_PART} from root_uuid and boot_part.
func fromMedia(ctx context.Context, call sdk.Call, host sdk.Host) error {
	p := call.Block.Params
	media, _ := call.Device.Parameters["media"].(map[string]any)
	set, _ := p["commands"].(string)
	mp, ok := media[set].(map[string]any)
	if !ok {
		return nil
	}
	kt := bootflow.Str(p, "kernel_type")
	if kt == "" {
		return sdk.JobErrorf("Missing kernel_type for secondary media boot")
	}
	bc, warn := bootflow.KernelBootCommand(kt, call.Device.Parameters)
	if warn != "" {
		if err := host.Log(sdk.LevelWarning, warn); err != nil {
			return err
		}
	}
	dev, err := bootflow.GetString(host, mediaKey)
	if err != nil {
		return err
	}
	dp, ok := mp[dev].(map[string]any)
	if !ok {
		return sdk.JobErrorf("%s does not match requested media type %s", dev, set)
	}
	for _, kv := range []struct {
		k [3]string
		v string
	}{
		{bootflow.KeyBootCommand, bc},
		{bootflow.KeyKernel, bootflow.Str(p, "kernel")},
		{bootflow.KeyRamdisk, bootflow.Str(p, "ramdisk")},
		{bootflow.KeyDTB, bootflow.Str(p, "dtb")},
		{bootflow.KeyRootUUID, bootflow.Str(p, "root_uuid")},
		{bootflow.KeyBootPart, fmt.Sprintf("%s:%s", bootflow.Str(dp, "device_id"), bootflow.Str(p, "boot_part"))},
	} {
		if err := bootflow.SetString(host, kv.k, kv.v); err != nil {
			return err
		}
	}
	return nil
}

// blockCommands returns the commands the boot block asks for: a command set
// of the bootloader's device block by name, a literal list, or (a
// bootloader block) its list or none.
func blockCommands(call sdk.Call, block map[string]any) ([]string, error) {
	c, ok := call.Block.Params["commands"]
	if call.Block.Method == "bootloader" && !ok {
		return nil, nil
	}
	return bootflow.CommandList(c, block)
}

// bootloaderOverlay substitutes the job's files and the device's load
// addresses into the commands and records them for bootloader-commands.
func bootloaderOverlay(ctx context.Context, call sdk.Call, host sdk.Host) error {
	name, block := loader(call)
	lines, err := blockCommands(call, block)
	if err != nil {
		return err
	}
	rd := bootflow.Reader{H: host}
	in := bootflow.OverlayInput{
		Method: name, Commands: lines, ServerIP: call.Dispatcher.IP, JobID: call.Job.ID,
		LavaMAC: bootflow.Str(block, "lava_mac"),
		Kernel:  rd.String(bootflow.KeyKernel), PreparedKernel: rd.String(bootflow.KeyPreparedKernel),
		DTB: rd.String(bootflow.KeyDTB), Tee: rd.String(bootflow.KeyTee), Ramdisk: rd.String(bootflow.KeyRamdisk),
		Initrd: rd.String(bootflow.KeyInitrd), Preseed: rd.String(bootflow.KeyPreseed), PreseedLocal: rd.String(bootflow.KeyPreseedLocal),
		BootCommand: rd.String(bootflow.KeyBootCommand), DeviceParams: call.Device.Parameters,
		ApplyDTBOCommands: bootflow.StringList(block["apply_dtbo_commands"]),
		NFSRoot:           rd.String(bootflow.KeyNFSRoot), NFSServer: rd.String(bootflow.KeyNFSServer),
		Root: rd.String(bootflow.KeyRootUUID), RootPart: rd.String(bootflow.KeyBootPart),
		TFTPSuffix: rd.String(bootflow.KeyTFTPSuffix),
	}
	_, in.KernelTypeInBoot = call.Block.Params["type"]
	if _, in.NBD = call.Block.Params["lava-xnbd"]; in.NBD {
		in.NBDServerIP, in.NBDServerPort = rd.String(bootflow.KeyNBDServerIP), rd.String(bootflow.KeyNBDServerPort)
	}
	if dp, ok := call.Device.SectionParameters["deploy"]; ok {
		in.AddHeader = bootflow.Str(dp, "add_header")
	}
	for i := 0; rd.Err == nil; i++ {
		f := rd.String([3]string{"download-action", "file", fmt.Sprintf("dtbo%d", i)})
		if f == "" {
			break
		}
		in.DTBOs = append(in.DTBOs, f)
	}
	if rd.Err != nil {
		return rd.Err
	}
	res, err := bootflow.Substitutions(in)
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		if err := host.Log(sdk.LevelDebug, w); err != nil {
			return err
		}
	}
	if err := checkTypeable(res.Commands); err != nil {
		return err
	}
	if err := host.Log(sdk.LevelInfo, "Parsed boot commands:\n- "+strings.Join(res.Commands, "\n- ")); err != nil {
		return err
	}
	return bootflow.SetBootloaderCommands(host, name, res.Commands)
}

var controlRE = regexp.MustCompile(`[\x00-\x1f\x7f]`)

// checkTypeable refuses a command with a control character (a file name
// from the job that holds a newline would end the line and type the rest as
// another command).
func checkTypeable(lines []string) error {
	for _, l := range lines {
		if controlRE.MatchString(l) {
			return sdk.JobErrorf("bootloader command %q holds a control character and cannot be typed into a console", l)
		}
	}
	return nil
}
