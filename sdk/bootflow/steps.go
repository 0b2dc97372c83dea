package bootflow

import (
	"context"
	"regexp"

	"github.com/lavacore/lavacore/sdk"
)

// The boot steps several boot methods share, each an sdk.ActionFunc to put
// in a method's sdk.Actions table under LAVA's action name:
//
//	"connect-device":       sdk.ActionFunc(bootflow.ConnectDevice),
//	"send-reboot-commands": sdk.ActionFunc(bootflow.SendRebootCommands),
//	"auto-login-action":    sdk.ActionFunc(bootflow.AutoLogin),
//	"login-action":         sdk.ActionFunc(bootflow.LoginAction),
//
// A method whose step differs (its own connection command, reboot commands
// from the job, bootloader error messages) writes its own, with
// KernelStartMessage and the functions above these for the common parts.

// rebootCommands is LAVA's REBOOT_COMMAND_LIST.
var rebootCommands = [...]string{"reboot", "reboot -n", "reboot -nf"}

// defaultShutdownMessage is LAVA's default shutdown-message constant.
const defaultShutdownMessage = "The system is going down for reboot NOW"

// ConnectDevice is connect-device: it opens the device's primary console,
// its connection command, serial port, TCP address or unix socket
// (sdk.Device.ConsoleSpec).
func ConnectDevice(ctx context.Context, call sdk.Call, host sdk.Host) error {
	spec, err := call.Device.ConsoleSpec()
	if err != nil {
		return err
	}
	_, err = host.OpenConsole(ctx, spec)
	return err
}

// SendRebootCommands is send-reboot-commands for a device without a
// hard_reset command: it types LAVA's reboot commands in the running
// system's shell and waits for the device's shutdown-message constant (or
// LAVA's default) or the kernel's restart line.
func SendRebootCommands(ctx context.Context, call sdk.Call, host sdk.Host) error {
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	for _, c := range rebootCommands {
		if err := con.SendLine(ctx, c); err != nil {
			return err
		}
	}
	msg, _ := call.Device.Constants["shutdown-message"].(string)
	if msg == "" {
		msg = defaultShutdownMessage
	}
	if _, err := con.Expect(ctx, []string{regexp.QuoteMeta(msg), "Restarting system", "reboot: Restarting"}, 0); err != nil {
		return sdk.InfraErrorf("send-reboot-commands: the device did not reboot: %v", err)
	}
	return nil
}

// KernelStartMessage is the message that shows the kernel started: the boot
// block's parameters.kernel-start-message, else the device's
// kernel-start-message constant ("" for none: no wait).
func KernelStartMessage(call sdk.Call) string {
	start, _ := call.Device.Constants["kernel-start-message"].(string)
	if params, ok := call.Block.Params["parameters"].(map[string]any); ok && Str(params, "kernel-start-message") != "" {
		start = Str(params, "kernel-start-message")
	}
	return start
}

// AutoLogin is auto-login-action for a method without bootloader error
// messages: it waits for KernelStartMessage (its child, login-action, logs
// in).
func AutoLogin(ctx context.Context, call sdk.Call, host sdk.Host) error {
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	return WaitKernelStart(ctx, con, host, KernelStartMessage(call), nil)
}

// LoginAction is login-action: Login with the boot block's options
// (LoginFromParams), watching for kernel messages unless the block says
// ignore_kernel_messages.
func LoginAction(ctx context.Context, call sdk.Call, host sdk.Host) error {
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	return Login(ctx, con, host, call.Level, LoginFromParams(call.Block.Params))
}
