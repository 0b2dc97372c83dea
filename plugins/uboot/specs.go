package uboot

import (
	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/actionspec"
)

// The actions of the U-Boot, bootloader and minimal boots, with LAVA's
// names, classes and texts (lava_dispatcher/actions/boot, power.py,
// connections/serial.py).

func infra(s sdk.ActionSpec) sdk.ActionSpec { s.TimeoutError = sdk.Infrastructure; return s }

func connectDeviceSpec() sdk.ActionSpec {
	return infra(sdk.ActionSpec{Name: "connect-device", Class: "ConnectDevice",
		Description: "use the configured command to connect serial to the device", Summary: "run connection command"})
}

func resetConnection() sdk.ActionSpec {
	return sdk.ActionSpec{Name: "reset-connection", Class: "ResetConnection", Retry: true,
		Description: "Disconnect and connect the serial", Summary: "Reset the connection",
		Children: []sdk.ActionSpec{
			{Name: "disconnect-device", Class: "DisconnectDevice", Description: "disconnect from console", Summary: "disconnect from console"},
			connectDeviceSpec(),
		}}
}

// resetDevice is reset-device with pdu-reboot (a device with a hard_reset
// command) or send-reboot-commands.
func resetDevice(d sdk.Device) sdk.ActionSpec {
	r := sdk.ActionSpec{Name: "reset-device", Class: "ResetDevice",
		Description: "reboot or power-cycle the device", Summary: "reboot the device"}
	if hasHardReset(d) {
		r.Children = []sdk.ActionSpec{infra(sdk.ActionSpec{Name: "pdu-reboot", Class: "PDUReboot",
			Description: "issue commands to a PDU to power cycle a device", Summary: "hard reboot using PDU"})}
	} else {
		r.Children = []sdk.ActionSpec{{Name: "send-reboot-commands", Class: "SendRebootCommands",
			Description: "Issue a reboot command on the device", Summary: "Issue a reboot command on the device"}}
	}
	return r
}

func hasHardReset(d sdk.Device) bool {
	if c, ok := d.Commands["hard_reset"]; ok && len(c.Do) > 0 {
		return true
	}
	for _, k := range []string{"hard_reset_command", "hard_reset"} {
		if v, ok := d.Vars[k]; ok && v != "" && v != "[]" {
			return true
		}
	}
	return false
}

func bootloaderOverlaySpec() sdk.ActionSpec {
	return sdk.ActionSpec{Name: "bootloader-overlay", Class: "BootloaderCommandOverlay",
		Description: "substitute job data into bootloader command list", Summary: "replace placeholders with job data"}
}

func interruptSpec() sdk.ActionSpec {
	return infra(sdk.ActionSpec{Name: "bootloader-interrupt", Class: "BootloaderInterruptAction",
		Description: "interrupt bootloader", Summary: "interrupt bootloader to get an interactive shell"})
}

func commandsSpec() sdk.ActionSpec {
	return infra(sdk.ActionSpec{Name: "bootloader-commands", Class: "BootloaderCommandsAction",
		Description: "send commands to bootloader", Summary: "interactive bootloader"})
}

func altBankSpec() sdk.ActionSpec {
	return infra(sdk.ActionSpec{Name: "bootloader-commands-altbank", Class: "BootloaderCommandsActionAltBank",
		Description: "send commands to bootloader altbank", Summary: "interactive bootloader altbank"})
}

func waitDevicePathSpec() sdk.ActionSpec {
	return infra(sdk.ActionSpec{Name: "wait-device-path", Class: "WaitDevicePathAction",
		Description: "wait for udev device path", Summary: "wait for udev device path"})
}

func flashUMSSpec() sdk.ActionSpec {
	return sdk.ActionSpec{Name: "flash-uboot-ums", Class: "FlashUBootUMSAction",
		Description: "Write the image file to USB Mass Storage", Summary: "USB Mass storage flash"}
}

// loginTail is what LAVA's boots add after the kernel starts (actionspec.LoginTail).
func loginTail(req sdk.Request) []sdk.ActionSpec { return actionspec.LoginTail(req) }
