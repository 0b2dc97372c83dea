package lab_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	lcconsole "github.com/lavacore/lavacore/core/console"
	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/lab"
	"github.com/lavacore/lavacore/sdk"
)

// The smoke tests drive one board of the virtual lab by hand, through
// lavacore's own console (core/console: the board's connection_command under
// a pty, LAVA's expect) and power code (the device file's power commands):
// power on, interrupt GRUB, type the mustang device type's command set, log
// in. They need root and `make deps`; `make test` sets LAVACORE_LAB=1.

// console is a board's console as the dispatcher opens it.
type console struct {
	t     *testing.T
	c     *lcconsole.Console
	dev   *device.Device
	start time.Time
}

// boardConsole loads board-01 from the lab directory and opens its console
// with its connection_command, recording the transcript in the test's
// temporary directory.
func boardConsole(t *testing.T, dir string) *console { return deviceConsole(t, dir, "board-01") }

// deviceConsole is boardConsole for any device of the lab.
func deviceConsole(t *testing.T, dir, name string) *console {
	t.Helper()
	l, diags := device.LoadLab(dir, device.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("the lab's device files: %v", diags)
	}
	dev := l.Devices[name]
	if dev == nil || len(dev.Connections) == 0 {
		t.Fatalf("%s has no device file with a connection in %s", name, dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := lcconsole.Dial(ctx, sdk.ConsoleSpec{Command: dev.Connections[0].Command},
		lcconsole.Options{Name: name, Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("%s's console (%s): %v", name, dev.Connections[0].Command, err)
	}
	t.Cleanup(func() { c.Close() })
	return &console{t: t, c: c, dev: dev, start: time.Now()}
}

// power runs the device file's power command for op (power_on, power_off).
func (c *console) power(op string) {
	c.t.Helper()
	cmds := map[string][]string{"power_on": c.dev.Power.On, "power_off": c.dev.Power.Off}[op]
	if len(cmds) == 0 {
		c.t.Fatalf("%s has no %s command", c.dev.Name, op)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := lcconsole.RunCommands(ctx, cmds, nil); err != nil {
		c.t.Fatalf("%s: %v", op, err)
	}
}

// powerOffQuietly powers the board off at the end of a subtest, passed or
// failed (a deferred t.Fatal would hide the failure that got us here).
func (c *console) powerOffQuietly() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := lcconsole.RunCommands(ctx, c.dev.Power.Off, nil); err != nil {
		c.t.Logf("power_off: %v", err)
	}
}

// expect waits for re in the output after the previous match and returns
// the time since power-on; a timeout fails the test with core/console's
// error (the pattern, the wait, the last console lines).
func (c *console) expect(what, re string, timeout time.Duration) time.Duration {
	c.t.Helper()
	if _, err := c.c.Expect(context.Background(), []string{re}, timeout); err != nil {
		c.t.Fatalf("waiting for %s: %v", what, err)
	}
	return time.Since(c.start)
}

func (c *console) send(s string) {
	c.t.Helper()
	if err := c.c.SendRaw(context.Background(), s); err != nil {
		c.t.Fatalf("console write: %v", err)
	}
}

// labCmd runs `lavacore lab ARGS...`.
func labCmd(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, append([]string{"lab"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("lavacore lab %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// labUp brings the lab up with one board and registers `lab down` plus the
// check that nothing is left.
func labUp(t *testing.T, image string) (bin, dir string) {
	return labUpArgs(t, "--boards", "1", "--image", image)
}

// labUpArgs is labUp with `lab up`'s arguments.
func labUpArgs(t *testing.T, args ...string) (bin, dir string) {
	if os.Getenv("LAVACORE_LAB") != "1" {
		t.Skip("the virtual lab needs root and `make deps`; set LAVACORE_LAB=1 (make test does)")
	}
	bin = lavacore(t)
	dir = strings.TrimSpace(labCmd(t, bin, "dir"))
	_, _ = exec.Command(bin, "lab", "down").CombinedOutput() // a clean slate
	start := time.Now()
	labCmd(t, bin, append([]string{"up"}, args...)...)
	t.Logf("lab up %s: %s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() {
		if os.Getenv("LAVACORE_LAB_KEEP") == "1" {
			t.Logf("LAVACORE_LAB_KEEP=1: the lab stays up (lavacore lab down)")
			return
		}
		labCmd(t, bin, "down")
		assertNothingLeft(t, dir)
	})
	return bin, dir
}

// assertNothingLeft checks for processes, the namespace, the veth and mounts.
func assertNothingLeft(t *testing.T, dir string) {
	t.Helper()
	if out, _ := exec.Command("ip", "netns", "list").Output(); strings.Contains(string(out), lab.Netns) {
		t.Errorf("namespace %s left after lab down", lab.Netns)
	}
	if _, err := os.Stat("/sys/class/net/" + lab.VethRoot); err == nil {
		t.Errorf("interface %s left after lab down", lab.VethRoot)
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, _ := os.ReadFile(p)
		s := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.Contains(s, dir+"/") && !strings.Contains(s, " lab down") {
			t.Errorf("process left after lab down: %s: %s", filepath.Dir(p), s)
		}
	}
	m, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(m), lab.Netns) || strings.Contains(string(m), "lavacore-lab-run") {
		t.Errorf("mount left after lab down:\n%s", m)
	}
}

// copyTo copies src (following links) to dst.
func copyTo(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// grubBoot powers board-01 on, interrupts GRUB and types lines (the mustang
// device type's command set), returning power-on → GRUB prompt.
func grubBoot(t *testing.T, con *console, lines []string) time.Duration {
	t.Helper()
	con.start = time.Now()
	con.power("power_on")
	con.power("power_on") // idempotent
	toPrompt := con.expect("GRUB's menu", regexp.QuoteMeta(lab.InterruptPrompt), 3*time.Minute)
	con.send("c")
	con.expect("the GRUB prompt", "grub>", 30*time.Second)
	for _, l := range lines {
		con.send(l + "\r")
		if l != "boot" {
			con.expect("the GRUB prompt after "+l, "grub>", 2*time.Minute)
		}
	}
	return toPrompt
}

func TestSmokeFast(t *testing.T) {
	bin, dir := labUp(t, "fast")
	job := "smoke-fast"
	copyTo(t, filepath.Join(dir, "http/fast/vmlinuz"), filepath.Join(dir, "tftp", job, "vmlinuz"))
	copyTo(t, filepath.Join(dir, "http/fast/ramdisk.cpio.gz"), filepath.Join(dir, "tftp", job, "ramdisk.cpio.gz"))
	defer os.RemoveAll(filepath.Join(dir, "tftp", job))
	con := boardConsole(t, dir)
	toGrub := grubBoot(t, con, []string{
		"insmod gzio",
		fmt.Sprintf("linux (tftp,%s)/%s/vmlinuz console=ttyS0,115200n8 debug root=/dev/ram0 rw ip=:::::eth0:dhcp net.ifnames=0", lab.ServerIP, job),
		fmt.Sprintf("initrd (tftp,%s)/%s/ramdisk.cpio.gz", lab.ServerIP, job),
		"boot",
	})
	toLogin := con.expect("the login prompt", "login:", 3*time.Minute)
	con.send("root\r")
	con.expect("the shell prompt", "root@stretch:", 30*time.Second)
	con.send("uname -a\r")
	con.expect("uname's output", `Linux stretch \S+ .*x86_64`, 30*time.Second)
	// ssh guests reach the board from the root namespace
	c, err := net.DialTimeout("tcp", lab.BoardIP(1)+":22", 20*time.Second)
	if err != nil {
		t.Errorf("the board's sshd from the root namespace: %v", err)
	} else {
		c.Close()
	}
	t.Logf("fast image: power-on → GRUB prompt %s, → login prompt %s", toGrub.Round(100*time.Millisecond), toLogin.Round(100*time.Millisecond))
	con.power("power_off")
	out := labCmd(t, bin, "status", "--dir", dir)
	if !strings.Contains(out, "board-01   off") {
		t.Errorf("board-01 is not off after power off:\n%s", out)
	}
}

func TestSmokeReal(t *testing.T) {
	_, dir := labUp(t, "real")
	job := "smoke-real"
	copyTo(t, filepath.Join(dir, "http/real/vmlinuz"), filepath.Join(dir, "tftp", job, "vmlinuz"))
	copyTo(t, filepath.Join(dir, "http/real/initrd.img"), filepath.Join(dir, "tftp", job, "initrd.img"))
	defer os.RemoveAll(filepath.Join(dir, "tftp", job))
	// what a dispatcher does with `nfsrootfs:`: extract it under nfs_root
	root := filepath.Join(dir, "nfs", job, "extract-nfsrootfs")
	_ = os.RemoveAll(filepath.Join(dir, "nfs", job))
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("LAVACORE_LAB_KEEP") != "1" {
		defer os.RemoveAll(filepath.Join(dir, "nfs", job))
	}
	if out, err := exec.Command("tar", "--numeric-owner", "-xzf", filepath.Join(dir, "http/real/rootfs.tar.gz"), "-C", root).CombinedOutput(); err != nil {
		t.Fatalf("extract rootfs: %v\n%s", err, out)
	}
	// what `authorize: ssh` does
	pub, err := os.ReadFile(filepath.Join(dir, "keys/id_ed25519.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "root/.ssh/authorized_keys"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	con := boardConsole(t, dir)
	toGrub := grubBoot(t, con, []string{
		"insmod gzio",
		fmt.Sprintf("linux (tftp,%s)/%s/vmlinuz console=ttyS0,115200n8 debug root=/dev/nfs rw nfsroot=%s:%s,tcp,hard ip=:::::eth0:dhcp net.ifnames=0", lab.ServerIP, job, lab.ServerIP, root),
		fmt.Sprintf("initrd (tftp,%s)/%s/initrd.img", lab.ServerIP, job),
		"boot",
	})
	toLogin := con.expect("the login prompt", "login:", 6*time.Minute)
	t.Logf("real image (NFS root): power-on → GRUB prompt %s, → login prompt %s", toGrub.Round(100*time.Millisecond), toLogin.Round(100*time.Millisecond))
	con.send("root\r")
	con.expect("the shell prompt", "root@stretch:", time.Minute)
	con.send("uname -a; findmnt -no SOURCE /\r")
	con.expect("uname's output", `Linux stretch \S+ .*x86_64`, 30*time.Second)
	con.expect("the NFS root", regexp.QuoteMeta(lab.ServerIP+":"+root), 30*time.Second)
	// the local apt repository over the lab's HTTP server
	con.send("apt-get -q update && DEBIAN_FRONTEND=noninteractive apt-get -q -y install --reinstall net-tools && echo APT-OK\r")
	con.expect("apt-get from the lab's repository", "\nAPT-OK", 3*time.Minute)
	con.send("DEBIAN_FRONTEND=noninteractive apt-get -q -y install openssh-server net-tools iproute2 && echo INSTALL-OK\r")
	con.expect("the founding job's install step", "\nINSTALL-OK", 3*time.Minute)

	// a guest's login: the dispatcher's key, the guests' prompt
	key, err := os.ReadFile(filepath.Join(dir, "keys/id_ed25519"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := ssh.Dial("tcp", lab.BoardIP(1)+":22", &ssh.ClientConfig{User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 30 * time.Second})
	if err != nil {
		t.Fatalf("ssh root@%s: %v", lab.BoardIP(1), err)
	}
	defer cl.Close()
	s, err := cl.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer // not one buffer: two io.Copy into one bytes.Buffer race
	s.Stdout, s.Stderr = &out, &errOut
	if err := s.RequestPty("vt100", 24, 200, ssh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	in, _ := s.StdinPipe()
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // let the shell print its prompt
	fmt.Fprint(in, "hostname; exit\n")
	done := make(chan error, 1)
	go func() { done <- s.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ssh shell: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("ssh shell did not finish; output:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "root@linaro-developer:") {
		t.Errorf("ssh login shell prompt is not root@linaro-developer: %q", out.String())
	}
	if os.Getenv("LAVACORE_LAB_KEEP") != "1" {
		con.power("power_off")
	}
}
