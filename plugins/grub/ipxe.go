package grub

import (
	"context"
	"regexp"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/actionspec"
	"github.com/lavacore/lavacore/sdk/bootflow"
)

// ipxe is the boot "ipxe" method (LAVA's IPXE strategy, BootloaderAction):
// the same bootloader console as GRUB — connect, reset, interrupt iPXE with
// its control characters, type the command set, log in.
type ipxe struct{ sdk.Actions }

// NewIPXE returns the boot/ipxe method.
func NewIPXE() sdk.Method {
	a := actions("ipxe")
	a["bootloader-action"] = sdk.Group{}
	a["bootloader-retry"] = sdk.Group{}
	a["bootloader-interrupt"] = ipxeInterrupt{}
	return ipxe{Actions: a}
}

// IPXESpec is the device-type block of boot/ipxe: GRUB's, with iPXE's
// control-character interrupt.
var IPXESpec = &sdk.BlockSpec{
	Attrs: append(append([]sdk.AttrSpec{}, DeviceSpec.Attrs...),
		sdk.AttrSpec{Name: "interrupt_ctrl_list", Type: "list(string)", Doc: "Control characters that interrupt iPXE (b: Ctrl-B)."},
		sdk.AttrSpec{Name: "use_bootscript", Type: "bool", Doc: "Chain-load the commands as a TFTP boot script."}),
	Blocks: DeviceSpec.Blocks,
}

func (ipxe) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionBoot, Name: "ipxe",
		Description: "interactive bootloader action", DeviceSpec: IPXESpec}
}

func (ipxe) Accepts(req sdk.Request) (bool, string) {
	if req.Block.Method != "ipxe" {
		return false, `"method" was not "ipxe"`
	}
	if _, ok := req.Device.Methods["boot/ipxe"]; !ok {
		return false, `"ipxe" was not in the device configuration boot methods`
	}
	return true, "accepted"
}

func (ipxe) Describe(req sdk.Request) (sdk.ActionSpec, error) {
	retry := sdk.ActionSpec{Name: "bootloader-retry", Class: "BootloaderRetry", Retry: true,
		Description: "interactive uboot retry action", Summary: "uboot commands with retry",
		Children: []sdk.ActionSpec{ResetDevice(req),
			infra(sdk.ActionSpec{Name: "bootloader-interrupt", Class: "BootloaderInterruptAction",
				Description: "interrupt bootloader", Summary: "interrupt bootloader to get an interactive shell"}),
			infra(sdk.ActionSpec{Name: "bootloader-commands", Class: "BootloaderCommandsAction",
				Description: "send commands to bootloader", Summary: "interactive bootloader"})}}
	retry.Children = append(retry.Children, actionspec.LoginTail(req)...)
	return sdk.ActionSpec{Name: "bootloader-action", Class: "BootloaderAction",
		Description: "interactive bootloader action", Summary: "pass boot commands",
		Children: []sdk.ActionSpec{
			{Name: "bootloader-overlay", Class: "BootloaderCommandOverlay",
				Description: "substitute job data into bootloader command list", Summary: "replace placeholders with job data"},
			infra(sdk.ActionSpec{Name: "connect-device", Class: "ConnectDevice",
				Description: "use the configured command to connect serial to the device", Summary: "run connection command"}),
			retry,
		}}, nil
}

func (ipxe) Validate(ctx context.Context, req sdk.Request) sdk.Diagnostics {
	return method{name: "ipxe"}.Validate(ctx, req)
}

// ipxeInterrupt interrupts iPXE: its prompt, then each control character of
// interrupt_ctrl_list (LAVA sends no interrupt character to iPXE), then its
// command line's prompt.
type ipxeInterrupt struct{}

func (ipxeInterrupt) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	dm := call.Device.Method
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	consts, _ := call.Device.Constants["ipxe"].(map[string]any)
	prompt := firstNonEmpty(bootflow.Str(dm, "interrupt_prompt"), bootflow.Str(consts, "interrupt-prompt"))
	ctrl := bootflow.StringList(dm["interrupt_ctrl_list"])
	if len(ctrl) == 0 {
		ctrl = bootflow.StringList(consts["interrupt_ctrl_list"])
	}
	bp := bootflow.Str(dm, "bootloader_prompt")
	if needs, ok := dm["needs_interrupt"].(bool); ok && !needs {
		prompt, ctrl = "", nil
	}
	if prompt != "" {
		if _, err := con.Expect(ctx, []string{regexp.QuoteMeta(prompt)}, 0); err != nil {
			return sdk.InfraErrorf("bootloader-interrupt: iPXE did not print %q: %w", prompt, err)
		}
	}
	keys, err := controlKeys(ctrl)
	if err != nil {
		return err
	}
	if err := con.SendRaw(ctx, keys); err != nil {
		return err
	}
	if _, err := con.Expect(ctx, []string{regexp.QuoteMeta(bp)}, 0); err != nil {
		return sdk.InfraErrorf("bootloader-interrupt: no iPXE prompt %q after the interrupt: %v", bp, err)
	}
	return host.Set("interrupt", "interrupt", "at_bootloader_prompt", "true")
}

// controlKeys turns interrupt_ctrl_list's letters into control characters
// (pexpect's sendcontrol: b → Ctrl-B, 0x02).
func controlKeys(list []string) (string, error) {
	out := make([]byte, 0, len(list))
	for _, c := range list {
		if len(c) != 1 || !(c[0] >= 'a' && c[0] <= 'z' || c[0] >= '@' && c[0] <= '_') {
			return "", sdk.ConfigErrorf("interrupt_ctrl_list: %q is not a control character letter", c)
		}
		ch := c[0]
		if ch >= 'a' {
			ch -= 'a' - 'A'
		}
		out = append(out, ch&0x1f)
	}
	return string(out), nil
}
