// Package grub is the boot "grub" and "grub-efi" methods (LAVA's
// GrubMainAction): connect to the console, reset the board, walk the UEFI menu
// (grub-efi on devices that use it), interrupt GRUB, type the command set and
// log in.
package grub

import (
	"context"
	"fmt"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/actionspec"
	"github.com/lavacore/lavacore/sdk/bootflow"
)

type method struct {
	name string
	sdk.Actions
}

// New returns the boot/grub-efi method.
func New() sdk.Method { return method{name: "grub-efi", Actions: actions("grub-efi")} }

// NewGrub returns the boot/grub method.
func NewGrub() sdk.Method { return method{name: "grub", Actions: actions("grub")} }

// Methods returns every method of this package.
func Methods() []sdk.Method { return []sdk.Method{NewGrub(), New(), NewIPXE(), NewUEFIMenu()} }

// DeviceSpec is the device-type block of both methods.
var DeviceSpec = &sdk.BlockSpec{
	Attrs: []sdk.AttrSpec{
		{Name: "bootloader_prompt", Type: "string", Default: "grub>", Doc: "The GRUB prompt."},
		{Name: "interrupt_prompt", Type: "string", Doc: "Text to wait for before interrupting GRUB."},
		{Name: "interrupt_char", Type: "string", Doc: "Sent to GRUB to reach its command line."},
		{Name: "needs_interrupt", Type: "bool", Default: true, Doc: "false: only wait for the prompt."},
		{Name: "uses_menu", Type: "string", Doc: "<menu method>/<menu> selected before GRUB (e.g. uefi-menu/pxe-grub)."},
		{Name: "reset_device", Type: "bool", Default: true, Doc: "false: do not reset the board before booting."},
		{Name: "error_messages", Type: "list(string)", Doc: "GRUB error regexes."},
	},
	Blocks: []sdk.NestedBlockSpec{{TypeName: "commands", Labels: []string{"name"},
		Body: sdk.BlockSpec{Attrs: []sdk.AttrSpec{{Name: "lines", Type: "list(string)", Required: true}}}}},
}

func (m method) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionBoot, Name: m.name,
		Description: "main grub boot action", DeviceSpec: DeviceSpec, JobParams: JobParams}
}

// JobParams are the keys of a grub or grub-efi boot block (LAVA's boot/grub schema).
var JobParams = []sdk.ParamSpec{
	{Key: "commands", Type: sdk.ParamStringOrList, Required: true,
		Doc: "The name of one of the device type's command sets, or the bootloader commands themselves."},
	{Key: "boot_finished", Type: sdk.ParamStringOrList, Doc: "What the console prints once the bootloader is done."},
	{Key: "reset", Type: sdk.ParamBool},
	{Key: "expect_shell", Type: sdk.ParamBool},
	{Key: "use_bootscript", Type: sdk.ParamBool},
	// where the kernel is in an image deployed to secondary media (LAVA's
	// dispatcher reads them, its strict schema lacks them)
	{Key: "kernel", Type: sdk.ParamScalar},
	{Key: "ramdisk", Type: sdk.ParamScalar},
	{Key: "dtb", Type: sdk.ParamScalar},
	{Key: "root_uuid", Type: sdk.ParamScalar},
	{Key: "boot_part", Type: sdk.ParamScalar},
	// LAVA's sample grub jobs on hikey carry their fastboot deploy's docker block; grub does not use it
	{Key: "docker", Type: sdk.ParamDocker},
}

func (m method) Accepts(req sdk.Request) (bool, string) {
	if req.Block.Method != m.name {
		return false, fmt.Sprintf("\"method\" was not %q", m.name)
	}
	dm, ok := req.Device.Methods["boot/"+m.name]
	if !ok {
		return false, fmt.Sprintf("%q was not in the device configuration boot methods", m.name)
	}
	if _, seq := dm["sequence"]; seq {
		return false, "grub sequence boots are not supported"
	}
	return true, "accepted"
}

// usesMenu reports whether the device selects GRUB from the UEFI menu first.
func usesMenu(req sdk.Request) bool {
	if v, ok := req.Device.Method["uses_menu"].(string); ok && v != "" {
		return true
	}
	_, ok := req.Device.Methods["boot/uefi-menu"]
	return ok
}

func boolOr(m map[string]any, k string, def bool) bool {
	if v, ok := m[k].(bool); ok {
		return v
	}
	return def
}

func infra(s sdk.ActionSpec) sdk.ActionSpec { s.TimeoutError = sdk.Infrastructure; return s }

func (m method) Describe(req sdk.Request) (sdk.ActionSpec, error) {
	p := req.Block.Params
	top := sdk.ActionSpec{Name: "grub-main-action", Class: "GrubMainAction", Retry: true,
		Description: "main grub boot action", Summary: "run grub boot from power to system"}
	c := []sdk.ActionSpec{
		{Name: "bootloader-from-media", Class: "BootloaderSecondaryMedia",
			Description: "let bootloader know where to find the kernel in the image on secondary media", Summary: "set bootloader strings for deployed media"},
		{Name: "bootloader-overlay", Class: "BootloaderCommandOverlay",
			Description: "substitute job data into bootloader command list", Summary: "replace placeholders with job data"},
		infra(sdk.ActionSpec{Name: "connect-device", Class: "ConnectDevice",
			Description: "use the configured command to connect serial to the device", Summary: "run connection command"}),
	}
	reset := boolOr(p, "reset", true)
	if m.name == "grub-efi" && !boolOr(req.Device.Method, "reset_device", true) {
		reset = false
	}
	if reset {
		c = append(c, ResetDevice(req))
	}
	if m.name == "grub-efi" && usesMenu(req) {
		c = append(c,
			infra(sdk.ActionSpec{Name: "uefi-menu-interrupt", Class: "UEFIMenuInterrupt",
				Description: "interrupt for uefi menu", Summary: "interrupt for uefi menu"}),
			infra(sdk.ActionSpec{Name: "grub-efi-menu-selector", Class: "GrubMenuSelector",
				Description: "select specified grub-efi menu items", Summary: "select grub options in the efi menu"}))
	}
	c = append(c,
		infra(sdk.ActionSpec{Name: "bootloader-interrupt", Class: "BootloaderInterruptAction",
			Description: "interrupt bootloader", Summary: "interrupt bootloader to get an interactive shell"}),
		infra(sdk.ActionSpec{Name: "bootloader-commands", Class: "BootloaderCommandsAction",
			Description: "send commands to bootloader", Summary: "interactive bootloader"}))
	if tail := actionspec.LoginTail(req); tail != nil {
		c = append(c, tail...)
	} else if _, ok := p["boot_finished"]; ok {
		c = append(c, sdk.ActionSpec{Name: "installer-wait", Class: "InstallerWait",
			Description: "wait for task to finish match arbitrary string", Summary: "wait for installer to finish"})
	}
	top.Children = c
	return top, nil
}

// ResetDevice is `reset-device` with `pdu-reboot` (devices with a hard_reset
// command) or `send-reboot-commands`.
func ResetDevice(req sdk.Request) sdk.ActionSpec {
	r := infra(sdk.ActionSpec{Name: "reset-device", Class: "ResetDevice",
		Description: "reboot or power-cycle the device", Summary: "reboot the device"})
	if hasHardReset(req.Device) {
		r.Children = []sdk.ActionSpec{infra(sdk.ActionSpec{Name: "pdu-reboot", Class: "PDUReboot",
			Description: "issue commands to a PDU to power cycle a device", Summary: "hard reboot using PDU"})}
	} else {
		r.Children = []sdk.ActionSpec{infra(sdk.ActionSpec{Name: "send-reboot-commands", Class: "SendRebootCommands",
			Description: "Send reboot commands to the device", Summary: "Issue a reboot command on the device"})}
	}
	return r
}

func hasHardReset(d sdk.Device) bool {
	for _, k := range []string{"hard_reset_command", "hard_reset"} {
		if v, ok := d.Vars[k]; ok && v != "" && v != "[]" {
			return true
		}
	}
	return false
}

func (m method) Validate(_ context.Context, req sdk.Request) sdk.Diagnostics {
	p := req.Block.Params
	var diags sdk.Diagnostics
	switch c := p["commands"].(type) {
	case nil:
		diags = append(diags, sdk.Diagnostic{Path: "commands", Summary: "required key not provided: commands"})
	case string:
		if d := bootflow.UnknownCommandSet(req, c, req.Device.Method); d != nil {
			diags = append(diags, *d)
		}
	case []any:
		diags = append(diags, sdk.Diagnostic{Severity: sdk.SevWarning, Path: "commands",
			Summary: "Using job defined bootloader commands instead of the device's command sets"})
	default:
		diags = append(diags, sdk.Diagnostic{Path: "commands", Summary: "expected a command set name or a list of commands"})
	}
	if v, _ := req.Device.Method["bootloader_prompt"].(string); v == "" {
		diags = append(diags, sdk.Diagnostic{Path: "method", Summary: "Missing bootloader prompt for device",
			Detail: fmt.Sprintf("device type %q sets no bootloader_prompt in its boot %q block", req.Device.Type, m.name)})
	}
	diags = append(diags, actionspec.ValidateAutoLogin(p)...)
	if m.name == "grub-efi" && usesMenu(req) {
		if _, ok := req.Device.Methods["boot/uefi-menu"]; !ok {
			diags = append(diags, sdk.Diagnostic{Path: "method", Summary: "Missing uefi-menu boot method for device",
				Detail: "the grub-efi block names a menu (uses_menu) but the device type has no boot \"uefi-menu\" block"})
		}
	}
	return diags
}
