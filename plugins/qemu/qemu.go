// Package qemu is LAVA's QEMU family: deploy "tmpfs" (LAVA's
// DeployImagesAction: download the images, build a guest drive holding the
// test-shell overlay), deploy "nfs" on devices that boot "qemu-nfs"
// (DeployQemuNfsAction) and boot "qemu" / "qemu-nfs" (BootQEMUImageAction):
// the dispatcher starts qemu-system-<arch> itself with the device's options
// and the job's image_arg's, and its stdio is the console — the host runs
// the command under a pty in its own process group and kills the group when
// the console closes.
package qemu

import (
	"context"
	"fmt"
	"slices"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/actionspec"
)

// Methods returns every method of this package.
func Methods() []sdk.Method {
	return []sdk.Method{NewTmpfs(), NewNFS(), NewBoot("qemu"), NewBoot("qemu-nfs")}
}

// ---- deploy tmpfs ----

type tmpfs struct{ sdk.Actions }

// NewTmpfs returns the deploy/tmpfs method.
func NewTmpfs() sdk.Method { return tmpfs{deployActions(tmpfs{}.Describe)} }

func (tmpfs) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionDeploy, Name: "tmpfs", Description: "deploy images",
		DeviceSpec: &sdk.BlockSpec{}, JobParams: imageParams}
}

// imageParams are the keys of a deploy block with QEMU images.
var imageParams = []sdk.ParamSpec{
	{Key: "images", Type: sdk.ParamMap, Required: true, Fields: []sdk.ParamSpec{
		{Key: "*", Type: sdk.ParamArtifact, Fields: []sdk.ParamSpec{
			{Key: "image_arg", Type: sdk.ParamString},
			{Key: "format", Type: sdk.ParamString},
			{Key: "partition", Type: sdk.ParamInt},
			{Key: "root_partition", Type: sdk.ParamInt},
			{Key: "prefix", Type: sdk.ParamString},
			{Key: "sparse", Type: sdk.ParamBool},
			{Key: "overlays", Type: sdk.ParamAny},
		}}}},
	{Key: "uefi", Type: sdk.ParamArtifact},
	{Key: "os", Type: sdk.ParamScalar},
	{Key: "type", Type: sdk.ParamString, Enum: []string{"monitor"}, Error: `"type" parameter was set but it was not "monitor"`},
}

func (tmpfs) Accepts(req sdk.Request) (bool, string) {
	if _, ok := req.Device.Methods["deploy/image"]; !ok {
		return false, `"image" is not in the device configuration deploy methods`
	}
	if req.Block.Method != "tmpfs" {
		return false, `"to" parameter is not "tmpfs"`
	}
	if _, ok := req.Block.Params["images"]; !ok {
		return false, `"images" was not in the deployment parameters`
	}
	if t, ok := req.Block.Params["type"]; ok && t != "monitor" {
		return false, `"type" parameter was set but it was not "monitor"`
	}
	return true, "accepted"
}

func (tmpfs) Describe(req sdk.Request) (sdk.ActionSpec, error) {
	top := sdk.ActionSpec{Name: "deployimages", Class: "DeployImagesAction", Description: "deploy images", Summary: "deploy images"}
	if actionspec.NeedsOverlay(req) {
		o, err := actionspec.LavaOverlay(req)
		if err != nil {
			return top, err
		}
		top.Children = append(top.Children, o)
	}
	if actionspec.NeedsDeployment(req) {
		top.Children = append(top.Children, actionspec.DeployDeviceEnv())
	}
	dl, err := downloadSpecs(req)
	if err != nil {
		return top, err
	}
	top.Children = append(top.Children, dl...)
	if actionspec.NeedsOverlay(req) {
		top.Children = append(top.Children, sdk.ActionSpec{Name: "apply-overlay-guest", Class: "ApplyOverlayGuest",
			Description: "prepare a qcow2 drive containing the overlay", Summary: "build a guest filesystem with the overlay"})
	}
	return top, nil
}

// downloadSpecs are the block's downloads: uefi first, then the images in
// the job's order.
func downloadSpecs(req sdk.Request) ([]sdk.ActionSpec, error) {
	var out []sdk.ActionSpec
	for _, k := range downloadKeys(req.Block) {
		u, _ := urlOf(req.Block.Params, k)
		d, err := actionspec.Download(u)
		if err != nil {
			return nil, err
		}
		if err := imageOverlays(req, k, &d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// imageOverlays adds an image's `overlays:` to its download-retry, as
// LAVA's DownloaderAction does: a download-retry per overlay (but "lava"),
// create-overlay when "lava" is one and no test needs the overlay, and
// append-overlays.
func imageOverlays(req sdk.Request, key string, d *sdk.ActionSpec) error {
	_, res := urlOf(req.Block.Params, key)
	ovs, _ := res["overlays"].(map[string]any)
	if len(ovs) == 0 {
		return nil
	}
	b := sdk.Block{Params: res, Order: map[string][]string{"overlays": req.Block.Order[key+".overlays"]}}
	_, lava := ovs["lava"]
	for _, name := range b.Keys("overlays") {
		if name == "lava" {
			continue
		}
		m, _ := ovs[name].(map[string]any)
		u, _ := m["url"].(string)
		od, err := actionspec.Download(u)
		if err != nil {
			return err
		}
		d.Children = append(d.Children, od)
	}
	if lava && !actionspec.NeedsOverlay(req) {
		d.Children = append(d.Children, sdk.ActionSpec{Name: "lava-create-overlay", Class: "CreateOverlay",
			Description: "add lava scripts during deployment for test shell use", Summary: "overlay the lava support scripts"})
	}
	d.Children = append(d.Children, sdk.ActionSpec{Name: "append-overlays", Class: "AppendOverlays",
		Description: "append overlays to an image", Summary: "append overlays to an image"})
	return nil
}

// downloadKeys names the block's downloads in LAVA's order: "uefi", then
// each image as "images.<name>".
func downloadKeys(b sdk.Block) []string {
	var keys []string
	if _, ok := b.Params["uefi"].(map[string]any); ok {
		keys = append(keys, "uefi")
	}
	for _, k := range b.Keys("images") {
		keys = append(keys, "images."+k)
	}
	return keys
}

// urlOf reads the url of a download key ("uefi", "images.rootfs").
func urlOf(p map[string]any, key string) (string, map[string]any) {
	m := p
	for _, part := range splitKey(key) {
		m, _ = m[part].(map[string]any)
	}
	u, _ := m["url"].(string)
	return u, m
}

func splitKey(key string) []string {
	if len(key) > 7 && key[:7] == "images." {
		return []string{"images", key[7:]}
	}
	return []string{key}
}

// label is the namespace label of a download key (LAVA's image name).
func label(key string) string { p := splitKey(key); return p[len(p)-1] }

func (tmpfs) Validate(_ context.Context, req sdk.Request) sdk.Diagnostics {
	return validateImages(req)
}

func validateImages(req sdk.Request) sdk.Diagnostics {
	var diags sdk.Diagnostics
	images, _ := req.Block.Params["images"].(map[string]any)
	if len(images) == 0 {
		diags = append(diags, sdk.Diagnostic{Path: "images", Summary: "No images to deploy"})
	}
	for _, k := range downloadKeys(req.Block) {
		u, m := urlOf(req.Block.Params, k)
		if u == "" {
			diags = append(diags, sdk.Diagnostic{Path: k, Summary: fmt.Sprintf("Invalid deploy action: 'url' is missing for '%s'", label(k))})
			continue
		}
		if _, err := actionspec.Download(u); err != nil {
			diags = append(diags, sdk.Diagnostic{Path: k + ".url", Summary: err.Error()})
		}
		if arg, ok := m["image_arg"].(string); ok {
			if _, err := imageArgWords(arg); err != nil {
				diags = append(diags, sdk.Diagnostic{Path: k + ".image_arg", Summary: err.Error()})
			}
		}
	}
	return diags
}

// ---- deploy nfs (for qemu-nfs) ----

type nfs struct{ sdk.Actions }

// NewNFS returns deploy/nfs for devices that boot qemu-nfs (LAVA's DeployQemuNfs).
func NewNFS() sdk.Method { return nfs{deployActions(nfs{}.Describe)} }

func (nfs) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionDeploy, Name: "nfs", Description: "deploy qemu with NFS",
		DeviceSpec: &sdk.BlockSpec{}, JobParams: imageParams}
}

func (nfs) Accepts(req sdk.Request) (bool, string) {
	if _, ok := req.Device.Methods["deploy/nfs"]; !ok {
		return false, `"nfs" is not in the device configuration deploy methods`
	}
	if req.Block.Method != "nfs" {
		return false, `"to" is not "nfs"`
	}
	if _, ok := req.Device.Methods["boot/qemu-nfs"]; !ok {
		return false, `"qemu-nfs" is not in the device configuration boot methods`
	}
	if t, ok := req.Block.Params["type"]; ok && t != "monitor" {
		return false, `"type" was set, but it was not "monitor"`
	}
	if _, ok := req.Block.Params["images"]; !ok {
		return false, `"images" was not in the deployment parameters`
	}
	return true, "accepted"
}

func (nfs) Describe(req sdk.Request) (sdk.ActionSpec, error) {
	top := sdk.ActionSpec{Name: "deploy-qemu-nfs", Class: "DeployQemuNfsAction", Description: "deploy qemu with NFS", Summary: "deploy NFS for QEMU"}
	dl, err := downloadSpecs(req)
	if err != nil {
		return top, err
	}
	top.Children = append(dl, sdk.ActionSpec{Name: "qemu-nfs-deploy", Class: "ExtractNfsAction",
		Description: "deploy nfsrootfs for QEMU", Summary: "NFS deployment for QEMU"})
	if actionspec.NeedsOverlay(req) {
		o, err := actionspec.LavaOverlay(req)
		if err != nil {
			return top, err
		}
		top.Children = append(top.Children, o, sdk.ActionSpec{Name: "apply-overlay-tftp", Class: "ApplyOverlayTftp",
			Description: "unpack the overlay into the nfsrootfs or ramdisk", Summary: "apply lava overlay test files"})
	}
	if actionspec.NeedsDeployment(req) {
		top.Children = append(top.Children, actionspec.DeployDeviceEnv())
	}
	return top, nil
}

func (nfs) Validate(_ context.Context, req sdk.Request) sdk.Diagnostics {
	diags := validateImages(req)
	images, _ := req.Block.Params["images"].(map[string]any)
	if root, ok := images["nfsrootfs"].(map[string]any); ok {
		if pre, ok := root["prefix"].(string); ok {
			if len(pre) > 0 && pre[0] == '/' {
				diags = append(diags, sdk.Diagnostic{Path: "images.nfsrootfs.prefix", Summary: "prefix must not be an absolute path"})
			}
			if len(pre) == 0 || pre[len(pre)-1] != '/' {
				diags = append(diags, sdk.Diagnostic{Path: "images.nfsrootfs.prefix", Summary: "prefix must be a directory and end with /"})
			}
		}
	}
	return diags
}

// ---- boot qemu / qemu-nfs ----

type boot struct {
	name string
	sdk.Actions
}

// NewBoot returns boot/qemu or boot/qemu-nfs.
func NewBoot(name string) sdk.Method { return boot{name: name, Actions: bootActions(name)} }

// DeviceSpec is the device-type block of boot "qemu" and "qemu-nfs"
// (LAVA's qemu.jinja2 `parameters:`).
var DeviceSpec = &sdk.BlockSpec{Attrs: []sdk.AttrSpec{
	{Name: "command", Type: "string", Required: true, Doc: "The QEMU binary (qemu-system-<arch>)."},
	{Name: "boot_options", Type: "any", Doc: "Kernel options installers relate to (root, console, boot_order)."},
	{Name: "options", Type: "list(string)", Doc: "QEMU options; each item is split into words like a shell's (-nographic, -m 512 …)."},
	{Name: "extra", Type: "any", Doc: "More QEMU options (LAVA's extra_options), after options."},
	{Name: "append", Type: "any", Doc: "qemu-nfs: the kernel command line parts (console, root, nfsrootargs, ipargs)."},
	{Name: "available_architectures", Type: "list(string)", Doc: "The job context's arch values the device accepts."},
}}

func (b boot) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionBoot, Name: b.name, Description: "boot image using QEMU command line",
		DeviceSpec: DeviceSpec}
}

func (b boot) Accepts(req sdk.Request) (bool, string) {
	_, q := req.Device.Methods["boot/qemu"]
	_, qn := req.Device.Methods["boot/qemu-nfs"]
	if !q && !qn {
		return false, `"qemu" or "qemu-nfs" was not in the device configuration boot methods`
	}
	if req.Block.Method != b.name {
		return false, fmt.Sprintf(`"method" was not %q`, b.name)
	}
	return true, "accepted"
}

func (b boot) Describe(req sdk.Request) (sdk.ActionSpec, error) {
	top := sdk.ActionSpec{Name: "boot-image-retry", Class: "BootQEMUImageAction", Retry: true,
		Description: "boot image with retry", Summary: "boot with retry"}
	top.Children = append(top.Children, sdk.ActionSpec{Name: "boot-qemu-image", Class: "BootQemuRetry", Retry: true,
		Description: "boot image using QEMU command line", Summary: "boot QEMU image",
		Children: []sdk.ActionSpec{{Name: "execute-qemu", Class: "CallQemuAction",
			Description: "call qemu to boot the image", Summary: "execute qemu to boot the image"}}})
	top.Children = append(top.Children, actionspec.LoginTail(req)...)
	return top, nil
}

// methodBlock is the device's block for this boot (LAVA falls back from qemu to qemu-nfs).
func (b boot) methodBlock(d sdk.Device) map[string]any {
	if m, ok := d.Methods["boot/"+b.name]; ok {
		return m
	}
	if m, ok := d.Methods["boot/qemu"]; ok {
		return m
	}
	return d.Methods["boot/qemu-nfs"]
}

func (b boot) Validate(_ context.Context, req sdk.Request) sdk.Diagnostics {
	var diags sdk.Diagnostics
	arch, _ := req.Job.Context["arch"].(string)
	if arch == "" {
		diags = append(diags, sdk.Diagnostic{Path: "method", Summary: "Missing 'arch' in job context"})
	}
	dm := b.methodBlock(req.Device)
	if archs := availableArchitectures(req.Device, dm); arch != "" && archs != nil && !slices.Contains(archs, arch) {
		diags = append(diags, sdk.Diagnostic{Path: "method",
			Summary: "Non existing architecture specified in context arch parameter. Please check the device configuration for available options."})
	}
	if _, ok := req.Block.Params["prompts"]; !ok && actionspec.HasShell(req) {
		diags = append(diags, sdk.Diagnostic{Path: "prompts", Summary: "Unable to identify boot prompts from job definition."})
	}
	if cmd, _ := dm["command"].(string); cmd == "" {
		diags = append(diags, sdk.Diagnostic{Path: "method", Summary: "No QEMU binary command found - missing context.",
			Detail: fmt.Sprintf("device type %q: its boot %q block sets no command", req.Device.Type, b.name)})
	}
	if _, err := deviceWords(dm); err != nil {
		diags = append(diags, sdk.Diagnostic{Path: "method", Summary: "Unable to parse device options: " + err.Error()})
	}
	if b.name == "qemu-nfs" {
		if _, ok := req.Device.Methods["boot/qemu-nfs"]["append"].(map[string]any); !ok {
			diags = append(diags, sdk.Diagnostic{Path: "method", Summary: "Invalid device configuration - missing parameters",
				Detail: "the device's boot \"qemu-nfs\" block has no append"})
		}
	}
	diags = append(diags, actionspec.ValidateAutoLogin(req.Block.Params)...)
	return diags
}

// availableArchitectures is the device's list (the boot block's, else the
// constant LAVA's rendered files keep at the top level); nil: not known.
func availableArchitectures(d sdk.Device, dm map[string]any) []string {
	for _, v := range []any{dm["available_architectures"], d.Constants["available_architectures"]} {
		if l, ok := v.([]any); ok {
			out := make([]string, 0, len(l))
			for _, e := range l {
				out = append(out, fmt.Sprint(e))
			}
			return out
		}
	}
	return nil
}
