package lab

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// InterruptPrompt is what the boards' GRUB prints that the dispatcher waits
// for before sending `c`: GRUB wraps its menu help at 80 columns, so LAVA's
// grub-efi default ("for a command-line") never matches on this firmware.
const InterruptPrompt = "Press enter to boot the selected OS"

// LabHCL is the lab config `lavacore run --lab DIR` reads.
func (l *Lab) LabHCL() string {
	return fmt.Sprintf(`# written by lavacore lab up
#   dispatcher_ip: where the boards reach TFTP, NFS and HTTP (the root
#   namespace itself is %s on the same bridge, via %s)
#   tftp_root: served by dnsmasq; GRUB loads (tftp,%s)/<path under tftp_root>
#   nfs_root:  exported by nfs-ganesha; any directory under it mounts as
#              %s:<absolute path>
#   http_root: %s/<path under http_root>
#   allowed_file_dirs: what file:// URLs may read (http/ links into the image cache)
lab {
  dispatcher_ip     = %q
  tftp_root         = %q
  nfs_root          = %q
  http_root         = %q
  allowed_file_dirs = [%q, %q]
}
`, DispatcherAddr, VethRoot, ServerIP, ServerIP, HTTPBase, ServerIP, l.path("tftp"), l.path("nfs"), l.path("http"), l.path("http"), l.Cache)
}

// DeviceHCL is board n's device file.
func (l *Lab) DeviceHCL(n int) string {
	cmd := func(op string) string { return l.powerCommand(n, op) }
	return fmt.Sprintf(`# written by lavacore lab up: a QEMU x86_64 board (q35, OVMF UEFI, TCG) that
# netboots GRUB over TFTP -- the same grub-efi flow as a mustang.
#   console: 127.0.0.1:%d (relay of QEMU's serial port; also: telnet 127.0.0.1 %d)
#   network: MAC %s, DHCP address %s (ssh root@%s from the root namespace)
device %q {
  device_type = "mustang"
  vars {
    connection_command   = %q
    power_on_command     = %q
    power_off_command    = %q
    hard_reset_command   = %q
    interrupt_prompt     = %q
    uefi_menu            = false
    extra_kernel_args    = "net.ifnames=0"
    boot_character_delay = "0ms"
    ssh_identity_file    = %q
  }
}
`, ConsolePort(n), ConsolePort(n), BoardMAC(n), BoardIP(n), BoardIP(n), BoardName(n),
		consoleCommand(n),
		cmd("on"), cmd("off"), cmd("reset"), InterruptPrompt, l.path("keys", "id_ed25519"))
}

// writeConfig writes lab.hcl, devices/board-NN.hcl for x86 boards 1..n,
// devices/arm-NN.hcl for ARM boards 1..arm and lava/ (lavadict.go).
func (l *Lab) writeConfig(n, arm int) error {
	if err := os.WriteFile(l.path("lab.hcl"), []byte(l.LabHCL()), 0o644); err != nil {
		return err
	}
	for _, i := range l.boardList(n, arm) {
		text := l.DeviceHCL(i)
		if IsArm(i) {
			text = l.ArmDeviceHCL(i)
		}
		if err := os.WriteFile(l.path("devices", BoardName(i)+".hcl"), []byte(text), 0o644); err != nil {
			return err
		}
	}
	if err := l.writeLava(n); err != nil {
		return fmt.Errorf("LAVA device dictionaries: %w", err)
	}
	return l.writeQemuDevice()
}

// Status writes what of the lab runs.
func (l *Lab) Status(ctx context.Context, w io.Writer) error {
	st := l.state(ctx)
	state := "down"
	switch {
	case st.up():
		state = "up"
	case len(st.problems()) > 0:
		state = "partly up (run 'lavacore lab down' to clean up)"
	}
	fmt.Fprintf(w, "lab %s: %s\n", l.Dir, state)
	fmt.Fprintf(w, "  namespace %s, services on %s (TFTP, NFS, %s), dispatcher %s on %s\n", Netns, ServerIP, HTTPBase, DispatcherAddr, VethRoot)
	fmt.Fprintf(w, "  cache %s\n", l.Cache)
	fmt.Fprintf(w, "%-10s %-9s %s\n", "SERVICE", "PID", "")
	for _, s := range services {
		pid := "-"
		if p := st.alive[s.name]; p != 0 {
			pid = strconv.Itoa(p)
		}
		fmt.Fprintf(w, "%-10s %-9s %s\n", s.name, pid, s.what)
	}
	fmt.Fprintf(w, "%-10s %-13s %-16s %-13s %s\n", "BOARD", "POWER", "CONSOLE", "ADDRESS", "MAC")
	for _, i := range l.boardList(l.boardCount(), l.armBoardCount()) {
		power := "off"
		if p := st.alive[qemuName(i)]; p != 0 {
			power = fmt.Sprintf("on (pid %d)", p)
		}
		console := fmt.Sprintf("127.0.0.1:%d", ConsolePort(i))
		if st.alive[relayName(i)] == 0 {
			console = "(no relay)"
		}
		fmt.Fprintf(w, "%-10s %-13s %-16s %-13s %s\n", BoardName(i), power, console, BoardIP(i), BoardMAC(i))
	}
	if p := st.problems(); !st.up() && len(p) > 0 {
		fmt.Fprintf(w, "left over:\n  - %s\n", strings.Join(p, "\n  - "))
	}
	return nil
}
