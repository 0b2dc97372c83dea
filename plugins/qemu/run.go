package qemu

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/archive"
	"github.com/lavacore/lavacore/sdk/bootflow"
	"github.com/lavacore/lavacore/sdk/download"
)

// Namespace data of a QEMU deployment (action, label, key).
var (
	keyDir    = [3]string{"deployimages", "image", "dir"}
	keyUEFI   = [3]string{"deployimages", "image", "uefi_dir"}
	keyImages = [3]string{"deployimages", "image", "labels"} // JSON list, in the job's order
	keyGuest  = [3]string{"apply-overlay-guest", "guest", "filename"}
	keyUUID   = [3]string{"apply-overlay-guest", "guest", "UUID"}
	keyPre    = [3]string{"test", "lava-test-shell", "pre-command-list"}
)

func fileKey(label string) [3]string { return [3]string{"download-action", label, "file"} }
func argKey(label string) [3]string  { return [3]string{"download-action", label, "image_arg"} }

// deployActions is the code of deployimages' and deploy-qemu-nfs' trees.
func deployActions(describe func(sdk.Request) (sdk.ActionSpec, error)) sdk.Actions {
	fetch := fetcher{describe}
	t := sdk.Actions{
		"deployimages":        deployDir{},
		"deploy-qemu-nfs":     deployDir{},
		"download-retry":      sdk.Group{},
		"http-download":       fetch,
		"file-download":       fetch,
		"scp-download":        fetch, // download.Fetch says the scheme is unsupported
		"pre-downloaded":      fetch, // idem
		"deploy-device-env":   sdk.Noop("compress-overlay writes the environment file into the overlay"),
		"apply-overlay-guest": sdk.ActionFunc(applyOverlayGuest),
		"qemu-nfs-deploy":     sdk.ActionFunc(extractNFS),
		"apply-overlay-tftp":  sdk.ActionFunc(applyOverlayNFS),
		"lava-create-overlay": sdk.Noop("image overlays are refused by their download"),
		"append-overlays":     sdk.Noop("image overlays are refused by their download"),
	}
	maps.Copy(t, bootflow.OverlayActions(describe))
	return t
}

// deployDir makes the deployment's directory (LAVA's mkdtemp) and removes
// it, with an extracted NFS root, when the job is over.
type deployDir struct{}

func (deployDir) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	if call.Dispatcher.WorkDir == "" {
		return sdk.ConfigErrorf("%s: the dispatcher has no work directory", call.Action)
	}
	dir := filepath.Join(call.Dispatcher.WorkDir, call.Job.ID, call.Action+"-"+strings.ReplaceAll(call.Level, ".", "-"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return sdk.InfraErrorf("%s: %v", call.Action, err)
	}
	labels := []string{}
	for _, k := range downloadKeys(call.Block) {
		if k != "uefi" {
			labels = append(labels, label(k))
		}
	}
	b, _ := json.Marshal(labels)
	if err := host.Set(keyImages[0], keyImages[1], keyImages[2], string(b)); err != nil {
		return err
	}
	return bootflow.SetString(host, keyDir, dir)
}

func (deployDir) Cleanup(ctx context.Context, call sdk.Call, host sdk.Host) error {
	if os.Getenv("LAVACORE_KEEP") != "" {
		return nil
	}
	rd := bootflow.Reader{H: host}
	dir, nfs := rd.String(keyDir), rd.String(bootflow.KeyNFSRoot)
	if rd.Err != nil {
		return rd.Err
	}
	var errs []string
	if dir != "" {
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if nfs != "" && call.Dispatcher.NFSRoot != "" && strings.HasPrefix(nfs, call.Dispatcher.NFSRoot+"/") {
		if err := os.RemoveAll(filepath.Join(call.Dispatcher.NFSRoot, call.Job.ID)); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return sdk.InfraErrorf("%s cleanup: %s", call.Action, strings.Join(errs, "; "))
	}
	return nil
}

// fetcher downloads the image a download-retry stands for: the n-th
// download-retry of the tree is the n-th of downloadKeys (two images may
// have the same url).
type fetcher struct {
	describe func(sdk.Request) (sdk.ActionSpec, error)
}

func (f fetcher) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	top, err := f.describe(call.Request)
	if err != nil {
		return err
	}
	path, spec, ok := bootflow.SpecPath(top, call.Level)
	if ok && len(path) == 3 {
		return sdk.JobErrorf("%s %s: image overlays are not supported by lavacore yet", call.Level, spec.URL)
	}
	if !ok || len(path) != 2 {
		return &sdk.Error{Type: sdk.Bug, Msg: fmt.Sprintf("%s %s: not a download of the %s tree", call.Level, call.Action, top.Name)}
	}
	n := 0
	for _, c := range top.Children[:path[0]] {
		if c.Name == "download-retry" {
			n++
		}
	}
	keys := downloadKeys(call.Block)
	if n >= len(keys) {
		return &sdk.Error{Type: sdk.Bug, Msg: fmt.Sprintf("%s: download %d of %d", call.Action, n+1, len(keys))}
	}
	key := keys[n]
	u, res := urlOf(call.Block.Params, key)
	if u != spec.URL {
		return &sdk.Error{Type: sdk.Bug, Msg: fmt.Sprintf("%s: %s has the url %s, not %s", call.Action, key, u, spec.URL)}
	}
	dir, err := bootflow.GetString(host, keyDir)
	if err != nil {
		return err
	}
	lbl := label(key)
	dest := dir
	if key == "uefi" {
		dest = filepath.Join(dir, "uefi")
	}
	ds := download.ArtefactSpec(lbl, u, res, call.Dispatcher)
	if lbl == "nfsrootfs" {
		ds.Compression = "" // extracted by qemu-nfs-deploy, which detects it
	}
	r, err := download.FetchForAction(ctx, call, host, ds, dest)
	if err != nil {
		return err
	}
	if err := bootflow.SetString(host, fileKey(lbl), r.Path); err != nil {
		return err
	}
	if key == "uefi" {
		if err := bootflow.SetString(host, keyUEFI, filepath.Dir(r.Path)); err != nil {
			return err
		}
	} else if err := bootflow.SetString(host, argKey(lbl), bootflow.Str(res, "image_arg")); err != nil {
		return err
	}
	return host.Result(download.ActionResult(call, r))
}

// overlayMaxBytes bounds the overlay's extraction.
const overlayMaxBytes int64 = 4 << 30

// extractNFS unpacks the nfsrootfs image under the lab's NFS root.
func extractNFS(ctx context.Context, call sdk.Call, host sdk.Host) error {
	tarball, err := bootflow.GetString(host, fileKey("nfsrootfs"))
	if err != nil || tarball == "" {
		return err
	}
	if call.Dispatcher.NFSRoot == "" {
		return sdk.ConfigErrorf("the lab has no nfs_root to export the nfsrootfs from")
	}
	dir := filepath.Join(call.Dispatcher.NFSRoot, call.Job.ID, "qemu-nfs-deploy")
	if err := os.RemoveAll(dir); err != nil {
		return sdk.InfraErrorf("qemu-nfs-deploy: %v", err)
	}
	if _, err := archive.ExtractFile(ctx, tarball, dir, archive.Options{Log: func(m string) { _ = host.Log(sdk.LevelWarning, m) }}); err != nil {
		return sdk.InfraErrorf("qemu-nfs-deploy: %v", err)
	}
	root := dir
	images, _ := call.Block.Params["images"].(map[string]any)
	if res, ok := images["nfsrootfs"].(map[string]any); ok {
		if pre := bootflow.Str(res, "prefix"); pre != "" {
			in, err := archive.Resolve(dir, pre)
			if err != nil {
				return sdk.JobErrorf("nfsrootfs prefix: %v", err)
			}
			root = filepath.Join(dir, filepath.FromSlash(in))
			if err := host.Log(sdk.LevelWarning, fmt.Sprintf("Adding '%s' prefix, any other content will not be visible.", pre)); err != nil {
				return err
			}
		}
	}
	if err := bootflow.SetString(host, bootflow.KeyNFSRoot, root); err != nil {
		return err
	}
	if err := bootflow.SetString(host, bootflow.KeyNFSServer, call.Dispatcher.IP); err != nil {
		return err
	}
	return host.Log(sdk.LevelDebug, "Extracted nfsroot to "+root)
}

// applyOverlayNFS unpacks the overlay into the extracted NFS root.
func applyOverlayNFS(ctx context.Context, call sdk.Call, host sdk.Host) error {
	rd := bootflow.Reader{H: host}
	ov, root := rd.String(bootflow.KeyOverlay), rd.String(bootflow.KeyNFSRoot)
	if rd.Err != nil {
		return rd.Err
	}
	if ov == "" || root == "" {
		return sdk.InfraErrorf("apply-overlay-tftp: no overlay or no nfsrootfs to apply it to")
	}
	if _, err := archive.ExtractFile(ctx, ov, root, archive.Options{MaxBytes: overlayMaxBytes}); err != nil {
		return sdk.InfraErrorf("apply-overlay-tftp: %v", err)
	}
	return host.Log(sdk.LevelInfo, "overlay applied to "+root)
}
