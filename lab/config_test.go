package lab

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/core/device"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test ./lab -run %s -update):\n%s", p, t.Name(), got)
	}
}

func TestConfigGolden(t *testing.T) {
	l := &Lab{Dir: "/var/lib/lavacore/lab", Cache: "/var/cache/lavacore"}
	golden(t, "lab.hcl.golden", l.LabHCL())
	golden(t, "board-01.hcl.golden", l.DeviceHCL(1))
	golden(t, "arm-01.hcl.golden", l.ArmDeviceHCL(ArmBoard(1)))
}

// The files lab up writes load as mustang devices with the lab's variables.
func TestConfigLoads(t *testing.T) {
	l := &Lab{Dir: t.TempDir()}
	if err := os.MkdirAll(l.path("devices"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := l.writeConfig(3, 0); err != nil {
		t.Fatal(err)
	}
	lab, diags := device.LoadLab(l.Dir, device.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("LoadLab: %v", diags)
	}
	if lab.DispatcherIP != ServerIP || lab.TFTPRoot != l.path("tftp") || lab.NFSRoot != l.path("nfs") || lab.HTTPRoot != l.path("http") {
		t.Errorf("lab config: %+v", lab)
	}
	if got := lab.DeviceNames(); strings.Join(got, ",") != "board-01,board-02,board-03,qemu-01" {
		t.Errorf("devices: %v", got)
	}
	for n := 1; n <= 3; n++ {
		d, diags := lab.Device(BoardName(n), nil)
		if diags.HasErrors() {
			t.Fatalf("%s: %v", BoardName(n), diags)
		}
		if d.Type != "mustang" {
			t.Errorf("%s: type %q", d.Name, d.Type)
		}
		want := fmt.Sprintf("socat -,raw,echo=0 TCP:127.0.0.1:%d", ConsolePort(n))
		if len(d.Connections) == 0 || d.Connections[0].Command != want {
			t.Errorf("%s: connections %+v, want %q", d.Name, d.Connections, want)
		}
		for op, cmds := range map[string][]string{"on": d.Power.On, "off": d.Power.Off, "reset": d.Power.HardReset} {
			w := fmt.Sprintf("lab power %s %s --dir %s", op, BoardName(n), l.Dir)
			if len(cmds) != 1 || !strings.Contains(cmds[0], w) {
				t.Errorf("%s: power %s = %q, want ...%s", d.Name, op, cmds, w)
			}
		}
		for k, want := range map[string]string{
			"interrupt_prompt":  InterruptPrompt,
			"uefi_menu":         "false",
			"extra_kernel_args": "net.ifnames=0",
			"ssh_identity_file": l.path("keys", "id_ed25519"),
		} {
			if v := d.Vars[k]; v.Value != want {
				t.Errorf("%s: %s = %q, want %q", d.Name, k, v.Value, want)
			}
		}
		// the mustang nfs command set ends with the lab's kernel arguments
		nfs := fmt.Sprint(d.Methods["boot/grub-efi"])
		if !strings.Contains(nfs, "ip=:::::eth0:dhcp net.ifnames=0") {
			t.Errorf("%s: grub-efi nfs commands do not carry net.ifnames=0: %s", d.Name, nfs)
		}
	}
}

func TestBoardNames(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int
		err  bool
	}{
		{"board-01", 1, false}, {"board-7", 7, false}, {"12", 12, false}, {"board-50", 50, false},
		{"board-51", 0, true}, {"board-00", 0, true}, {"rpi", 0, true}, {"", 0, true},
		{"arm-01", ArmBoard(1), false}, {"arm-20", ArmBoard(20), false}, {"arm-21", 0, true}, {"arm-00", 0, true}, {"arm-x", 0, true},
		{"101", 0, true},
	} {
		n, err := boardNum(tt.in)
		if (err != nil) != tt.err || n != tt.want {
			t.Errorf("boardNum(%q) = %d, %v", tt.in, n, err)
		}
	}
	if BoardName(3) != "board-03" || BoardIP(3) != "10.77.0.103" || BoardMAC(12) != "52:54:00:77:00:0c" || ConsolePort(2) != 7002 {
		t.Errorf("board 3: %s %s, board 12 %s", BoardName(3), BoardIP(3), BoardMAC(12))
	}
	a := ArmBoard(2)
	if BoardName(a) != "arm-02" || BoardIP(a) != "10.77.0.152" || BoardMAC(a) != "52:54:00:77:01:02" || ConsolePort(a) != 7102 ||
		relayName(a) != "relay-arm-02" || qemuName(a) != "qemu-arm-02" || tapName(a) != "lvcarm02" || !IsArm(a) || IsArm(2) {
		t.Errorf("arm-02: %s %s %s %d %s %s %s", BoardName(a), BoardIP(a), BoardMAC(a), ConsolePort(a), relayName(a), qemuName(a), tapName(a))
	}
	// no two boards share a name, address, MAC, console port or tap
	seen := map[string]int{}
	for _, b := range allBoards() {
		for _, v := range []string{BoardName(b), BoardIP(b), BoardMAC(b), fmt.Sprint(ConsolePort(b)), tapName(b), relayName(b), qemuName(b)} {
			if prev, dup := seen[v]; dup {
				t.Errorf("boards %d and %d share %s", prev, b, v)
			}
			seen[v] = b
		}
		if len(tapName(b)) > 15 {
			t.Errorf("tap name %s is too long for an interface", tapName(b))
		}
	}
}

// The ARM boards' files load as qemu-uboot-arm64 devices whose ramdisk
// command set is base-uboot's (as LAVA renders it: two spaces where the
// empty extra kernel arguments go), with base-uboot's U-Boot error messages
// and booti addresses inside the board's RAM.
func TestArmConfigLoads(t *testing.T) {
	l := &Lab{Dir: t.TempDir()}
	if err := os.MkdirAll(l.path("devices"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := l.writeConfig(1, 2); err != nil {
		t.Fatal(err)
	}
	lab, diags := device.LoadLab(l.Dir, device.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("LoadLab: %v", diags)
	}
	if got := lab.DeviceNames(); strings.Join(got, ",") != "arm-01,arm-02,board-01,qemu-01" {
		t.Errorf("devices: %v", got)
	}
	d, diags := lab.Device("arm-02", nil)
	if diags.HasErrors() {
		t.Fatalf("arm-02: %v", diags)
	}
	if d.Type != ArmDeviceType {
		t.Errorf("arm-02: type %q", d.Type)
	}
	if want := "socat -,raw,echo=0 TCP:127.0.0.1:7102"; len(d.Connections) == 0 || d.Connections[0].Command != want {
		t.Errorf("arm-02: connections %+v, want %q", d.Connections, want)
	}
	for op, cmds := range map[string][]string{"on": d.Power.On, "off": d.Power.Off, "reset": d.Power.HardReset} {
		w := fmt.Sprintf("lab power %s arm-02 --dir %s", op, l.Dir)
		if len(cmds) != 1 || !strings.Contains(cmds[0], w) {
			t.Errorf("arm-02: power %s = %q, want ...%s", op, cmds, w)
		}
	}
	ub := d.Methods["boot/u-boot"]
	if ub == nil {
		t.Fatalf("arm-02 has no boot u-boot method: %v", d.Methods)
	}
	if ub["bootloader_prompt"] != ArmBootloaderPrompt || ub["interrupt_prompt"] != ArmInterruptPrompt || ub["interrupt_char"] != "" {
		t.Errorf("u-boot prompts: %v", ub)
	}
	lines := commandLines(t, ub, "ramdisk")
	want := []string{"setenv autoload no", "setenv initrd_high 0xffffffff", "setenv fdt_high 0xffffffff", "dhcp",
		"setenv serverip {SERVER_IP}", "tftp {KERNEL_ADDR} {KERNEL}", "tftp {RAMDISK_ADDR} {RAMDISK}", "tftp {TEE_ADDR} {TEE}",
		"setenv initrd_size ${filesize}", "tftp {DTB_ADDR} {DTB}", "setenv bootargs 'console=ttyAMA0,115200n8 root=/dev/ram0  ip=dhcp'", "{BOOTX}"}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("ramdisk commands:\n got %q\nwant %q", lines, want)
	}
	nfs := commandLines(t, ub, "nfs")
	if got := nfs[len(nfs)-2]; got != "setenv bootargs 'console=ttyAMA0,115200n8 root=/dev/nfs rw nfsroot={NFS_SERVER_IP}:{NFSROOTFS},tcp,hard  ip=dhcp'" {
		t.Errorf("nfs bootargs: %q", got)
	}
	// U-Boot's errors end bootloader-commands at once (a tftp of a missing
	// file, a bad image) instead of waiting out the action's timeout
	ubc, _ := d.Constants["u-boot"].(map[string]any)
	errs := fmt.Sprint(ubc["error-messages"])
	for _, w := range []string{"File not found", "Retry count exceeded", "Bad Linux ARM64 Image magic!", "Resetting CPU", ArmTFTPNotFound} {
		if !strings.Contains(errs, w) {
			t.Errorf("constants.u-boot.error-messages lack %q: %s", w, errs)
		}
	}
	// the load addresses: inside virt's RAM (0x40000000 + ArmMemory MiB), in
	// order, with room for the 33 MB Image before the ramdisk
	booti, _ := d.Parameters["booti"].(map[string]any)
	var addr [3]uint64
	for i, k := range []string{"kernel", "ramdisk", "dtb"} {
		s, _ := booti[k].(string)
		if _, err := fmt.Sscanf(s, "0x%x", &addr[i]); err != nil {
			t.Fatalf("booti %s = %v: %v", k, booti[k], err)
		}
		if addr[i] < 0x40000000 || addr[i] >= 0x40000000+ArmMemory<<20 {
			t.Errorf("booti %s %#x is outside the board's RAM", k, addr[i])
		}
	}
	if addr[1]-addr[0] < 48<<20 || addr[2] < addr[1] {
		t.Errorf("booti addresses overlap: %#x", addr)
	}
}

// commandLines is a u-boot method's `commands "NAME"` lines.
func commandLines(t *testing.T, m map[string]any, name string) []string {
	t.Helper()
	var out []string
	cs, _ := m["commands"].(map[string]any)
	l, _ := cs[name].([]any)
	for _, x := range l {
		out = append(out, fmt.Sprint(x))
	}
	if len(out) == 0 {
		t.Fatalf("no commands %q in %#v", name, m["commands"])
	}
	return out
}

// The QEMU command line: TCG, fresh vars per board, the tap, wait=on.
func TestQemuArgs(t *testing.T) {
	l := &Lab{Dir: "/lab"}
	got := strings.Join(l.qemuArgs(2), " ")
	for _, want := range []string{"-accel tcg", "-machine q35", "file=/lab/run/vars-02.fd", "ifname=lvctap02",
		"mac=52:54:00:77:00:02,romfile=", "path=/lab/run/board-02.sock,server=on,wait=on", "-pidfile /lab/run/qemu-02.pid", "-daemonize"} {
		if !strings.Contains(got, want) {
			t.Errorf("qemu args lack %q: %s", want, got)
		}
	}
	got = strings.Join(l.armQemuArgs(ArmBoard(1)), " ")
	for _, want := range []string{"qemu-system-aarch64", "-accel tcg", "-machine virt", "-cpu cortex-a57", "-bios " + ubootArm64,
		"ifname=lvcarm01", "virtio-net-device,netdev=n0,mac=52:54:00:77:01:01", "path=/lab/run/arm-01.sock,server=on,wait=on",
		"-pidfile /lab/run/qemu-arm-01.pid", "-daemonize"} {
		if !strings.Contains(got, want) {
			t.Errorf("arm qemu args lack %q: %s", want, got)
		}
	}
	if strings.Contains(got, "virtio-net-pci") {
		t.Errorf("arm boards need virtio-net on virtio-mmio (U-Boot's legacy virtio-pci ignores mac=): %s", got)
	}
}
