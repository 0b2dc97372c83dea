package tftp

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
	"github.com/lavacore/lavacore/sdk/lavaversion"
	"github.com/lavacore/lavacore/sdk/ramdisk"
)

// Namespace data of this deployment.
var (
	keyTFTPDir  = [3]string{"tftp-deploy", "tftp", "tftp_dir"}
	keySuffix   = [3]string{"tftp-deploy", "tftp", "suffix"}
	keyRamdiskD = [3]string{"extract-overlay-ramdisk", "extracted_ramdisk", "directory"}
)

func fileKey(key string) [3]string { return [3]string{"download-action", key, "file"} }
func relKey(key string) [3]string  { return [3]string{"download-action", "file", key} }
func compKey(key string) [3]string { return [3]string{"download-action", key, "compression"} }

// extractedKey is where a download streamed its archive (Spec.ExtractDir).
func extractedKey(key string) [3]string { return [3]string{"download-action", key, "extracted"} }
func metaKey(name string) [3]string     { return [3]string{"extract-overlay-ramdisk", "meta", name} }

// actions is the code of every action tftp-deploy's tree declares.
func actions() sdk.Actions {
	fetch := fetcher{method{}.Describe}
	t := sdk.Actions{
		"tftp-deploy":             tftpDeploy{},
		"download-retry":          sdk.Group{},
		"http-download":           fetch,
		"file-download":           fetch,
		"scp-download":            fetch, // download.Fetch says the scheme is unsupported
		"pre-downloaded":          fetch, // idem
		"prepare-tftp-overlay":    sdk.Group{},
		"extract-nfsrootfs":       sdk.ActionFunc(extractNFS),
		"parse-persistent-nfs":    sdk.ActionFunc(parsePersistentNFS),
		"extract-overlay-ramdisk": sdk.ActionFunc(extractRamdisk),
		"extract-modules":         sdk.ActionFunc(extractModules),
		"apply-overlay-tftp":      sdk.ActionFunc(applyOverlay),
		"prepare-kernel":          sdk.Noop("its child uboot-prepare-kernel does the work; other bootloaders boot the kernel as it is"),
		"uboot-prepare-kernel":    sdk.ActionFunc(ubootPrepareKernel),
		"configure-preseed-file":  sdk.Noop("no preseed support"),
		"compress-ramdisk":        sdk.ActionFunc(compressRamdisk),
		"deploy-device-env":       sdk.Noop("compress-overlay writes the environment file into the overlay"),
	}
	maps.Copy(t, bootflow.OverlayActions(method{}.Describe))
	return t
}

// tftpDeploy makes the job's TFTP directory, and removes it and the NFS root
// when the job is over.
type tftpDeploy struct{}

// Run makes <tftp_root>/<job_id>/tftp-deploy-<level>/.
func (tftpDeploy) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	return prepareDirs(call, host)
}

// parsePersistentNFS records a persistent_nfs address as the NFS server and root.
func parsePersistentNFS(ctx context.Context, call sdk.Call, host sdk.Host) error {
	pn, ok := call.Block.Params["persistent_nfs"].(map[string]any)
	if !ok {
		return nil
	}
	addr := bootflow.Str(pn, "address")
	i := strings.Index(addr, ":")
	if i < 1 {
		return sdk.JobErrorf("persistent_nfs address %q must be server:/path", addr)
	}
	if err := bootflow.SetString(host, bootflow.KeyNFSServer, addr[:i]); err != nil {
		return err
	}
	return bootflow.SetString(host, bootflow.KeyNFSRoot, addr[i+1:])
}

// Cleanup removes what the deployment put in the TFTP and NFS roots.
func (tftpDeploy) Cleanup(ctx context.Context, call sdk.Call, host sdk.Host) error {
	var errs []string
	rd := bootflow.Reader{H: host}
	tftpDir, nfsRoot, ramdiskD := rd.String(keyTFTPDir), rd.String(bootflow.KeyNFSRoot), rd.String(keyRamdiskD)
	if rd.Err != nil {
		return rd.Err
	}
	if strings.HasPrefix(ramdiskD, memoryDir+"/") {
		// an unpacked ramdisk left in memory by a job that failed before compress-ramdisk
		if err := os.RemoveAll(ramdiskD); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if d := tftpDir; d != "" && os.Getenv("LAVACORE_KEEP") == "" {
		if err := os.RemoveAll(filepath.Dir(d)); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if d := nfsRoot; d != "" && strings.HasPrefix(d, call.Dispatcher.NFSRoot) && os.Getenv("LAVACORE_KEEP") == "" {
		// the job's whole tree, <nfs_root>/<job_id>/: extract-nfsrootfs
		// (the NFS root may be a prefix below it) and the job's directory
		job := filepath.Join(call.Dispatcher.NFSRoot, call.Job.ID)
		if err := os.RemoveAll(filepath.Join(job, "extract-nfsrootfs")); err != nil {
			errs = append(errs, err.Error())
		}
		if err := os.RemoveAll(d); err != nil {
			errs = append(errs, err.Error())
		}
		if err := os.Remove(job); err != nil && !os.IsNotExist(err) {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return sdk.InfraErrorf("tftp-deploy cleanup: %s", strings.Join(errs, "; "))
	}
	return nil
}

// prepareDirs makes <tftp_root>/<job_id>/tftp-deploy-<level>/ (LAVA: a mkdtemp).
func prepareDirs(call sdk.Call, host sdk.Host) error {
	root := call.Dispatcher.TFTPRoot
	if root == "" {
		return sdk.ConfigErrorf("the lab has no tftp_root")
	}
	suffix := filepath.Join(call.Job.ID, "tftp-deploy-"+strings.ReplaceAll(call.Level, ".", "-"))
	dir := filepath.Join(root, suffix)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return sdk.InfraErrorf("tftp-deploy: %v", err)
	}
	if err := bootflow.SetString(host, keyTFTPDir, dir); err != nil {
		return err
	}
	if err := bootflow.SetString(host, keySuffix, suffix); err != nil {
		return err
	}
	return host.Log(sdk.LevelDebug, "tftp directory: "+dir)
}

// fetcher is a download handler (http-download …): it fetches the key its
// download-retry stands for, found by its url in the deploy's tree.
type fetcher struct {
	describe func(sdk.Request) (sdk.ActionSpec, error)
}

// Run fetches the artefact.
func (f fetcher) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	top, err := f.describe(call.Request)
	if err == nil {
		top, err = lavaversion.ForRequest(call.Request, top)
	}
	if err != nil {
		return err
	}
	path, spec, ok := bootflow.SpecPath(top, call.Level)
	if !ok || len(path) < 1 {
		return sdk.InfraErrorf("%s %s: not in the %s tree", call.Level, call.Action, top.Name)
	}
	keys, urls := downloads(call.Block.Params)
	var key string
	for i, u := range urls {
		if u == spec.URL {
			key = keys[i]
			break
		}
	}
	if key == "" {
		return sdk.InfraErrorf("%s: no artefact of the block has the url %s", call.Action, spec.URL)
	}
	res, _ := call.Block.Params[strings.Split(key, "/")[0]].(map[string]any)
	tftpDir, err := bootflow.GetString(host, keyTFTPDir)
	if err != nil {
		return err
	}
	dest := tftpDir
	if key == "nfsrootfs" || key == "modules" || dest == "" {
		dest = filepath.Join(call.Dispatcher.WorkDir, "downloads", call.Job.ID)
	}
	ds := download.ArtefactSpec(key, spec.URL, res, call.Dispatcher)
	if key == "nfsrootfs" || key == "modules" {
		// Extracted by package archive, which detects the compression and
		// decompresses as it extracts: no decompressed copy is written.
		ds.Compression = ""
	}
	if key == "nfsrootfs" && call.Dispatcher.NFSRoot != "" && call.Job.ID != "" {
		// Streamed: download, hashes, decompression and extraction in one
		// pass, straight into the directory extract-nfsrootfs exports.
		ds.Archive, ds.ExtractDir = "tar", nfsDir(call)
		ds.ArchiveLog = func(msg string) { host.Log(sdk.LevelWarning, msg) }
	}
	r, err := download.FetchForAction(ctx, call, host, ds, dest)
	if err != nil {
		return err
	}
	if r.Dir != "" {
		if err := bootflow.SetString(host, extractedKey(key), r.Dir); err != nil {
			return err
		}
		x := r.Extracted
		host.Log(sdk.LevelDebug, fmt.Sprintf("%s: extracted while downloading: %d members, %d bytes (%s)", key, x.Entries, x.Bytes, orNone(x.Compression)))
	}
	if err := bootflow.SetString(host, fileKey(key), r.Path); err != nil {
		return err
	}
	if err := bootflow.SetString(host, compKey(key), bootflow.Str(res, "compression")); err != nil {
		return err
	}
	if call.Dispatcher.TFTPRoot != "" && strings.HasPrefix(r.Path, call.Dispatcher.TFTPRoot+"/") {
		rel := strings.TrimPrefix(r.Path, call.Dispatcher.TFTPRoot+"/")
		if err := bootflow.SetString(host, relKey(key), rel); err != nil {
			return err
		}
		if key == "ramdisk" {
			if err := bootflow.SetString(host, bootflow.KeyRamdisk, rel); err != nil {
				return err
			}
		}
	}
	return host.Result(download.ActionResult(call, r))
}

// nfsDir is where the nfsrootfs is unpacked: <nfs_root>/<job_id>/extract-nfsrootfs.
func nfsDir(call sdk.Call) string {
	return filepath.Join(call.Dispatcher.NFSRoot, call.Job.ID, "extract-nfsrootfs")
}

// extractNFS unpacks nfsrootfs under the lab's NFS root: <nfs_root>/<job_id>/extract-nfsrootfs/
// (done already when the download streamed it there).
func extractNFS(ctx context.Context, call sdk.Call, host sdk.Host) error {
	data := bootflow.Reader{H: host}
	tarball, streamed := data.String(fileKey("nfsrootfs")), data.String(extractedKey("nfsrootfs"))
	if data.Err != nil || (tarball == "" && streamed == "") {
		return data.Err
	}
	if call.Dispatcher.NFSRoot == "" {
		return sdk.ConfigErrorf("the lab has no nfs_root to export the nfsrootfs from")
	}
	dir := nfsDir(call)
	if streamed != dir {
		if err := os.RemoveAll(dir); err != nil {
			return sdk.InfraErrorf("extract-nfsrootfs: %v", err)
		}
		if err := untar(ctx, host, tarball, dir, 0); err != nil {
			return sdk.InfraErrorf("extract-nfsrootfs: %v", err)
		}
	}
	root := dir
	if res, ok := call.Block.Params["nfsrootfs"].(map[string]any); ok {
		if pre := bootflow.Str(res, "prefix"); pre != "" {
			if filepath.IsAbs(pre) || strings.Contains(pre, "..") {
				return sdk.JobErrorf("nfsrootfs prefix %q must be a relative path", pre)
			}
			// Resolved inside the tree: a prefix that is a link out of it
			// would make every later extraction write there.
			in, err := archive.Resolve(dir, pre)
			if err != nil {
				return sdk.JobErrorf("nfsrootfs prefix: %v", err)
			}
			root = filepath.Join(dir, filepath.FromSlash(in))
		}
	}
	if err := bootflow.SetString(host, bootflow.KeyNFSRoot, root); err != nil {
		return err
	}
	if err := bootflow.SetString(host, bootflow.KeyNFSServer, call.Dispatcher.IP); err != nil {
		return err
	}
	return host.Log(sdk.LevelInfo, "nfsrootfs extracted to "+root)
}

// Budgets of the archives a tftp deploy extracts (archive.DefaultMaxBytes for
// the nfsrootfs): kernel modules, debug symbols included, stay well under the
// first, and the overlay holds scripts and test definitions.
const (
	modulesMaxBytes int64 = 16 << 30
	overlayMaxBytes int64 = 4 << 30
)

// untar extracts a (possibly compressed) tarball into dir with lavacore's
// hardened extractor: nothing is written outside dir, even through symbolic
// links an earlier archive left in it (see package archive).
func untar(ctx context.Context, host sdk.Host, tarball, dir string, maxBytes int64) error {
	res, err := archive.ExtractFile(ctx, tarball, dir, archive.Options{MaxBytes: maxBytes,
		Log: func(msg string) { host.Log(sdk.LevelWarning, msg) }})
	if err != nil {
		return err
	}
	host.Log(sdk.LevelDebug, fmt.Sprintf("%s: %d members, %d bytes (%s)", filepath.Base(tarball), res.Entries, res.Bytes, orNone(res.Compression)))
	return nil
}

func orNone(comp string) string {
	if comp == "" {
		return "not compressed"
	}
	return comp
}

func installFlag(call sdk.Call, key, flag string) bool {
	res, _ := call.Block.Params[key].(map[string]any)
	if v, ok := res[flag].(bool); ok {
		return v
	}
	return true
}

// extractRamdisk unpacks the ramdisk when modules or the overlay go into it.
func extractRamdisk(ctx context.Context, call sdk.Call, host sdk.Host) error {
	path, err := bootflow.GetString(host, fileKey("ramdisk"))
	if err != nil || path == "" {
		return err
	}
	_, hasNFS := call.Block.Params["nfsrootfs"]
	_, hasModules := call.Block.Params["modules"]
	needModules := hasModules && installFlag(call, "ramdisk", "install_modules")
	needOverlay := !hasNFS && installFlag(call, "ramdisk", "install_overlay")
	if !needModules && !needOverlay {
		return nil
	}
	dir := ramdiskDir(call.Dispatcher.WorkDir, call.Job.ID, path)
	_ = os.RemoveAll(dir)
	res, _ := call.Block.Params["ramdisk"].(map[string]any)
	info, err := ramdisk.UnpackWith(ctx, path, dir, ramdisk.Options{UBootHeader: bootflow.Str(res, "header") == "u-boot"})
	if err != nil {
		return sdk.InfraErrorf("extract-overlay-ramdisk: %v", err)
	}
	if err := bootflow.SetString(host, keyRamdiskD, dir); err != nil {
		return err
	}
	meta, err := json.Marshal(info.Meta)
	if err != nil {
		return &sdk.Error{Type: sdk.Bug, Msg: fmt.Sprintf("extract-overlay-ramdisk: %v", err)}
	}
	if err := host.Set(metaKey("meta")[0], metaKey("meta")[1], metaKey("meta")[2], string(meta)); err != nil {
		return err
	}
	if err := bootflow.SetString(host, metaKey("compression"), info.Compression); err != nil {
		return err
	}
	return host.Log(sdk.LevelInfo, fmt.Sprintf("ramdisk extracted: %d entries (%s)", info.Entries, info.Compression))
}

func extractModules(ctx context.Context, call sdk.Call, host sdk.Host) error {
	data := bootflow.Reader{H: host}
	tarball := data.String(fileKey("modules"))
	if data.Err != nil || tarball == "" {
		return data.Err
	}
	var targets []string
	if nfs := data.String(bootflow.KeyNFSRoot); nfs != "" && installFlag(call, "nfsrootfs", "install_modules") {
		targets = append(targets, nfs)
	}
	if rd := data.String(keyRamdiskD); rd != "" && installFlag(call, "ramdisk", "install_modules") {
		targets = append(targets, rd)
	}
	if data.Err != nil {
		return data.Err
	}
	if len(targets) == 0 {
		return sdk.JobErrorf("Unable to identify a location for the unpacked modules")
	}
	for _, t := range targets {
		if err := untar(ctx, host, tarball, t, modulesMaxBytes); err != nil {
			return sdk.InfraErrorf("extract-modules: %v", err)
		}
		if err := host.Log(sdk.LevelInfo, "modules extracted into "+t); err != nil {
			return err
		}
	}
	return nil
}

// applyOverlay untars the overlay into the first target that exists: the NFS
// root (unless install_overlay: false), else the extracted ramdisk.
func applyOverlay(ctx context.Context, call sdk.Call, host sdk.Host) error {
	data := bootflow.Reader{H: host}
	ov := data.String(bootflow.KeyOverlay)
	if data.Err != nil {
		return data.Err
	}
	if ov == "" {
		return sdk.InfraErrorf("apply-overlay-tftp: no overlay was built")
	}
	target := ""
	if nfs := data.String(bootflow.KeyNFSRoot); nfs != "" && installFlag(call, "nfsrootfs", "install_overlay") {
		target = nfs
	} else if rd := data.String(keyRamdiskD); rd != "" {
		target = rd
	}
	if data.Err != nil {
		return data.Err
	}
	if target == "" {
		return sdk.JobErrorf("apply-overlay-tftp: no nfsrootfs or ramdisk to apply the overlay to")
	}
	if err := untar(ctx, host, ov, target, overlayMaxBytes); err != nil {
		return sdk.InfraErrorf("apply-overlay-tftp: %v", err)
	}
	return host.Log(sdk.LevelInfo, "overlay applied to "+target)
}

func compressRamdisk(ctx context.Context, call sdk.Call, host sdk.Host) error {
	data := bootflow.Reader{H: host}
	dir := data.String(keyRamdiskD)
	if data.Err != nil {
		return data.Err
	}
	res, _ := call.Block.Params["ramdisk"].(map[string]any)
	dp, _ := deployParams(call.Device)
	addHeader := bootflow.Str(dp, "add_header") == "u-boot"
	if dir == "" {
		// not unpacked: the file as downloaded, with a header added if the
		// device wants one and it has none
		if addHeader && bootflow.Str(res, "header") != "u-boot" {
			return wrapRamdisk(call, host, bootflow.Str(dp, "mkimage_arch"))
		}
		return nil
	}
	var meta map[string]ramdisk.Header
	v, ok, err := host.Get(metaKey("meta")[0], metaKey("meta")[1], metaKey("meta")[2])
	if err != nil {
		return err
	}
	if ok {
		_ = json.Unmarshal([]byte(v), &meta)
	}
	comp := data.String(compKey("ramdisk"))
	if comp == "" {
		comp = "gz"
	}
	tftpDir := data.String(keyTFTPDir)
	if data.Err != nil {
		return data.Err
	}
	out := filepath.Join(tftpDir, "ramdisk", "ramdisk.cpio."+comp)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return sdk.InfraErrorf("compress-ramdisk: %v", err)
	}
	if addHeader {
		out += ".uboot"
	}
	if err := ramdisk.RepackWith(ctx, dir, out, ramdisk.RepackOptions{Compression: comp, Meta: meta,
		UBootHeader: addHeader, UBootArch: bootflow.Str(dp, "mkimage_arch")}); err != nil {
		return sdk.InfraErrorf("compress-ramdisk: %v", err)
	}
	rel := strings.TrimPrefix(out, call.Dispatcher.TFTPRoot+"/")
	if err := bootflow.SetString(host, bootflow.KeyRamdisk, rel); err != nil {
		return err
	}
	if err := host.Log(sdk.LevelInfo, "ramdisk re-packed: "+rel); err != nil {
		return err
	}
	return os.RemoveAll(dir)
}

// wrapRamdisk writes the downloaded ramdisk with a u-boot header in front
// (the device's add_header: u-boot) as ramdisk/<name>.uboot.
func wrapRamdisk(call sdk.Call, host sdk.Host, arch string) error {
	data := bootflow.Reader{H: host}
	in, tftpDir := data.String(fileKey("ramdisk")), data.String(keyTFTPDir)
	if data.Err != nil || in == "" {
		return data.Err
	}
	out := filepath.Join(tftpDir, "ramdisk", filepath.Base(in)+".uboot")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return sdk.InfraErrorf("compress-ramdisk: %v", err)
	}
	if err := ramdisk.WrapUBoot(in, out, ramdisk.WrapOptions{Arch: arch, Type: ramdisk.UBootTypeRamdisk}); err != nil {
		return sdk.InfraErrorf("Unable to add uboot header to ramdisk: %v", err)
	}
	rel := strings.TrimPrefix(out, call.Dispatcher.TFTPRoot+"/")
	if err := bootflow.SetString(host, bootflow.KeyRamdisk, rel); err != nil {
		return err
	}
	return host.Log(sdk.LevelInfo, "ramdisk with a u-boot header: "+rel)
}
