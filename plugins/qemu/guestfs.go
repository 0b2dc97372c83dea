package qemu

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/archive"
	"github.com/lavacore/lavacore/sdk/bootflow"
)

// defaultGuestSizeMB is LAVA's guest drive size when the device says none.
const defaultGuestSizeMB = 512

// guestParams are the device's deploy "image" guest parameters: the drive's
// size (MB), interface and id.
func guestParams(d sdk.Device) (sizeMB int, iface, driveID string) {
	sizeMB, driveID = defaultGuestSizeMB, "lavatest"
	g, _ := d.Methods["deploy/image"]["guest"].(map[string]any)
	switch v := g["size"].(type) {
	case float64:
		sizeMB = int(v)
	case int:
		sizeMB = v
	case string:
		if n, err := strconv.Atoi(v); err == nil {
			sizeMB = n
		}
	}
	iface = bootflow.Str(g, "interface")
	if s := bootflow.Str(g, "driveid"); s != "" {
		driveID = s
	}
	return sizeMB, iface, driveID
}

// newUUID is a random (version 4) UUID.
func newUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// applyOverlayGuest is LAVA's apply-overlay-guest: an ext2 filesystem
// holding the overlay, attached by the boot as a drive the test shell
// mounts at the results directory. LAVA builds it with guestfs as qcow2;
// lavacore builds a raw image with mke2fs -d (e2fsprogs), no root needed.
func applyOverlayGuest(ctx context.Context, call sdk.Call, host sdk.Host) error {
	rd := bootflow.Reader{H: host}
	ov, dir, results := rd.String(bootflow.KeyOverlay), rd.String(keyDir), rd.String(bootflow.KeyResultsDir)
	if rd.Err != nil {
		return rd.Err
	}
	if ov == "" || dir == "" {
		return sdk.InfraErrorf("apply-overlay-guest: no overlay was built")
	}
	mkfs, err := exec.LookPath("mke2fs")
	if err != nil {
		return sdk.InfraErrorf("apply-overlay-guest: mke2fs (e2fsprogs) is needed to build the guest drive: %v", err)
	}
	tree := filepath.Join(dir, "guest-overlay")
	_ = os.RemoveAll(tree)
	if _, err := archive.ExtractFile(ctx, ov, tree, archive.Options{MaxBytes: overlayMaxBytes}); err != nil {
		return sdk.InfraErrorf("apply-overlay-guest: %v", err)
	}
	defer os.RemoveAll(tree)
	sizeMB, _, _ := guestParams(call.Device)
	img := filepath.Join(dir, "lava-guest.img")
	f, err := os.Create(img)
	if err != nil {
		return sdk.InfraErrorf("apply-overlay-guest: %v", err)
	}
	err = f.Truncate(int64(sizeMB) << 20)
	f.Close()
	if err != nil {
		return sdk.InfraErrorf("apply-overlay-guest: %v", err)
	}
	uuid, err := newUUID()
	if err != nil {
		return sdk.InfraErrorf("apply-overlay-guest: %v", err)
	}
	// The overlay's tree (lava-<job>/…) is the filesystem's root, mounted
	// at the results directory: its content is the tree's one directory.
	src := tree
	if ents, err := os.ReadDir(tree); err == nil && len(ents) == 1 && ents[0].IsDir() {
		src = filepath.Join(tree, ents[0].Name())
	}
	cmd := exec.CommandContext(ctx, mkfs, "-q", "-F", "-t", "ext2", "-L", "lavatest", "-U", uuid, "-d", src, img)
	if out, err := cmd.CombinedOutput(); err != nil {
		return sdk.InfraErrorf("apply-overlay-guest: mke2fs: %v: %s", err, out)
	}
	if err := bootflow.SetString(host, keyGuest, img); err != nil {
		return err
	}
	if err := bootflow.SetString(host, keyUUID, uuid); err != nil {
		return err
	}
	pre := preCommands(results, uuid)
	b, _ := json.Marshal(pre)
	if err := host.Set(keyPre[0], keyPre[1], keyPre[2], string(b)); err != nil {
		return err
	}
	return host.Log(sdk.LevelInfo, fmt.Sprintf("overlay guest drive: %s (%d MB, ext2, UUID %s)", img, sizeMB, uuid))
}

// preCommands mount the guest drive at the results directory (LAVA's
// pre-command-list). LAVA mounts /dev/disk/by-uuid/<uuid>, which a system
// without udev (a busybox ramdisk) lacks: findfs finds it there.
func preCommands(results, uuid string) []string {
	q := bootflow.ShellQuote
	return []string{
		"mkdir -p " + q(results),
		fmt.Sprintf("mount -t ext2 \"$(findfs UUID=%s 2>/dev/null || echo /dev/disk/by-uuid/%s)\" %s", uuid, uuid, q(results)),
		"ls -la " + q(results+"/bin/lava-test-runner"),
	}
}
