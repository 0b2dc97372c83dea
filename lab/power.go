package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"
)

const (
	ovmfCode = "/usr/share/OVMF/OVMF_CODE_4M.fd"
	ovmfVars = "/usr/share/OVMF/OVMF_VARS_4M.fd"
	// PowerOnTimeout bounds how long QEMU may wait for the console relay.
	PowerOnTimeout = 30 * time.Second
)

// Power runs a power operation ("on", "off" or "reset") on a board
// ("board-01" or "1").
func (l *Lab) Power(ctx context.Context, op, board string) error {
	n, err := boardNum(board)
	if err != nil {
		return err
	}
	switch op {
	case "on":
		return l.PowerOn(ctx, n)
	case "off":
		return l.PowerOff(ctx, n)
	case "reset":
		if err := l.PowerOff(ctx, n); err != nil {
			return err
		}
		return l.PowerOn(ctx, n)
	}
	return fmt.Errorf("power %q: on, off or reset", op)
}

// qemuArgs is board n's QEMU command line: q35 + OVMF under TCG (the host's
// KVM cannot run Debian kernels), a virtio NIC on the board's tap whose own
// option ROM is disabled (romfile=: OVMF's PXE is quicker than iPXE's), and
// the serial console on a unix socket that QEMU waits on (wait=on) until the
// relay connects.
func (l *Lab) qemuArgs(n int) []string {
	return []string{"qemu-system-x86_64", "-name", BoardName(n),
		"-accel", "tcg", "-machine", "q35", "-m", "1024", "-smp", "1",
		"-display", "none", "-nodefaults",
		"-drive", "if=pflash,format=raw,readonly=on,file=" + ovmfCode,
		"-drive", "if=pflash,format=raw,file=" + l.path("run", fmt.Sprintf("vars-%02d.fd", n)),
		"-netdev", fmt.Sprintf("tap,id=n0,ifname=%s,script=no,downscript=no", tapName(n)),
		"-device", fmt.Sprintf("virtio-net-pci,netdev=n0,mac=%s,romfile=", BoardMAC(n)),
		"-chardev", fmt.Sprintf("socket,id=s0,path=%s,server=on,wait=on", l.consoleSocket(n)),
		"-serial", "chardev:s0",
		"-pidfile", l.pidfile(qemuName(n)), "-daemonize",
	}
}

// PowerOn starts board n's QEMU with fresh UEFI variables. A board that is
// on stays on.
func (l *Lab) PowerOn(ctx context.Context, n int) error {
	name := BoardName(n)
	if l.alivePid(qemuName(n), "qemu-system") != 0 {
		return nil
	}
	if !netnsExists() {
		return fmt.Errorf("%s: the lab is down (no namespace %s): run 'lavacore lab up'", name, Netns)
	}
	if l.alivePid(relayName(n), "lab relay") == 0 {
		up := fmt.Sprintf("--boards %d", n)
		if a, ok := armIndex(n); ok {
			up = fmt.Sprintf("--arm-boards %d", a)
		}
		return fmt.Errorf("%s: its console relay (%s) is not running: run 'lavacore lab up %s'", name, l.pidfile(relayName(n)), up)
	}
	argv := inNetns(l.qemuArgs(n)...)
	if IsArm(n) {
		argv = inNetns(l.armQemuArgs(n)...)
	} else {
		vars := l.path("run", fmt.Sprintf("vars-%02d.fd", n))
		if err := copyFile(ovmfVars, vars, 0o644); err != nil {
			return fmt.Errorf("%s: fresh UEFI variables: %w", name, err)
		}
	}
	logName := l.path("run", qemuName(n)+".log")
	lf, err := os.OpenFile(logName, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer lf.Close()
	fmt.Fprintf(lf, "%s power on\n", time.Now().Format(time.RFC3339))
	cctx, cancel := context.WithTimeout(ctx, PowerOnTimeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = lf, lf
	err = cmd.Run()
	if err != nil {
		// QEMU may be up but waiting for the relay: do not leave it behind.
		if pid := readPid(l.pidfile(qemuName(n))); procAlive(pid, "qemu-system") {
			stop(pid, 3*time.Second)
		}
		_ = os.Remove(l.pidfile(qemuName(n)))
		if errors.Is(cctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%s: QEMU waited %s for the console relay (127.0.0.1:%d, log %s) to attach; last lines of %s:\n%s",
				name, PowerOnTimeout, ConsolePort(n), l.path("run", relayName(n)+".log"), logName, tailFile(logName, 10))
		}
		return fmt.Errorf("%s: QEMU did not start: %v; last lines of %s:\n%s", name, err, logName, tailFile(logName, 10))
	}
	if l.alivePid(qemuName(n), "qemu-system") == 0 {
		return fmt.Errorf("%s: QEMU exited at once; last lines of %s:\n%s", name, logName, tailFile(logName, 10))
	}
	return nil
}

// PowerOff stops board n's QEMU (SIGTERM, then SIGKILL). A board that is off
// stays off.
func (l *Lab) PowerOff(ctx context.Context, n int) error {
	if pid := l.alivePid(qemuName(n), "qemu-system"); pid != 0 {
		stop(pid, 5*time.Second)
		if procAlive(pid, "qemu-system") {
			return fmt.Errorf("%s: QEMU (pid %d) does not stop", BoardName(n), pid)
		}
	}
	_ = os.Remove(l.pidfile(qemuName(n)))
	if !IsArm(n) {
		_ = os.Remove(l.path("run", fmt.Sprintf("vars-%02d.fd", n)))
	}
	return nil
}
