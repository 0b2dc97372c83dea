// Package tftp is the deploy "tftp" method (LAVA's TftpAction): it downloads
// the block's images into the dispatcher's TFTP directory, unpacks the NFS
// root, applies the test-shell overlay and rebuilds the ramdisk.
package tftp

import (
	"context"
	"fmt"
	"sort"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/actionspec"
)

// DownloadKeys is LAVA's fixed order of tftp downloads (not the job's order).
var DownloadKeys = []string{"ramdisk", "kernel", "dtb", "nfsrootfs", "modules", "preseed", "tee"}

type method struct{ sdk.Actions }

// New returns the deploy/tftp method.
func New() sdk.Method { return method{actions()} }

// Methods returns every method of this package.
func Methods() []sdk.Method { return []sdk.Method{New(), NewNFS()} }

func (method) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionDeploy, Name: "tftp",
		Description: "download files and deploy using tftp", DeviceSpec: &sdk.BlockSpec{}, JobParams: JobParams}
}

// JobParams are the keys of a tftp deploy block (LAVA's deploy/tftp schema).
var JobParams = []sdk.ParamSpec{
	{Key: "kernel", Type: sdk.ParamArtifact, Doc: "The kernel image.", Fields: []sdk.ParamSpec{
		{Key: "type", Type: sdk.ParamString, Enum: []string{"image", "uimage", "zimage"}, Doc: "How the bootloader loads it."}}},
	{Key: "dtb", Type: sdk.ParamArtifact, Doc: "The device tree blob."},
	{Key: "dtbo", Type: sdk.ParamArtifactList, Doc: "Device tree overlays."},
	{Key: "modules", Type: sdk.ParamArtifact, Doc: "A tarball of kernel modules, installed in the ramdisk or NFS root."},
	{Key: "preseed", Type: sdk.ParamArtifact},
	{Key: "tee", Type: sdk.ParamArtifact},
	{Key: "ramdisk", Type: sdk.ParamArtifact, Doc: "The initramfs.", Fields: []sdk.ParamSpec{
		{Key: "install_modules", Type: sdk.ParamBool},
		{Key: "install_overlay", Type: sdk.ParamBool},
		{Key: "header", Type: sdk.ParamString, Enum: []string{"u-boot"}, Doc: "The ramdisk has (u-boot) or gets a u-boot header."}}},
	{Key: "nfsrootfs", Type: sdk.ParamArtifact, Doc: "A root file system tarball, served over NFS.", Fields: []sdk.ParamSpec{
		{Key: "install_modules", Type: sdk.ParamBool},
		{Key: "install_overlay", Type: sdk.ParamBool},
		{Key: "prefix", Type: sdk.ParamRelPath, Within: "the nfsrootfs", Doc: "The root's directory inside the tarball."}}},
	{Key: "persistent_nfs", Type: sdk.ParamMap, Doc: "An NFS root the lab already serves.", Fields: []sdk.ParamSpec{
		{Key: "address", Type: sdk.ParamString, Required: true, Doc: "server:/path"},
		{Key: "install_overlay", Type: sdk.ParamBool}}},
	{Key: "extra_files", Type: sdk.ParamFileURLs, Doc: "More files for the TFTP directory, by name."},
}

func (method) Accepts(req sdk.Request) (bool, string) {
	if req.Block.Method != "tftp" {
		return false, `"to" parameter is not "tftp"`
	}
	if _, ok := req.Device.Methods["deploy/tftp"]; !ok {
		return false, `"tftp" is not in the device configuration deploy methods`
	}
	return true, "accepted"
}

// downloads returns the block's download keys and urls in LAVA's order:
// DownloadKeys, then dtbo entries, then extra_files by name.
func downloads(params map[string]any) (keys, urls []string) {
	for _, k := range DownloadKeys {
		if u, ok := actionspec.URLOf(params, k); ok {
			keys, urls = append(keys, k), append(urls, u)
		}
	}
	if list, ok := params["dtbo"].([]any); ok {
		for i, d := range list {
			if m, ok := d.(map[string]any); ok {
				if u, ok := m["url"].(string); ok {
					keys, urls = append(keys, fmt.Sprintf("dtbo%d", i)), append(urls, u)
				}
			}
		}
	}
	if extra, ok := params["extra_files"].(map[string]any); ok {
		names := make([]string, 0, len(extra))
		for n := range extra {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if u, ok := extra[n].(string); ok {
				keys, urls = append(keys, "extra_files/"+n), append(urls, u)
			}
		}
	}
	return keys, urls
}

func (method) Describe(req sdk.Request) (sdk.ActionSpec, error) {
	p := req.Block.Params
	top := sdk.ActionSpec{Name: "tftp-deploy", Class: "TftpAction",
		Description: "download files and deploy using tftp", Summary: "tftp deployment"}
	overlay := actionspec.NeedsOverlay(req)
	if overlay {
		o, err := actionspec.LavaOverlay(req)
		if err != nil {
			return top, err
		}
		top.Children = append(top.Children, o)
	}
	keys, urls := downloads(p)
	for i := range keys {
		d, err := actionspec.Download(urls[i])
		if err != nil {
			return top, err
		}
		top.Children = append(top.Children, d)
	}
	prep := sdk.ActionSpec{Name: "prepare-tftp-overlay", Class: "PrepareOverlayTftp",
		Description: "extract ramdisk or nfsrootfs in preparation for lava overlay", Summary: "extract ramdisk or nfsrootfs"}
	prep.Children = append(prep.Children,
		sdk.ActionSpec{Name: "extract-nfsrootfs", Class: "ExtractNfsRootfs", Description: "unpack nfsrootfs", Summary: "unpack nfsrootfs, ready to apply lava overlay"},
		sdk.ActionSpec{Name: "parse-persistent-nfs", Class: "ParsePersistentNFS", Description: "parse persistent nfs", Summary: "parse persistent nfs"},
		sdk.ActionSpec{Name: "extract-overlay-ramdisk", Class: "ExtractRamdisk", Description: "extract ramdisk to a temporary directory", Summary: "extract the ramdisk"},
		sdk.ActionSpec{Name: "extract-modules", Class: "ExtractModules", Description: "extract supplied kernel modules", Summary: "extract kernel modules"},
	)
	if overlay {
		prep.Children = append(prep.Children, sdk.ActionSpec{Name: "apply-overlay-tftp", Class: "ApplyOverlayTftp",
			Description: "unpack the overlay into the nfsrootfs or ramdisk", Summary: "apply lava overlay test files"})
	}
	if k, ok := p["kernel"].(map[string]any); ok {
		if _, ok := k["type"]; ok {
			prep.Children = append(prep.Children, prepareKernel(req))
		}
	}
	prep.Children = append(prep.Children,
		sdk.ActionSpec{Name: "configure-preseed-file", Class: "ConfigurePreseedFile",
			Description: "add commands to automated installers, to copy the lava test overlay to the installed system", Summary: "add commands to installer config"},
		sdk.ActionSpec{Name: "compress-ramdisk", Class: "CompressRamdisk",
			Description: "recreate a ramdisk with the overlay applied.", Summary: "compress ramdisk with overlay"},
	)
	top.Children = append(top.Children, prep)
	if actionspec.NeedsDeployment(req) {
		top.Children = append(top.Children, actionspec.DeployDeviceEnv())
	}
	return top, nil
}

func (method) Validate(_ context.Context, req sdk.Request) sdk.Diagnostics {
	p := req.Block.Params
	var diags sdk.Diagnostics
	if _, ok := p["nfsrootfs"]; ok {
		if _, ok := p["persistent_nfs"]; ok {
			diags = append(diags, sdk.Diagnostic{Path: "persistent_nfs", Summary: "Only one of nfsrootfs or persistent_nfs can be specified"})
		}
	}
	if pn, ok := p["persistent_nfs"].(map[string]any); ok {
		if a, _ := pn["address"].(string); a == "" {
			diags = append(diags, sdk.Diagnostic{Path: "persistent_nfs.address", Summary: "required key not provided: address"})
		}
	}
	keys, urls := downloads(p)
	for i := range keys {
		if _, err := actionspec.Download(urls[i]); err != nil {
			diags = append(diags, sdk.Diagnostic{Path: keys[i] + ".url", Summary: err.Error()})
		}
	}
	diags = append(diags, validateKernel(req)...)
	diags = append(diags, validateHeader(req)...)
	if len(keys) == 0 && p["persistent_nfs"] == nil {
		diags = append(diags, sdk.Diagnostic{Severity: sdk.SevWarning, Summary: "nothing to deploy: no kernel, ramdisk, dtb or nfsrootfs"})
	}
	return diags
}
