package fastboot

import (
	"context"
	"fmt"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/actionspec"
)

type deployMethod struct{ sdk.Actions }

// NewDeploy returns the deploy/fastboot method.
func NewDeploy() sdk.Method { return deployMethod{deployActions()} }

// Reboots are the values of an image's `reboot:` (what runs after flashing it).
var Reboots = []string{"fastboot-reboot", "fastboot-reboot-bootloader", "fastboot-reboot-fastboot", "hard-reset"}

// DeployParams are the keys of a fastboot deploy block (LAVA's deploy/fastboot schema).
var DeployParams = []sdk.ParamSpec{
	{Key: "images", Type: sdk.ParamMap, Required: true, Doc: "The images to flash, by partition name, flashed in the device's flash_cmds_order.",
		Fields: []sdk.ParamSpec{{Key: "*", Type: sdk.ParamArtifact, Fields: []sdk.ParamSpec{
			{Key: "apply-overlay", Type: sdk.ParamBool, Doc: "Put the test overlay into this image."},
			{Key: "sparse", Type: sdk.ParamBool, Doc: "The image is an Android sparse image (default true)."},
			{Key: "root_partition", Type: sdk.ParamScalar, Doc: "The partition of a non-sparse image the overlay goes to."},
			{Key: "reboot", Type: sdk.ParamString, Enum: Reboots, Doc: "How the board restarts after this image is flashed."},
		}}}},
	{Key: "docker", Type: sdk.ParamDocker, Doc: "Run the fastboot tool in this container."},
}

func (deployMethod) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionDeploy, Name: "fastboot",
		Description: "download files and deploy using fastboot", DeviceSpec: &sdk.BlockSpec{
			Attrs: []sdk.AttrSpec{
				{Name: "interrupt_prompt", Type: "string", Doc: "What the board prints when a flash needs a reboot to reach the next bootloader."},
				{Name: "interrupt_string", Type: "string", Doc: "Sent at interrupt_prompt."},
			}}, JobParams: DeployParams}
}

func (deployMethod) Accepts(req sdk.Request) (bool, string) {
	if req.Block.Method != "fastboot" {
		return false, `"to" parameter is not "fastboot"`
	}
	if _, ok := req.Device.Methods["deploy/fastboot"]; !ok {
		return false, `"fastboot" is not in the device configuration deploy methods`
	}
	return true, "accepted"
}

// image is one entry of the block's images, in the job's order.
type image struct {
	Key    string
	Params map[string]any
}

func images(b sdk.Block) []image {
	m, _ := b.Params["images"].(map[string]any)
	var out []image
	for _, k := range b.Keys("images") {
		p, _ := m[k].(map[string]any)
		out = append(out, image{Key: k, Params: p})
	}
	return out
}

// flashOrder is LAVA's order of flash commands: the device's
// flash_cmds_order, then the block's other images (in the job's order),
// keeping only those the block has.
func flashOrder(req sdk.Request) []image {
	order, _ := devList(req.Device, "flash_cmds_order")
	imgs := images(req.Block)
	byKey := map[string]image{}
	for _, im := range imgs {
		byKey[im.Key] = im
	}
	var out []image
	done := map[string]bool{}
	for _, k := range order {
		if im, ok := byKey[k]; ok && !done[k] {
			out, done[k] = append(out, im), true
		}
	}
	for _, im := range imgs {
		if !done[im.Key] {
			out, done[im.Key] = append(out, im), true
		}
	}
	return out
}

func (deployMethod) Describe(req sdk.Request) (sdk.ActionSpec, error) {
	top := sdk.ActionSpec{Name: "fastboot-deploy", Class: "FastbootAction",
		Description: "download files and deploy using fastboot", Summary: "fastboot deployment"}
	overlay := actionspec.NeedsOverlay(req)
	if overlay {
		o, err := actionspec.LavaOverlay(req)
		if err != nil {
			return top, err
		}
		top.Children = append(top.Children, o)
	}
	for _, im := range images(req.Block) {
		u, _ := im.Params["url"].(string)
		d, err := actionspec.Download(u)
		if err != nil {
			return top, fmt.Errorf("images.%s: %w", im.Key, err)
		}
		top.Children = append(top.Children, d)
		if apply, _ := im.Params["apply-overlay"].(bool); apply && overlay {
			if sparse, ok := im.Params["sparse"].(bool); !ok || sparse {
				top.Children = append(top.Children, infra(sdk.ActionSpec{Name: "apply-overlay-sparse-image", Class: "ApplyOverlaySparseImage",
					Description: "apply overlay to sparse image", Summary: "apply overlay to sparse image"}))
			} else {
				top.Children = append(top.Children, infra(sdk.ActionSpec{Name: "apply-overlay-image", Class: "ApplyOverlayImage",
					Description: "apply overlay via guestfs to the test image", Summary: "apply overlay to test image"}))
			}
		}
		if overlay && actionspec.NeedsDeployment(req) {
			top.Children = append(top.Children, actionspec.DeployDeviceEnv())
		}
	}
	d := req.Device
	switch {
	case devBool(d, "fastboot_via_uboot"):
		top.Children = append(top.Children, connectDeviceSpec(), ubootEnterFastbootSpec(d))
		if autoDetect(d) {
			top.Children = append(top.Children, detectSpec())
		}
	case hasHardReset(d):
		top.Children = append(top.Children, connectDeviceSpec(),
			infra(sdk.ActionSpec{Name: "pre-power-command", Class: "PrePower", Description: "issue pre power command", Summary: "send pre-power-command"}),
			resetDeviceSpec(d))
		if autoDetect(d) {
			top.Children = append(top.Children, detectSpec())
		}
	default:
		top.Children = append(top.Children, enterFastbootSpec())
	}
	order := sdk.ActionSpec{Name: "fastboot-flash-order-action", Class: "FastbootFlashOrderAction",
		Description: "Determine support for each flash operation", Summary: "Handle reset and options for each flash url.",
		Children: []sdk.ActionSpec{readFeedbackSpec()}}
	for _, im := range flashOrder(req) {
		order.Children = append(order.Children, waitBoardIDSpec(), infra(sdk.ActionSpec{Name: "fastboot-flash-action", Class: "FastbootFlashAction",
			Description: "Run a specified flash command", Summary: "Execute fastboot flash command"}))
		var r sdk.ActionSpec
		switch reboot, _ := im.Params["reboot"].(string); reboot {
		case "fastboot-reboot":
			r = sdk.ActionSpec{Name: "fastboot-reboot", Class: "FastbootReboot",
				Description: "Reset a device between flash operations using fastboot reboot.", Summary: "execute a reboot using fastboot"}
		case "fastboot-reboot-bootloader":
			r = sdk.ActionSpec{Name: "fastboot-reboot-bootloader", Class: "FastbootRebootBootloader",
				Description: "Reset a device between flash operations using fastboot reboot-bootloader.", Summary: "execute a reboot to bootloader using fastboot"}
		case "fastboot-reboot-fastboot":
			r = sdk.ActionSpec{Name: "fastboot-reboot-fastboot", Class: "FastbootRebootFastboot",
				Description: "Reset a device between flash operations using fastboot reboot fastboot.", Summary: "execute a reboot to fastbootd using fastboot"}
		case "hard-reset":
			r = pduRebootSpec()
		default:
			continue
		}
		order.Children = append(order.Children, r, readFeedbackSpec())
	}
	top.Children = append(top.Children, order)
	return top, nil
}

func (deployMethod) Validate(_ context.Context, req sdk.Request) sdk.Diagnostics {
	var diags sdk.Diagnostics
	imgs := images(req.Block)
	if len(imgs) == 0 {
		diags = append(diags, sdk.Diagnostic{Path: "images", Summary: "required key not provided: images"})
	}
	for _, im := range imgs {
		u, _ := im.Params["url"].(string)
		if _, err := actionspec.Download(u); err != nil {
			diags = append(diags, sdk.Diagnostic{Path: "images." + im.Key + ".url", Summary: err.Error()})
		}
		if apply, _ := im.Params["apply-overlay"].(bool); apply {
			if sparse, ok := im.Params["sparse"].(bool); ok && !sparse {
				if _, ok := im.Params["root_partition"]; !ok {
					diags = append(diags, sdk.Diagnostic{Path: "images." + im.Key,
						Summary: "Unable to apply the overlay image without 'root_partition'"})
				}
			}
		}
	}
	if !hasConnection(req.Device, "deploy", "fastboot") {
		diags = append(diags, sdk.Diagnostic{Path: "to", Summary: "Device not configured to support fastboot deployment connections."})
	}
	diags = append(diags, validateDevice(req.Device, true)...)
	if devBool(req.Device, "fastboot_via_uboot") && len(ubootFastbootCommands(req.Device)) == 0 {
		diags = append(diags, sdk.Diagnostic{Path: "to", Summary: "uboot command missing",
			Detail: "the device enters fastboot through U-Boot (fastboot_via_uboot) but its deploy u-boot method has no fastboot commands"})
	}
	if !devBool(req.Device, "fastboot_via_uboot") && !hasHardReset(req.Device) {
		if s := devString(req.Device, "adb_serial_number"); s == "" {
			diags = append(diags, sdk.Diagnostic{Path: "to", Summary: "device adb serial number missing"})
		} else if s == unsetSerial {
			diags = append(diags, sdk.Diagnostic{Path: "to", Summary: "device adb serial number unset"})
		}
	}
	return diags
}

// ubootFastbootCommands are the U-Boot commands that put the board in
// fastboot mode (the device's deploy u-boot method, its fastboot commands).
func ubootFastbootCommands(d sdk.Device) []string {
	m := d.Methods["deploy/u-boot"]
	if fb, ok := m["fastboot"].(map[string]any); ok {
		if c, ok := fb["commands"].([]any); ok {
			return anyStrings(c)
		}
	}
	if sets, ok := m["commands"].(map[string]any); ok {
		switch c := sets["fastboot"].(type) {
		case []any:
			return anyStrings(c)
		case map[string]any:
			if l, ok := c["lines"].([]any); ok {
				return anyStrings(l)
			}
		}
	}
	return nil
}
