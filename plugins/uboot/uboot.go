// Package uboot is the boot methods of boards with a bootloader console:
// "u-boot" (LAVA's UBootAction: connect, reset, interrupt U-Boot, type a
// command set with the job's files and load addresses substituted, log in),
// "bootloader" (LAVA's BootBootloaderRetry: stop at any bootloader's prompt
// after typing a job's commands) and "minimal" (LAVA's MinimalBoot: connect,
// reset and log in).
package uboot

import (
	"context"
	"fmt"
	"regexp"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/actionspec"
	"github.com/lavacore/lavacore/sdk/bootflow"
)

// Methods returns every method of this package.
func Methods() []sdk.Method { return []sdk.Method{NewUBoot(), NewBootloader(), NewMinimal()} }

// DeviceSpec is the device-type block of boot "u-boot" (LAVA's
// actions.boot.methods.u-boot: its parameters and its named command sets).
var DeviceSpec = &sdk.BlockSpec{
	Attrs: []sdk.AttrSpec{
		{Name: "bootloader_prompt", Type: "string", Doc: "U-Boot's prompt (=>)."},
		{Name: "interrupt_prompt", Type: "string", Doc: "Text to wait for before interrupting U-Boot (default: the u-boot interrupt-prompt constant)."},
		{Name: "interrupt_char", Type: "string", Doc: "Sent to stop autoboot (default: the u-boot interrupt-character constant)."},
		{Name: "interrupt_ctrl_list", Type: "list(string)", Doc: "Control characters sent instead of interrupt_char (vendor U-Boots)."},
		{Name: "needs_interrupt", Type: "bool", Doc: "false: only wait for the prompt (default true)."},
		{Name: "boot_message", Type: "string", Doc: "Deprecated: the kernel start message (use the kernel-start-message constant)."},
		{Name: "lava_mac", Type: "string", Doc: "MAC address substituted for {LAVA_MAC}."},
		{Name: "apply_dtbo_commands", Type: "list(string)", Doc: "Commands inserted after {APPLY_DTBO_COMMANDS} for each dtbo ({DTBO})."},
		{Name: "uboot_ums_flash", Type: "bool", Doc: "Flash an image over U-Boot's USB mass storage (ums)."},
		{Name: "uboot_mass_storage_device", Type: "string", Doc: "The udev path of the ums device."},
		{Name: "uboot_altbank", Type: "bool", Doc: "Switch to the alternate bank first (uboot_altbank_cmd)."},
		{Name: "uboot_altbank_cmd", Type: "string", Doc: "The command that switches bank."},
		{Name: "mkimage_arch", Type: "string", Doc: "The architecture mkimage writes into U-Boot headers (arm, arm64), where a device type sets it on the boot method (juno-uboot)."},
	},
	Blocks: []sdk.NestedBlockSpec{{TypeName: "commands", Labels: []string{"name"},
		Body: sdk.BlockSpec{Attrs: []sdk.AttrSpec{{Name: "lines", Type: "list(string)", Required: true}}}}},
}

// ubootMethod is boot "u-boot".
type ubootMethod struct{ sdk.Actions }

// NewUBoot returns the boot/u-boot method.
func NewUBoot() sdk.Method { return ubootMethod{ubootActions()} }

func (ubootMethod) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionBoot, Name: "u-boot",
		Description: "interactive uboot action", DeviceSpec: DeviceSpec}
}

func (ubootMethod) Accepts(req sdk.Request) (bool, string) {
	if req.Block.Method != "u-boot" {
		return false, `"method" was not "u-boot"`
	}
	if _, ok := req.Device.Methods["boot/u-boot"]; !ok {
		return false, `"u-boot" was not in the device configuration boot methods`
	}
	return true, "accepted"
}

func boolOr(m map[string]any, k string, def bool) bool {
	if v, ok := m[k].(bool); ok {
		return v
	}
	return def
}

func (ubootMethod) Describe(req sdk.Request) (sdk.ActionSpec, error) {
	p, dm := req.Block.Params, req.Device.Method
	top := sdk.ActionSpec{Name: "uboot-action", Class: "UBootAction", Retry: true,
		Description: "interactive uboot action", Summary: "pass uboot commands"}
	cmds := sdk.ActionSpec{Name: "uboot-commands", Class: "UBootCommandsAction",
		Description: "interactive uboot commands action", Summary: "uboot commands"}
	if boolOr(p, "reset", true) {
		cmds.Children = append(cmds.Children, resetDevice(req.Device))
	}
	cmds.Children = append(cmds.Children, interruptSpec())
	switch {
	case boolOr(dm, "uboot_ums_flash", false):
		cmds.Children = append(cmds.Children, commandsSpec(), waitDevicePathSpec(), flashUMSSpec(), resetDevice(req.Device))
	case boolOr(dm, "uboot_altbank", false):
		cmds.Children = append(cmds.Children, altBankSpec(), interruptSpec(), commandsSpec())
	default:
		cmds.Children = append(cmds.Children, commandsSpec())
	}
	cmds.Children = append(cmds.Children, loginTail(req)...)
	top.Children = []sdk.ActionSpec{
		{Name: "uboot-from-media", Class: "UBootSecondaryMedia",
			Description: "let uboot know where to find the kernel in the image on secondary media", Summary: "set uboot strings for deployed media"},
		bootloaderOverlaySpec(),
		connectDeviceSpec(),
		cmds,
	}
	return top, nil
}

var macRE = regexp.MustCompile(`(?i)^([0-9A-F]{2}[:-]){5}([0-9A-F]{2})`)

// validateCommands checks a boot block's commands against the device block
// of its bootloader, with LAVA's messages.
func validateCommands(req sdk.Request, block map[string]any) sdk.Diagnostics {
	var diags sdk.Diagnostics
	switch c := req.Block.Params["commands"].(type) {
	case nil:
		diags = append(diags, sdk.Diagnostic{Path: "commands", Summary: "commands not specified in boot parameters"})
	case string:
		if d := bootflow.UnknownCommandSet(req, c, block); d != nil {
			diags = append(diags, *d)
		}
	case []any:
		diags = append(diags, sdk.Diagnostic{Severity: sdk.SevWarning, Path: "commands",
			Summary: "Using boot commands supplied in the job definition, NOT the LAVA device configuration"})
		for _, l := range c {
			if _, ok := l.(string); !ok {
				diags = append(diags, sdk.Diagnostic{Path: "commands", Summary: fmt.Sprintf("Deploy Commands instruction is not a string: %v", l)})
			}
		}
	default:
		diags = append(diags, sdk.Diagnostic{Path: "commands", Summary: "expected a command set name or a list of commands"})
	}
	return diags
}

// validateBootloader checks the device block of the bootloader: its prompt and lava_mac.
func validateBootloader(req sdk.Request, method string, block map[string]any) sdk.Diagnostics {
	var diags sdk.Diagnostics
	if v, _ := block["bootloader_prompt"].(string); v == "" {
		diags = append(diags, sdk.Diagnostic{Path: "method", Summary: "Missing bootloader prompt for device",
			Detail: fmt.Sprintf("device type %q sets no bootloader_prompt in its boot %q block", req.Device.Type, method)})
	}
	if mac, ok := block["lava_mac"].(string); ok && mac != "" && !macRE.MatchString(mac) {
		diags = append(diags, sdk.Diagnostic{Path: "method", Summary: "lava_mac is not a valid mac address"})
	}
	return diags
}

func (ubootMethod) Validate(_ context.Context, req sdk.Request) sdk.Diagnostics {
	p, dm := req.Block.Params, req.Device.Method
	diags := validateCommands(req, dm)
	diags = append(diags, validateBootloader(req, "u-boot", dm)...)
	if _, ok := p["type"]; ok {
		diags = append(diags, sdk.Diagnostic{Severity: sdk.SevWarning, Path: "type",
			Summary: "Specifying a type in the boot action is deprecated. Please specify the kernel type in the deploy parameters."})
	}
	if boolOr(dm, "uboot_ums_flash", false) {
		if v, _ := dm["uboot_mass_storage_device"].(string); v == "" {
			diags = append(diags, sdk.Diagnostic{Path: "method", Summary: "uboot_mass_storage_device is not set for uboot_ums_flash"})
		}
	}
	if boolOr(dm, "uboot_altbank", false) {
		if v, _ := dm["uboot_altbank_cmd"].(string); v == "" {
			diags = append(diags, sdk.Diagnostic{Path: "method", Summary: "uboot_altbank_cmd is not set for uboot_altbank"})
		}
	}
	if to, ok := p["transfer_overlay"]; ok {
		diags = append(diags, validateTransferOverlay(to)...)
	}
	return append(diags, actionspec.ValidateAutoLogin(p)...)
}

// validateTransferOverlay checks transfer_overlay as LAVA's OverlayUnpack.
func validateTransferOverlay(v any) sdk.Diagnostics {
	m, ok := v.(map[string]any)
	if !ok {
		return sdk.Diagnostics{{Path: "transfer_overlay", Summary: "Unable to identify transfer commands for overlay."}}
	}
	var diags sdk.Diagnostics
	method, _ := m["transfer_method"].(string)
	if method == "" {
		method = "http"
	}
	if _, ok := m["download_command"]; !ok && method != "zmodem" {
		diags = append(diags, sdk.Diagnostic{Path: "transfer_overlay.download_command", Summary: "Unable to identify download command for overlay."})
	}
	if _, ok := m["unpack_command"]; !ok {
		diags = append(diags, sdk.Diagnostic{Path: "transfer_overlay.unpack_command", Summary: "Unable to identify unpack command for overlay."})
	}
	return diags
}
