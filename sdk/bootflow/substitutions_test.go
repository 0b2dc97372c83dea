package bootflow

import (
	"errors"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/sdk"
)

// bbbRamdisk is base-uboot's ramdisk command set (beaglebone-black).
var bbbRamdisk = []string{
	"setenv autoload no",
	"dhcp",
	"setenv serverip {SERVER_IP}",
	"tftp {KERNEL_ADDR} {KERNEL}",
	"tftp {RAMDISK_ADDR} {RAMDISK}",
	"tftp {TEE_ADDR} {TEE}",
	"setenv initrd_size ${filesize}",
	"tftp {DTB_ADDR} {DTB}",
	"setenv bootargs 'console=ttyO0,115200n8 root=/dev/ram0 ip=dhcp'",
	"{BOOTX}",
}

var bbbNFS = []string{
	"tftp {KERNEL_ADDR} {KERNEL}",
	"tftp {RAMDISK_ADDR} {RAMDISK}",
	"tftp {DTB_ADDR} {DTB}",
	"setenv bootargs 'root=/dev/nfs rw nfsroot={NFS_SERVER_IP}:{NFSROOTFS},tcp,hard ip=dhcp'",
	"{BOOTX}",
}

func addrs(kernel, ramdisk, dtb, tee string) map[string]any {
	m := map[string]any{"kernel": kernel, "ramdisk": ramdisk, "dtb": dtb}
	if tee != "" {
		m["tee"] = tee
	}
	return m
}

var bbbParams = map[string]any{
	"bootz":           addrs("0x82000000", "0x83000000", "0x88000000", ""),
	"bootm":           addrs("0x82000000", "0x83000000", "0x88000000", ""),
	"booti":           addrs("0x80080000", "0x84000000", "0x83000000", "0x83000000"),
	"dtb_base_resize": 1048576,
}

func bbbInput() OverlayInput {
	return OverlayInput{Method: "u-boot", Commands: bbbRamdisk, ServerIP: "10.0.0.1", JobID: "42",
		Kernel: "42/tftp-deploy-1/kernel/zImage", DTB: "42/tftp-deploy-1/dtb/am335x-bone.dtb",
		Ramdisk: "42/tftp-deploy-1/ramdisk/ramdisk.cpio.gz.uboot", BootCommand: "bootz",
		DeviceParams: bbbParams, AddHeader: "u-boot"}
}

func TestSubstitutions(t *testing.T) {
	cases := []struct {
		name    string
		edit    func(*OverlayInput)
		want    []string
		wantErr string
	}{
		{"ramdisk with a u-boot header, no tee: its lines dropped", nil, []string{
			"setenv autoload no",
			"dhcp",
			"setenv serverip 10.0.0.1",
			"tftp 0x82000000 42/tftp-deploy-1/kernel/zImage",
			"tftp 0x83000000 42/tftp-deploy-1/ramdisk/ramdisk.cpio.gz.uboot",
			"setenv initrd_size ${filesize}",
			"tftp 0x88000000 42/tftp-deploy-1/dtb/am335x-bone.dtb",
			"setenv bootargs 'console=ttyO0,115200n8 root=/dev/ram0 ip=dhcp'",
			"bootz 0x82000000 0x83000000 0x88000000",
		}, ""},
		{"no add_header: the ramdisk is not passed to bootz ({RAMDISK_ADDR} is -, as in LAVA)", func(in *OverlayInput) { in.AddHeader = "" }, []string{
			"tftp - 42/tftp-deploy-1/ramdisk/ramdisk.cpio.gz.uboot",
			"bootz 0x82000000 - 0x88000000",
		}, ""},
		{"raw header: the size goes on the command", func(in *OverlayInput) { in.AddHeader = "raw" }, []string{
			"bootz 0x82000000 0x83000000:${initrd_size} 0x88000000",
		}, ""},
		{"no ramdisk: its line dropped, - on bootz", func(in *OverlayInput) { in.Ramdisk = "" }, []string{
			"tftp 0x82000000 42/tftp-deploy-1/kernel/zImage",
			"bootz 0x82000000 - 0x88000000",
		}, ""},
		{"nbd initrd: {RAMDISK} is the initrd, its size on the command", func(in *OverlayInput) { in.Ramdisk, in.Initrd = "", "42/initrd.img" }, []string{
			"tftp 0x83000000 42/initrd.img",
			"bootz 0x82000000 0x83000000:${initrd_size} 0x88000000",
		}, ""},
		{"tee: booted first", func(in *OverlayInput) {
			in.BootCommand, in.Tee = "booti", "42/tee.bin"
		}, []string{
			"tftp 0x83000000 42/tee.bin",
			"booti 0x83000000 0x84000000 0x83000000",
		}, ""},
		{"a tee on a device without a tee address: its line dropped", func(in *OverlayInput) { in.Tee = "42/tee.bin" }, []string{
			"bootz  0x83000000 0x88000000",
		}, ""},
		{"prepared kernel (uImage) replaces {KERNEL}", func(in *OverlayInput) {
			in.BootCommand, in.PreparedKernel = "bootm", "42/tftp-deploy-1/kernel/uImage"
		}, []string{
			"tftp 0x82000000 42/tftp-deploy-1/kernel/uImage",
			"bootm 0x82000000 0x83000000 0x88000000",
		}, ""},
		{"no kernel type: {BOOTX} and the addresses stay as they are", func(in *OverlayInput) { in.BootCommand = "" }, []string{
			"tftp {KERNEL_ADDR} 42/tftp-deploy-1/kernel/zImage",
			"{BOOTX}",
		}, ""},
		{"a boot block type without a kernel type", func(in *OverlayInput) { in.BootCommand, in.KernelTypeInBoot = "", true }, nil,
			"Kernel image type can't be determined"},
		{"a boot command the device has no addresses for", func(in *OverlayInput) { in.BootCommand = "bootx" }, nil,
			"the device has no load addresses for bootx"},
		{"nfs: the extracted root on the dispatcher", func(in *OverlayInput) {
			in.Commands, in.Ramdisk, in.NFSRoot = bbbNFS, "", "/var/lib/lava/42/extract-nfsrootfs"
		}, []string{
			"setenv bootargs 'root=/dev/nfs rw nfsroot=10.0.0.1:/var/lib/lava/42/extract-nfsrootfs,tcp,hard ip=dhcp'",
		}, ""},
		{"persistent nfs: its server", func(in *OverlayInput) {
			in.Commands, in.NFSRoot, in.NFSServer = bbbNFS, "/exports/root", "10.0.0.9"
		}, []string{
			"setenv bootargs 'root=/dev/nfs rw nfsroot=10.0.0.9:/exports/root,tcp,hard ip=dhcp'",
		}, ""},
		{"no nfs root: {NFSROOTFS} stays (LAVA leaves unknown placeholders)", func(in *OverlayInput) { in.Commands = bbbNFS }, []string{
			"setenv bootargs 'root=/dev/nfs rw nfsroot={NFS_SERVER_IP}:{NFSROOTFS},tcp,hard ip=dhcp'",
		}, ""},
		{"secondary media: {ROOT} and {ROOT_PART}", func(in *OverlayInput) {
			in.Commands = []string{"load usb {ROOT_PART} {KERNEL_ADDR} {KERNEL}", "setenv bootargs root={ROOT}"}
			in.Root, in.RootPart = "UUID=1234", "0:1"
		}, []string{"load usb 0:1 0x82000000 42/tftp-deploy-1/kernel/zImage", "setenv bootargs root=UUID=1234"}, ""},
		{"no media: the {ROOT} lines dropped", func(in *OverlayInput) {
			in.Commands = []string{"load usb {ROOT_PART} {KERNEL_ADDR} {KERNEL}", "setenv bootargs root={ROOT}", "boot"}
		}, []string{"boot"}, ""},
		{"dtbo commands inserted for each dtbo", func(in *OverlayInput) {
			in.Commands = []string{"tftp {DTB_ADDR} {DTB}", "{APPLY_DTBO_COMMANDS}", "fdt resize {DTB_BASE_RESIZE}", "{BOOTX}"}
			in.ApplyDTBOCommands = []string{"tftp {DTBO_ADDR} {DTBO}", "fdt apply {DTBO_ADDR}"}
			in.DTBOs = []string{"42/a.dtbo", "42/b.dtbo"}
			in.DeviceParams = map[string]any{"bootz": map[string]any{"kernel": "0x1", "ramdisk": "0x2", "dtb": "0x3", "dtbo": "0x4"}, "dtb_base_resize": 1048576}
		}, []string{
			"tftp 0x3 42/tftp-deploy-1/dtb/am335x-bone.dtb",
			"tftp 0x4 42/a.dtbo", "fdt apply 0x4", "tftp 0x4 42/b.dtbo", "fdt apply 0x4",
			"fdt resize 1048576", "bootz 0x1 0x2 0x3",
		}, ""},
		{"no dtbo: the dtbo lines dropped", func(in *OverlayInput) {
			in.Commands = []string{"{APPLY_DTBO_COMMANDS}", "fdt resize {DTB_BASE_RESIZE}", "fdt addr {DTB_BASE_ADDR}", "{BOOTX}"}
			in.ApplyDTBOCommands = []string{"tftp {DTBO_ADDR} {DTBO}"}
		}, []string{"bootz 0x82000000 0x83000000 0x88000000"}, ""},
		{"job id, dispatcher ip, extra files", func(in *OverlayInput) {
			in.Commands = []string{"echo {LAVA_JOB_ID} {LAVA_DISPATCHER_IP} {EXTRA_FILES_DIR}"}
			in.TFTPSuffix = "42/tftp-deploy-1"
		}, []string{"echo 42 10.0.0.1 42/tftp-deploy-1/extra_files"}, ""},
		{"lava-xnbd: the nbd server", func(in *OverlayInput) {
			in.Commands = []string{"setenv bootargs nbd.server={NBDSERVERIP} nbd.port={NBDSERVERPORT}"}
			in.NBD, in.NBDServerIP, in.NBDServerPort = true, "10.0.0.1", "10809"
		}, []string{"setenv bootargs nbd.server=10.0.0.1 nbd.port=10809"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := bbbInput()
			if c.edit != nil {
				c.edit(&in)
			}
			res, err := Substitutions(in)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// every wanted line is there, in order (the others are the set's own)
			got := res.Commands
			i := 0
			for _, w := range c.want {
				for i < len(got) && got[i] != w {
					i++
				}
				if i == len(got) {
					t.Fatalf("line %q missing or out of order in\n%s", w, strings.Join(res.Commands, "\n"))
				}
			}
			if c.name == "ramdisk with a u-boot header, no tee: its lines dropped" && strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			for _, l := range got {
				if strings.Contains(l, "{TEE") && in.Tee == "" {
					t.Errorf("line with an unset tee kept: %q", l)
				}
			}
		})
	}
}

func TestKernelBootCommand(t *testing.T) {
	for _, c := range []struct {
		kt     string
		params map[string]any
		want   string
		warn   bool
	}{
		{"uimage", bbbParams, "bootm", false},
		{"zimage", bbbParams, "bootz", false},
		{"zimage", map[string]any{"bootm": map[string]any{}}, "bootm", true},
		{"image", bbbParams, "booti", false},
		{"image", nil, "bootm", true},
		{"other", bbbParams, "bootm", false},
	} {
		got, warn := KernelBootCommand(c.kt, c.params)
		if got != c.want || (warn != "") != c.warn {
			t.Errorf("%s: %q %q, want %q (warning %v)", c.kt, got, warn, c.want, c.warn)
		}
	}
}

func TestSubstitutionsErrorTypes(t *testing.T) {
	in := bbbInput()
	in.BootCommand, in.KernelTypeInBoot = "", true
	_, err := Substitutions(in)
	var e *sdk.Error
	if !errors.As(err, &e) || e.Type != sdk.Job {
		t.Errorf("%v: want a Job error", err)
	}
}
