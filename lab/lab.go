// Package lab is lavacore's virtual lab: QEMU x86_64 boards with UEFI firmware
// (OVMF) that netboot GRUB over TFTP, a Debian kernel, an NFS or ramdisk root
// and an ssh server, and QEMU arm64 virt boards with Debian's U-Boot that
// netboot Debian's arm64 kernel with a busybox ramdisk or NFS root (arm.go),
// all built from Debian packages on this machine.
//
// The boards live in a network namespace (Netns) on a bridge with nothing else
// on it but the lab's own services — dnsmasq (DHCP + TFTP), rpcbind and
// nfs-ganesha (NFS), and an HTTP server for job artefacts, apt and git — all
// bound to ServerIP. A veth pair gives the root namespace (the dispatcher, its
// ssh guests) DispatcherAddr on that bridge. Nothing routes out: the namespace
// has no default route and forwards nothing, and DHCP hands out no router.
//
// Each board's serial console is a QEMU chardev unix socket held by an
// always-running relay (`lavacore lab relay`) that serves it on
// 127.0.0.1:ConsolePort(n); QEMU is started with wait=on, so it runs no
// instruction before the relay is attached and no early output is lost.
//
// Images are built by the embedded scripts/build.sh (cached, a stamp per step).
package lab

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

//go:embed scripts testdefs
var files embed.FS

// The lab's fixed names and addresses. They are fixed so that job files can
// name the lab's HTTP server (http://10.77.0.254:8080/...); there is one lab
// per machine.
const (
	Netns          = "lavacore-lab" // the boards' network namespace
	Bridge         = "br0"          // the lab bridge, inside Netns
	VethRoot       = "lvc0"         // root-namespace end of the veth pair (DispatcherAddr)
	VethLab        = "lvc0-lab"     // its peer, a port of Bridge
	ServerIP       = "10.77.0.254"  // TFTP, NFS and HTTP for the boards: lab.hcl's dispatcher_ip
	DispatcherAddr = "10.77.0.1"    // the root namespace's address on the lab network
	Subnet         = "10.77.0.0/24"
	HTTPPort       = 8080
	consolePort0   = 7000
	MaxBoards      = 50 // x86 boards
	MaxArmBoards   = 20 // ARM boards with U-Boot
	armBase        = 100
)

// HTTPBase is the base URL of the lab's HTTP server.
var HTTPBase = fmt.Sprintf("http://%s:%d", ServerIP, HTTPPort)

// Board numbers: the x86 boards are 1..MaxBoards (board-01 ...); the ARM
// boards with U-Boot are ArmBoard(1)..ArmBoard(MaxArmBoards) (arm-01 ...).
// Every function below takes either.

// BoardName is board n's device name (board-01 ..., arm-01 ...).
func BoardName(n int) string {
	if a, ok := armIndex(n); ok {
		return fmt.Sprintf("arm-%02d", a)
	}
	return fmt.Sprintf("board-%02d", n)
}

// BoardIP is the address DHCP gives board n (x86: .101-.150, ARM: .151-.170).
func BoardIP(n int) string {
	if a, ok := armIndex(n); ok {
		return fmt.Sprintf("10.77.0.%d", 150+a)
	}
	return fmt.Sprintf("10.77.0.%d", 100+n)
}

// BoardMAC is board n's MAC address.
func BoardMAC(n int) string {
	if a, ok := armIndex(n); ok {
		return fmt.Sprintf("52:54:00:77:01:%02x", a)
	}
	return fmt.Sprintf("52:54:00:77:00:%02x", n)
}

// consoleCommand is board n's connection command (its device file's and its
// LAVA device dictionary's): socat to the board's console relay.
func consoleCommand(n int) string {
	return fmt.Sprintf("socat -,raw,echo=0 TCP:127.0.0.1:%d", ConsolePort(n))
}

// powerCommand is the command that switches board n op (on, off, reset), as
// its device file and its LAVA device dictionary give it.
func (l *Lab) powerCommand(n int, op string) string {
	return fmt.Sprintf("%s lab power %s %s --dir %s", l.bin(), op, BoardName(n), l.Dir)
}

// ConsolePort is the TCP port (on 127.0.0.1) of board n's console relay
// (x86: 7001.., ARM: 7101..).
func ConsolePort(n int) int { return consolePort0 + n }

// boardNum parses "board-01", "board-1", "1" or "arm-01".
func boardNum(s string) (int, error) {
	if a, ok := strings.CutPrefix(s, "arm-"); ok {
		n, err := strconv.Atoi(a)
		if err != nil || n < 1 || n > MaxArmBoards {
			return 0, fmt.Errorf("no board %q: ARM boards are arm-01 .. arm-%02d", s, MaxArmBoards)
		}
		return ArmBoard(n), nil
	}
	n, err := strconv.Atoi(strings.TrimPrefix(s, "board-"))
	if err != nil || n < 1 || n > MaxBoards {
		return 0, fmt.Errorf("no board %q: boards are board-01 .. board-%02d and arm-01 .. arm-%02d", s, MaxBoards, MaxArmBoards)
	}
	return n, nil
}

// allBoards lists every possible board number, x86 then ARM.
func allBoards() []int {
	var b []int
	for i := 1; i <= MaxBoards; i++ {
		b = append(b, i)
	}
	for i := 1; i <= MaxArmBoards; i++ {
		b = append(b, ArmBoard(i))
	}
	return b
}

// Lab is a lab directory and its image cache.
type Lab struct {
	Dir   string    // /var/lib/lavacore/lab: lab.hcl, devices/, tftp/, nfs/, http/, run/, keys/
	Cache string    // /var/cache/lavacore: built images
	Log   io.Writer // progress messages (nil: discarded)
}

// DefaultDir and DefaultCache are the lab's directories without
// $LAVACORE_LAB_DIR and $LAVACORE_CACHE_DIR; every lavacore command's --lab
// defaults to the lab directory.
const (
	DefaultDir   = "/var/lib/lavacore/lab"
	DefaultCache = "/var/cache/lavacore"
)

// Default is the lab in $LAVACORE_LAB_DIR (else DefaultDir) with its cache
// in $LAVACORE_CACHE_DIR (else DefaultCache).
func Default() *Lab {
	l := &Lab{Dir: DefaultDir, Cache: DefaultCache}
	if v := os.Getenv("LAVACORE_LAB_DIR"); v != "" {
		l.Dir = v
	}
	if v := os.Getenv("LAVACORE_CACHE_DIR"); v != "" {
		l.Cache = v
	}
	return l
}

func (l *Lab) path(p ...string) string { return filepath.Join(append([]string{l.Dir}, p...)...) }

func (l *Lab) logf(format string, a ...any) {
	if l.Log != nil {
		fmt.Fprintf(l.Log, "%s lab: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
	}
}

// bin is the lab's own copy of lavacore (relays, HTTP server, power commands),
// so the lab does not depend on where the binary that started it lives.
func (l *Lab) bin() string { return l.path("bin", "lavacore") }

// tools maps the programs the lab runs to the Debian package that has them.
var tools = []struct{ prog, pkg string }{
	{"ip", "iproute2"}, {"ss", "iproute2"}, {"unshare", "util-linux"},
	{"qemu-system-x86_64", "qemu-system-x86"}, {"grub-mknetdir", "grub-efi-amd64-bin"},
	{"dnsmasq", "dnsmasq-base"}, {"ganesha.nfsd", "nfs-ganesha"}, {"rpcbind", "rpcbind"},
	{"git", "git"}, {"ssh-keygen", "openssh-client"}, {"socat", "socat"},
}

// armTools are what the ARM boards need besides tools.
var armTools = []struct{ prog, pkg string }{
	{"qemu-system-aarch64", "qemu-system-arm"}, {"mkimage", "u-boot-tools"},
}

var armFiles = []struct{ path, pkg string }{
	{ubootArm64, "u-boot-qemu"},
}

var needFiles = []struct{ path, pkg string }{
	{"/usr/share/OVMF/OVMF_CODE_4M.fd", "ovmf"},
	{"/usr/share/OVMF/OVMF_VARS_4M.fd", "ovmf"},
	{"/usr/lib/grub/x86_64-efi/modinfo.sh", "grub-efi-amd64-bin"},
	{"/usr/lib/x86_64-linux-gnu/ganesha/libfsalvfs.so", "nfs-ganesha-vfs"},
	{"/dev/net/tun", "the kernel's tun driver (not a package)"},
}

// checkTools names every missing program or file with its package (arm:
// the ARM boards' too).
func checkTools(arm bool) error {
	var missing []string
	progs, paths := tools, needFiles
	if arm {
		progs = append(progs[:len(progs):len(progs)], armTools...)
		paths = append(paths[:len(paths):len(paths)], armFiles...)
	}
	for _, t := range progs {
		if _, err := exec.LookPath(t.prog); err != nil {
			missing = append(missing, fmt.Sprintf("%s (package %s)", t.prog, t.pkg))
		}
	}
	for _, f := range paths {
		if _, err := os.Stat(f.path); err != nil {
			missing = append(missing, fmt.Sprintf("%s (%s)", f.path, f.pkg))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s: run 'make deps' (it installs scripts/deps.d/lab.apt and lab-arm.apt)", strings.Join(missing, ", "))
	}
	return nil
}

// run runs a command and returns its error with the command line and its output.
func run(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// inNetns prefixes a command with `ip netns exec Netns`.
func inNetns(args ...string) []string { return append([]string{"ip", "netns", "exec", Netns}, args...) }

// start starts a long-running process detached (own session, stdin
// /dev/null, output appended to logfile) and records its pid in pidfile.
func start(pidfile, logfile string, argv ...string) (int, error) {
	lf, err := os.OpenFile(logfile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer lf.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("%s: %w", argv[0], err)
	}
	pid := cmd.Process.Pid
	// Reap it if it dies while we are still around (a zombie looks alive).
	go func() { _ = cmd.Wait() }()
	if err := os.WriteFile(pidfile, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return pid, err
	}
	return pid, nil
}

// procAlive reports whether pid runs (not a zombie) and its command line
// contains want (so a reused pid is not mistaken for ours).
func procAlive(pid int, want string) bool {
	if pid <= 0 {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	if i := strings.LastIndexByte(string(stat), ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
		return false
	}
	return strings.Contains(cmdline(pid), want)
}

// cmdline is /proc/PID/cmdline with spaces.
func cmdline(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

func readPid(pidfile string) int {
	b, err := os.ReadFile(pidfile)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// stop sends SIGTERM, waits up to wait, then SIGKILL; it waits for the
// process to be gone.
func stop(pid int, wait time.Duration) {
	if pid <= 0 {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if !procAlive(pid, "") {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	for i := 0; i < 100 && procAlive(pid, ""); i++ {
		time.Sleep(20 * time.Millisecond)
	}
}

// ErrNotRoot is returned when the lab is started by another user.
var ErrNotRoot = errors.New("the virtual lab needs root (network namespace, bridge, taps, NFS server)")

// copyFile copies src to dst through a temporary file and a rename, so a
// running copy of dst is not disturbed.
func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}
