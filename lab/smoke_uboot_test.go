package lab_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lavacore/lavacore/lab"
)

// The ARM board's smoke test: arm-01 (QEMU virt arm64 + Debian's U-Boot) is
// powered on with its device file's command, U-Boot is interrupted through
// lavacore's console, and the qemu-uboot-arm64 device type's own `ramdisk`
// (then `nfs`) command set is typed with the dispatcher's substitutions done
// here (the u-boot boot method is not written yet), until the busybox
// ramdisk's (the NFS root's) shell answers.

// ubootErrors are LAVA's u-boot error-messages that can end a netboot early.
var ubootErrors = []string{"TIMEOUT", "Retry count exceeded", "File not found", "Bad Linux ARM64 Image magic!",
	"Wrong Ramdisk Image Format", "Ramdisk image is corrupt or invalid", "ERROR: Failed to allocate",
	"TFTP error: trying to overwrite reserved memory", "Unknown command"}

// substitute does what LAVA's u-boot boot action does with a command set:
// replace each {KEY} with its value, and drop a line whose key has no value.
func substitute(lines []string, subs map[string]string) []string {
	var out []string
	keyRe := regexp.MustCompile(`\{[A-Z_0-9]+\}`)
next:
	for _, l := range lines {
		for _, k := range keyRe.FindAllString(l, -1) {
			v, ok := subs[k]
			if !ok || v == "" {
				continue next
			}
			l = strings.ReplaceAll(l, k, v)
		}
		out = append(out, l)
	}
	return out
}

// armTimes is what one boot of the ARM board took from power-on.
type armTimes struct{ prompt, kernel, login, shell time.Duration }

// ubootBoot powers arm-01 on, interrupts U-Boot, types the device type's
// command set `set` with subs and logs in as root.
func ubootBoot(t *testing.T, con *console, set string, subs map[string]string) armTimes {
	t.Helper()
	ub := con.dev.Methods["boot/u-boot"]
	if ub == nil {
		t.Fatalf("%s has no u-boot boot method", con.dev.Name)
	}
	cs, _ := ub["commands"].(map[string]any)
	raw, _ := cs[set].([]any)
	if len(raw) == 0 {
		t.Fatalf("%s has no u-boot command set %q: %v", con.dev.Name, set, cs)
	}
	var lines []string
	for _, r := range raw {
		lines = append(lines, fmt.Sprint(r))
	}
	booti, _ := con.dev.Parameters["booti"].(map[string]any)
	for _, k := range []string{"kernel", "ramdisk", "dtb"} {
		subs["{"+strings.ToUpper(k)+"_ADDR}"] = fmt.Sprint(booti[k])
	}
	subs["{BOOTX}"] = fmt.Sprintf("booti %s %s %s", booti["kernel"], booti["ramdisk"], booti["dtb"])
	subs["{SERVER_IP}"] = lab.ServerIP
	lines = substitute(lines, subs)
	prompt := regexp.QuoteMeta(fmt.Sprint(ub["bootloader_prompt"]))
	errs := append([]string{prompt}, ubootErrors...)

	var tm armTimes
	con.start = time.Now()
	con.power("power_on")
	con.expect("U-Boot's interrupt prompt", regexp.QuoteMeta(fmt.Sprint(ub["interrupt_prompt"])), 2*time.Minute)
	con.send(fmt.Sprint(ub["interrupt_char"]) + "\n") // LAVA: sendline(interrupt_char)
	tm.prompt = con.expect("U-Boot's prompt", prompt, 30*time.Second)
	for i, l := range lines {
		con.send(l + "\n")
		if i == len(lines)-1 {
			break
		}
		m, err := con.c.Expect(t.Context(), errs, 2*time.Minute)
		if err != nil {
			t.Fatalf("U-Boot's prompt after %q: %v", l, err)
		}
		if m.Index != 0 {
			t.Fatalf("U-Boot: %q after %q:\n%s", m.Text, l, m.Before)
		}
	}
	tm.kernel = con.expect("U-Boot's final message", "Starting kernel", 2*time.Minute)
	con.expect("the kernel's start message", "Linux version [0-9]", time.Minute)
	tm.login = con.expect("the login prompt", "login:", 4*time.Minute)
	con.send("root\n")
	tm.shell = con.expect("the shell prompt", "root@stretch:", time.Minute)
	return tm
}

func TestSmokeArm(t *testing.T) {
	// leave the lab directory's boards as they were: a lab keeps the boards
	// it has device files for, and a lavacore without the ARM boards cannot
	// load arm-01's device type
	devFile := filepath.Join(lab.Default().Dir, "devices", "arm-01.hcl")
	if _, err := os.Stat(devFile); os.IsNotExist(err) {
		t.Cleanup(func() { _ = os.Remove(devFile) })
	}
	bin, dir := labUpArgs(t, "--boards", "0", "--arm-boards", "1", "--image", "arm64")
	out := labCmd(t, bin, "status", "--dir", dir)
	if !strings.Contains(out, "arm-01") {
		t.Fatalf("lab status does not show arm-01:\n%s", out)
	}
	job := "smoke-arm"
	for _, f := range []string{"Image", "ramdisk.cpio.gz.uboot", "virt.dtb"} {
		copyTo(t, filepath.Join(dir, "http/arm64", f), filepath.Join(dir, "tftp", job, f))
	}
	defer os.RemoveAll(filepath.Join(dir, "tftp", job))
	files := func() map[string]string {
		return map[string]string{"{KERNEL}": job + "/Image", "{RAMDISK}": job + "/ramdisk.cpio.gz.uboot", "{DTB}": job + "/virt.dtb"}
	}

	t.Run("ramdisk", func(t *testing.T) {
		con := deviceConsole(t, dir, "arm-01")
		defer con.powerOffQuietly() // also when a check fails: the next boot starts from off
		tm := ubootBoot(t, con, "ramdisk", files())
		con.send("uname -m; cat /proc/cmdline\n")
		con.expect("uname's output", `\naarch64`, 30*time.Second)
		con.expect("the kernel command line", `root=/dev/ram0\s+ip=dhcp`, 30*time.Second) // base-uboot leaves two spaces where the empty extra arguments go
		t.Logf("arm64 busybox ramdisk: power-on → U-Boot prompt %s, → Starting kernel %s, → login: %s, → shell %s",
			tm.prompt.Round(10*time.Millisecond), tm.kernel.Round(10*time.Millisecond), tm.login.Round(10*time.Millisecond), tm.shell.Round(10*time.Millisecond))
	})

	t.Run("nfs", func(t *testing.T) {
		// what a dispatcher does with `nfsrootfs:`: extract it under nfs_root
		root := filepath.Join(dir, "nfs", job, "extract-nfsrootfs")
		_ = os.RemoveAll(filepath.Join(dir, "nfs", job))
		if err := os.MkdirAll(root, 0o755); err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(filepath.Join(dir, "nfs", job))
		if out, err := exec.Command("tar", "--numeric-owner", "-xzf", filepath.Join(dir, "http/arm64/rootfs.tar.gz"), "-C", root).CombinedOutput(); err != nil {
			t.Fatalf("extract rootfs: %v\n%s", err, out)
		}
		if err := os.WriteFile(filepath.Join(root, "root", "nfs-root-marker"), []byte("on the NFS root\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		subs := files()
		subs["{NFSROOTFS}"] = root
		subs["{NFS_SERVER_IP}"] = lab.ServerIP
		con := deviceConsole(t, dir, "arm-01")
		defer con.powerOffQuietly()
		tm := ubootBoot(t, con, "nfs", subs)
		con.send("cat /root/nfs-root-marker; grep ' / ' /proc/mounts\n")
		con.expect("the NFS root's file", "\non the NFS root", 30*time.Second)
		con.expect("the NFS root mount", regexp.QuoteMeta(lab.ServerIP+":"+root)+` / nfs4`, 30*time.Second)
		t.Logf("arm64 NFS root: power-on → U-Boot prompt %s, → Starting kernel %s, → login: %s, → shell %s",
			tm.prompt.Round(10*time.Millisecond), tm.kernel.Round(10*time.Millisecond), tm.login.Round(10*time.Millisecond), tm.shell.Round(10*time.Millisecond))
	})
}
