package bootflow

import (
	"fmt"
	"path"
	"strings"

	"github.com/lavacore/lavacore/sdk"
)

// Namespace data of U-Boot kernels and secondary media (LAVA's keys).
var (
	// KeyBootCommand is the U-Boot boot command (bootz, booti, bootm) the
	// kernel type maps to (uboot-prepare-kernel, uboot-from-media).
	KeyBootCommand = [3]string{"uboot-prepare-kernel", "bootcommand", "bootcommand"}
	// KeyPreparedKernel is the converted kernel (uImage, kernel-dtb), relative
	// to the TFTP root, replacing KeyKernel in {KERNEL}.
	KeyPreparedKernel = [3]string{"prepare-kernel", "file", "kernel"}
	// KeyRootUUID and KeyBootPart are a secondary media boot's {ROOT} and {ROOT_PART}.
	KeyRootUUID = [3]string{"bootloader-from-media", "uuid", "root"}
	KeyBootPart = [3]string{"bootloader-from-media", "uuid", "boot_part"}
	// KeyTFTPSuffix is the deployment's directory relative to the TFTP root.
	KeyTFTPSuffix = [3]string{"tftp-deploy", "tftp", "suffix"}
	// KeyInitrd is an initrd without a U-Boot header (nbd deploys).
	KeyInitrd = [3]string{"download-action", "file", "initrd"}
	// KeyPreseed and KeyPreseedLocal are an installer's preseed file.
	KeyPreseed      = [3]string{"download-action", "file", "preseed"}
	KeyPreseedLocal = [3]string{"compress-ramdisk", "file", "preseed_local"}
	// KeyNBDServerIP and KeyNBDServerPort are an nbd deploy's server.
	KeyNBDServerIP   = [3]string{"nbd-deploy", "nbd", "nbd_server_ip"}
	KeyNBDServerPort = [3]string{"nbd-deploy", "nbd", "nbd_server_port"}
)

// KernelBootCommand is LAVA's map_kernel_uboot: the U-Boot command that boots
// a kernel of type kernelType (uimage, zimage, image) on a device whose
// parameters hold the load addresses by command. bootm is the last resort
// (the kernel is then converted to a uImage); warning says so.
func KernelBootCommand(kernelType string, deviceParams map[string]any) (cmd, warning string) {
	switch kernelType {
	case "uimage":
		return "bootm", ""
	case "zimage":
		if _, ok := deviceParams["bootz"]; ok {
			return "bootz", ""
		}
		return "bootm", "No bootz parameters available, falling back to bootm and converting zImage"
	case "image":
		if _, ok := deviceParams["booti"]; ok {
			return "booti", ""
		}
		return "bootm", "No booti parameters available, falling back to bootm and converting zImage"
	}
	return "bootm", ""
}

// OverlayInput is what a bootloader's command overlay substitutes (LAVA's
// BootloaderCommandOverlay.run): the job's files as the deployment recorded
// them, the device's load addresses and this boot's settings.
type OverlayInput struct {
	Method   string // the bootloader: u-boot, ipxe, grub …
	Commands []string
	ServerIP string
	JobID    string
	LavaMAC  string
	// Files, relative to the TFTP root ("" = none).
	Kernel, PreparedKernel, DTB, Tee, Ramdisk, Initrd string
	Preseed, PreseedLocal                             string
	// DTBOs are the dtbo files in order (dtbo0, dtbo1 …).
	DTBOs []string
	// BootCommand is KeyBootCommand ("" = the kernel type is unknown);
	// KernelTypeInBoot is a boot block with the deprecated `type`.
	BootCommand      string
	KernelTypeInBoot bool
	// DeviceParams is the device's `parameters:` (load addresses by command).
	DeviceParams      map[string]any
	ApplyDTBOCommands []string
	// AddHeader is the device's deploy add_header (u-boot, raw or "").
	AddHeader string
	// NFSRoot and NFSServer: the extracted nfsrootfs, or a persistent_nfs export.
	NFSRoot, NFSServer string
	// NBD is set when the boot block has lava-xnbd.
	NBD                        bool
	NBDServerIP, NBDServerPort string
	// Root and RootPart are a secondary media boot's root UUID and boot partition.
	Root, RootPart string
	// TFTPSuffix is the deployment's directory relative to the TFTP root.
	TFTPSuffix string
}

// OverlayResult is the substituted command list and the values used.
type OverlayResult struct {
	Commands []string
	// Substitutions: a key with "" is LAVA's None (a line naming it is dropped).
	Substitutions map[string]string
	// Warnings to log.
	Warnings []string
}

func addr(params map[string]any, cmd, key string) string {
	m, _ := params[cmd].(map[string]any)
	if v, ok := m[key]; ok && v != nil {
		return fmt.Sprint(v)
	}
	return ""
}

// Substitutions fills a bootloader's placeholders as LAVA's
// BootloaderCommandOverlay does: {SERVER_IP}, {KERNEL}, {RAMDISK}, {DTB},
// {TEE}, {KERNEL_ADDR}, {RAMDISK_ADDR}, {DTB_ADDR}, {TEE_ADDR}, {BOOTX},
// {NFSROOTFS}, {NFS_SERVER_IP}, {ROOT}, {ROOT_PART}, dtbo overlays …
// A line naming a placeholder whose value is empty is dropped; a
// placeholder LAVA does not know for this job (no kernel type: {BOOTX}) is
// left as it is.
func Substitutions(in OverlayInput) (OverlayResult, error) {
	var res OverlayResult
	cmds := append([]string(nil), in.Commands...)
	ramdisk := in.Ramdisk
	if in.Initrd != "" {
		ramdisk = in.Initrd
	}
	s := map[string]string{
		"{SERVER_IP}":           in.ServerIP,
		"{PRESEED_CONFIG}":      in.Preseed,
		"{PRESEED_LOCAL}":       in.PreseedLocal,
		"{DTB}":                 in.DTB,
		"{RAMDISK}":             ramdisk,
		"{INITRD}":              ramdisk,
		"{KERNEL}":              in.Kernel,
		"{LAVA_MAC}":            in.LavaMAC,
		"{TEE}":                 in.Tee,
		"{DTB_BASE_ADDR}":       "",
		"{DTB_BASE_RESIZE}":     "",
		"{APPLY_DTBO_COMMANDS}": "",
		"{LAVA_DISPATCHER_IP}":  in.ServerIP,
		"{LAVA_JOB_ID}":         in.JobID,
	}
	if in.BootCommand == "" && in.KernelTypeInBoot {
		return res, sdk.JobErrorf("Kernel image type can't be determined")
	}
	if in.PreparedKernel != "" {
		s["{KERNEL}"] = in.PreparedKernel
	}
	if bc := in.BootCommand; bc != "" {
		if _, ok := in.DeviceParams[bc].(map[string]any); !ok {
			return res, sdk.ConfigErrorf("the device has no load addresses for %s (parameters.%s)", bc, bc)
		}
		kernelAddr, dtbAddr, ramdiskAddr := addr(in.DeviceParams, bc, "kernel"), addr(in.DeviceParams, bc, "dtb"), addr(in.DeviceParams, bc, "ramdisk")
		teeAddr, dtboAddr := addr(in.DeviceParams, bc, "tee"), addr(in.DeviceParams, bc, "dtbo")
		for i, l := range cmds {
			if l != "{APPLY_DTBO_COMMANDS}" {
				continue
			}
			var ins []string
			for n, f := range in.DTBOs {
				for _, c := range in.ApplyDTBOCommands {
					ins = append(ins, strings.ReplaceAll(c, "{DTBO}", fmt.Sprintf("{DTBO%d}", n)))
				}
				s[fmt.Sprintf("{DTBO%d}", n)] = f
			}
			cmds = append(cmds[:i+1], append(ins, cmds[i+1:]...)...)
			if len(in.DTBOs) > 0 {
				s["{DTB_BASE_ADDR}"] = dtbAddr
				if v, ok := in.DeviceParams["dtb_base_resize"]; ok && v != nil {
					s["{DTB_BASE_RESIZE}"] = fmt.Sprint(v)
				} else {
					s["{DTB_BASE_RESIZE}"] = "None"
				}
				s["{DTBO_ADDR}"] = dtboAddr
			}
			break
		}
		if in.Ramdisk == "" && in.Initrd == "" {
			ramdiskAddr = "-"
		}
		if in.Method == "u-boot" && in.AddHeader != "u-boot" && in.AddHeader != "raw" {
			res.Warnings = append(res.Warnings, "No u-boot header, not passing ramdisk to bootX cmd")
			ramdiskAddr = "-"
		}
		first := kernelAddr
		if in.Tee != "" {
			first = teeAddr
		}
		if in.Initrd != "" || in.AddHeader == "raw" {
			// no u-boot header, so no size in it: give it on the command
			s["{BOOTX}"] = fmt.Sprintf("%s %s %s:${initrd_size} %s", bc, first, ramdiskAddr, dtbAddr)
		} else {
			s["{BOOTX}"] = fmt.Sprintf("%s %s %s %s", bc, first, ramdiskAddr, dtbAddr)
		}
		s["{KERNEL_ADDR}"] = kernelAddr
		s["{DTB_ADDR}"] = dtbAddr
		s["{RAMDISK_ADDR}"] = ramdiskAddr
		s["{TEE_ADDR}"] = teeAddr
	}
	if in.NFSRoot != "" {
		s["{NFSROOTFS}"] = in.NFSRoot
		s["{NFS_SERVER_IP}"] = in.NFSServer
		if in.NFSServer == "" {
			s["{NFS_SERVER_IP}"] = in.ServerIP
		}
	}
	if in.NBD {
		s["{NBDSERVERIP}"] = orNone(in.NBDServerIP)
		s["{NBDSERVERPORT}"] = orNone(in.NBDServerPort)
	}
	s["{ROOT}"] = in.Root
	s["{ROOT_PART}"] = in.RootPart
	if in.TFTPSuffix != "" {
		s["{EXTRA_FILES_DIR}"] = path.Join(in.TFTPSuffix, "extra_files")
	}
	res.Substitutions = s
	res.Commands = Substitute(cmds, s)
	return res, nil
}

// orNone is Python's str() of a value that may be None.
func orNone(s string) string {
	if s == "" {
		return "None"
	}
	return s
}
