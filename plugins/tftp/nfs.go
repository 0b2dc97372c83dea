package tftp

import (
	"context"
	"maps"
	"os"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/actionspec"
	"github.com/lavacore/lavacore/sdk/bootflow"
)

// nfsMethod is deploy "nfs" (LAVA's NfsAction): download the nfsrootfs (and
// modules), unpack it under the lab's NFS root and apply the overlay; the
// boot (u-boot's nfs commands, grub …) mounts it from the dispatcher.
type nfsMethod struct{ sdk.Actions }

// NewNFS returns the deploy/nfs method.
func NewNFS() sdk.Method { return nfsMethod{nfsActions()} }

func nfsActions() sdk.Actions {
	fetch := fetcher{nfsMethod{}.Describe}
	t := sdk.Actions{
		"nfs-deploy":         nfsDeploy{},
		"download-retry":     sdk.Group{},
		"http-download":      fetch,
		"file-download":      fetch,
		"scp-download":       fetch,
		"pre-downloaded":     fetch,
		"extract-nfsrootfs":  sdk.ActionFunc(extractNFS),
		"extract-modules":    sdk.ActionFunc(extractModules),
		"apply-overlay-tftp": sdk.ActionFunc(applyOverlay),
		"deploy-device-env":  sdk.Noop("compress-overlay writes the environment file into the overlay"),
	}
	maps.Copy(t, bootflow.OverlayActions(nfsMethod{}.Describe))
	return t
}

func (nfsMethod) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionDeploy, Name: "nfs", Description: "deploy nfsrootfs", DeviceSpec: &sdk.BlockSpec{}}
}

func (nfsMethod) Accepts(req sdk.Request) (bool, string) {
	if req.Block.Method != "nfs" {
		return false, `"to" parameter is not "nfs"`
	}
	if _, ok := req.Device.Methods["deploy/image"]; ok {
		return false, `"image" was in the device configuration deploy methods`
	}
	if _, ok := req.Device.Methods["deploy/nfs"]; !ok {
		return false, `"nfs" was not in the device configuration deploy methods"`
	}
	return true, "accepted"
}

func (nfsMethod) Describe(req sdk.Request) (sdk.ActionSpec, error) {
	p := req.Block.Params
	top := sdk.ActionSpec{Name: "nfs-deploy", Class: "NfsAction", Description: "deploy nfsrootfs", Summary: "NFS deployment"}
	for _, k := range []string{"nfsrootfs", "modules"} {
		if u, ok := actionspec.URLOf(p, k); ok {
			d, err := actionspec.Download(u)
			if err != nil {
				return top, err
			}
			top.Children = append(top.Children, d)
		}
	}
	top.Children = append(top.Children, sdk.ActionSpec{Name: "extract-nfsrootfs", Class: "ExtractNfsRootfs",
		Description: "unpack nfsrootfs", Summary: "unpack nfsrootfs, ready to apply lava overlay"})
	o, err := actionspec.LavaOverlay(req)
	if err != nil {
		return top, err
	}
	top.Children = append(top.Children, o,
		sdk.ActionSpec{Name: "extract-modules", Class: "ExtractModules", Description: "extract supplied kernel modules", Summary: "extract kernel modules"},
		sdk.ActionSpec{Name: "apply-overlay-tftp", Class: "ApplyOverlayTftp",
			Description: "unpack the overlay into the nfsrootfs or ramdisk", Summary: "apply lava overlay test files"})
	if actionspec.NeedsDeployment(req) {
		top.Children = append(top.Children, actionspec.DeployDeviceEnv())
	}
	return top, nil
}

func (nfsMethod) Validate(_ context.Context, req sdk.Request) sdk.Diagnostics {
	p := req.Block.Params
	var diags sdk.Diagnostics
	_, hasRoot := p["nfsrootfs"]
	if _, ok := p["persistent_nfs"]; ok && hasRoot {
		diags = append(diags, sdk.Diagnostic{Path: "persistent_nfs", Summary: "Only one of nfsrootfs or persistent_nfs can be specified"})
	}
	if !hasRoot {
		diags = append(diags, sdk.Diagnostic{Path: "nfsrootfs", Summary: "required key not provided: nfsrootfs"})
	}
	for _, k := range []string{"nfsrootfs", "modules"} {
		if u, ok := actionspec.URLOf(p, k); ok {
			if _, err := actionspec.Download(u); err != nil {
				diags = append(diags, sdk.Diagnostic{Path: k + ".url", Summary: err.Error()})
			}
		}
	}
	return diags
}

// nfsDeploy removes the unpacked nfsrootfs when the job is over.
type nfsDeploy struct{}

// Run has nothing of its own to do: its children deploy.
func (nfsDeploy) Run(ctx context.Context, call sdk.Call, host sdk.Host) error { return nil }

// Cleanup removes the nfsrootfs from the NFS root (extract-nfsrootfs unpacks
// it to <nfs_root>/<job_id>/extract-nfsrootfs).
func (nfsDeploy) Cleanup(ctx context.Context, call sdk.Call, host sdk.Host) error {
	if call.Dispatcher.NFSRoot == "" || call.Job.ID == "" || os.Getenv("LAVACORE_KEEP") != "" {
		return nil
	}
	if err := os.RemoveAll(nfsDir(call)); err != nil {
		return sdk.InfraErrorf("nfs-deploy cleanup: %v", err)
	}
	return nil
}
