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
}

// The files lab up writes load as mustang devices with the lab's variables.
func TestConfigLoads(t *testing.T) {
	l := &Lab{Dir: t.TempDir()}
	if err := os.MkdirAll(l.path("devices"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := l.writeConfig(3); err != nil {
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
	} {
		n, err := boardNum(tt.in)
		if (err != nil) != tt.err || n != tt.want {
			t.Errorf("boardNum(%q) = %d, %v", tt.in, n, err)
		}
	}
	if BoardName(3) != "board-03" || BoardIP(3) != "10.77.0.103" || BoardMAC(12) != "52:54:00:77:00:0c" || ConsolePort(2) != 7002 {
		t.Errorf("board 3: %s %s, board 12 %s", BoardName(3), BoardIP(3), BoardMAC(12))
	}
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
}
