package uboot

import (
	"context"
	"fmt"

	"github.com/lavacore/lavacore/sdk"
)

// bootloaderMethod is boot "bootloader": reach the prompt of the bootloader
// the block names (u-boot, grub, ipxe …) and type the block's commands,
// leaving the console there for an interactive test.
type bootloaderMethod struct{ sdk.Actions }

// NewBootloader returns the boot/bootloader method.
func NewBootloader() sdk.Method { return bootloaderMethod{bootloaderActions()} }

func (bootloaderMethod) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionBoot, Name: "bootloader", Description: "boot to bootloader with retry"}
}

// bootloaderOf is the block's `bootloader:` (u-boot …).
func bootloaderOf(p map[string]any) string { s, _ := p["bootloader"].(string); return s }

func (bootloaderMethod) Accepts(req sdk.Request) (bool, string) {
	if req.Block.Method != "bootloader" {
		return false, "'method' was not 'bootloader'"
	}
	bl := bootloaderOf(req.Block.Params)
	if bl == "" {
		return false, "'bootloader' is undefined"
	}
	if _, ok := req.Device.Methods["boot/"+bl]; !ok {
		return false, fmt.Sprintf("boot method '%s' not in the device configuration", bl)
	}
	return true, "accepted"
}

func (bootloaderMethod) Describe(req sdk.Request) (sdk.ActionSpec, error) {
	p := req.Block.Params
	boot := sdk.ActionSpec{Name: "boot-bootloader", Class: "BootBootloaderAction",
		Description: "boot to bootloader", Summary: "boot bootloader"}
	if boolOr(p, "reset_connection", true) {
		boot.Children = append(boot.Children, resetConnection())
	} else {
		boot.Children = append(boot.Children, connectDeviceSpec())
	}
	if boolOr(p, "reset_device", true) && boolOr(p, "reset", true) {
		boot.Children = append(boot.Children, resetDevice(req.Device))
	}
	boot.Children = append(boot.Children, interruptSpec(), commandsSpec())
	return sdk.ActionSpec{Name: "boot-bootloader-retry", Class: "BootBootloaderRetry", Retry: true,
		Description: "boot to bootloader with retry", Summary: "boot bootloader retry",
		Children: []sdk.ActionSpec{bootloaderOverlaySpec(), boot}}, nil
}

func (bootloaderMethod) Validate(_ context.Context, req sdk.Request) sdk.Diagnostics {
	bl := bootloaderOf(req.Block.Params)
	if bl == "" {
		return sdk.Diagnostics{{Path: "bootloader", Summary: "required key not provided: bootloader"}}
	}
	var diags sdk.Diagnostics
	if c, ok := req.Block.Params["commands"]; ok {
		list, isList := c.([]any)
		if !isList {
			diags = append(diags, sdk.Diagnostic{Path: "commands", Summary: "expected a list of commands"})
		}
		for _, l := range list {
			if _, ok := l.(string); !ok {
				diags = append(diags, sdk.Diagnostic{Path: "commands", Summary: fmt.Sprintf("Deploy Commands instruction is not a string: %v", l)})
			}
		}
	}
	return append(diags, validateBootloader(req, bl, req.Device.Methods["boot/"+bl])...)
}
