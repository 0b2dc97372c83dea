package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// The ARM boards: QEMU's virt machine (arm64, cortex-a57, TCG) with Debian's
// U-Boot as its firmware, on the lab's bridge like the x86 boards. U-Boot
// stops at its prompt when interrupted, then the dispatcher types a
// qemu-uboot-arm64 command set (dhcp, tftp the kernel, ramdisk and device
// tree from the lab's TFTP, booti).
const (
	// ubootArm64 is Debian's u-boot-qemu build for QEMU's arm64 virt machine.
	ubootArm64 = "/usr/lib/u-boot/qemu_arm64/u-boot.bin"
	// ArmDeviceType is the ARM boards' device type (devicetypes/qemu-uboot-arm64.hcl).
	ArmDeviceType = "qemu-uboot-arm64"
	// ArmInterruptPrompt is what U-Boot prints before its autoboot countdown.
	ArmInterruptPrompt = "Hit any key to stop autoboot"
	// ArmBootloaderPrompt is U-Boot's prompt.
	ArmBootloaderPrompt = "=>"
	// ArmTFTPNotFound is the U-Boot error message (a regex) of a TFTP
	// read of a missing file from the lab's dnsmasq.
	ArmTFTPNotFound = "TFTP error: 'file .* not found"
	// ArmMemory is the boards' RAM (MiB): virt maps it at 0x40000000; the
	// device type's booti load addresses fit in it.
	ArmMemory = 512
)

// ArmBoard is the board number of ARM board n (1..MaxArmBoards): arm-NN.
func ArmBoard(n int) int { return armBase + n }

// armIndex reports whether board number b is an ARM board, and which.
func armIndex(b int) (int, bool) {
	if b > armBase && b <= armBase+MaxArmBoards {
		return b - armBase, true
	}
	return 0, false
}

// IsArm reports whether board number b is an ARM board.
func IsArm(b int) bool { _, ok := armIndex(b); return ok }

// armMachine is the virt machine's options shared by the boards and the
// device tree dumped for jobs: the same options give the same tree. The
// firmware is one of them: with -bios, virt leaves out the PL061 GPIO (and
// its gpio-keys), and a kernel given a tree dumped without -bios hangs
// silently after U-Boot's "Starting kernel".
func armMachine() []string {
	return []string{"-accel", "tcg", "-machine", "virt", "-cpu", "cortex-a57", "-m", fmt.Sprint(ArmMemory), "-smp", "1",
		"-display", "none", "-nodefaults", "-bios", ubootArm64}
}

// armQemuArgs is ARM board b's QEMU command line: U-Boot as the firmware, a
// virtio-net NIC on virtio-mmio (U-Boot's legacy virtio-pci driver ignores
// mac= and every board would get 52:52:52:52:52:52, breaking per-board
// DHCP), the PL011 serial port on the relay's socket (wait=on).
func (l *Lab) armQemuArgs(b int) []string {
	args := []string{"qemu-system-aarch64", "-name", BoardName(b)}
	args = append(args, armMachine()...)
	return append(args,
		"-netdev", fmt.Sprintf("tap,id=n0,ifname=%s,script=no,downscript=no", tapName(b)),
		"-device", fmt.Sprintf("virtio-net-device,netdev=n0,mac=%s", BoardMAC(b)),
		"-chardev", fmt.Sprintf("socket,id=s0,path=%s,server=on,wait=on", l.consoleSocket(b)),
		"-serial", "chardev:s0",
		"-pidfile", l.pidfile(qemuName(b)), "-daemonize",
	)
}

// armDTB writes http/arm64/virt.dtb, the device tree QEMU gives the boards
// (what U-Boot's $fdtcontroladdr holds), for jobs' `dtb:`. It is redone when
// the machine options or QEMU change.
func (l *Lab) armDTB(ctx context.Context) error {
	out := l.path("http", "arm64", "virt.dtb")
	qemu, err := exec.LookPath("qemu-system-aarch64")
	if err != nil {
		return err
	}
	st, err := os.Stat(qemu)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("%s %s %d\n", strings.Join(armMachine(), " "), qemu, st.ModTime().Unix())
	if b, err := os.ReadFile(out + ".stamp"); err == nil && string(b) == key {
		if _, err := os.Stat(out); err == nil {
			return nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	args := armMachine()
	for i, a := range args {
		if a == "virt" {
			args[i] = "virt,dumpdtb=" + out
		}
	}
	if _, err := run(ctx, qemu, args...); err != nil {
		return fmt.Errorf("the ARM boards' device tree: %w", err)
	}
	return os.WriteFile(out+".stamp", []byte(key), 0o644)
}

// ArmDeviceHCL is ARM board b's device file.
func (l *Lab) ArmDeviceHCL(b int) string {
	cmd := func(op string) string { return l.powerCommand(b, op) }
	return fmt.Sprintf(`# written by lavacore lab up: QEMU's arm64 virt machine (cortex-a57, TCG, %d MiB)
# with Debian's U-Boot; interrupt it, then dhcp + tftp + booti from the lab.
#   console: 127.0.0.1:%d (relay of QEMU's serial port; also: telnet 127.0.0.1 %d)
#   network: MAC %s (virtio-net on virtio-mmio), DHCP address %s
#   images:  %s/arm64/{Image,ramdisk.cpio.gz.uboot,virt.dtb,rootfs.tar.gz,modules.tar.gz}
# The lab's TFTP server is dnsmasq: a missing file is "TFTP error: 'file PATH
# not found …'", which LAVA's U-Boot error messages (tftpd-hpa's "File not
# found") miss; uboot_extra_error_message adds it.
device %q {
  device_type = %q
  vars {
    connection_command        = %q
    power_on_command          = %q
    power_off_command         = %q
    hard_reset_command        = %q
    uboot_extra_error_message = %q
  }
}
`, ArmMemory, ConsolePort(b), ConsolePort(b), BoardMAC(b), BoardIP(b), HTTPBase, BoardName(b), ArmDeviceType,
		consoleCommand(b),
		cmd("on"), cmd("off"), cmd("reset"), ArmTFTPNotFound)
}

// armBoardCount is how many ARM boards the lab has device files for.
func (l *Lab) armBoardCount() int {
	n := 0
	for i := 1; i <= MaxArmBoards; i++ {
		if _, err := os.Stat(l.path("devices", BoardName(ArmBoard(i))+".hcl")); err == nil {
			n = i
		}
	}
	return n
}
