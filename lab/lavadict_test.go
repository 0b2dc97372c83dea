package lab

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/core/device/lavayaml"
)

// lavaTemplateDirs are where render.py finds LAVA's base.jinja2 (besides $LAVA_DEVICE_TYPES).
var lavaTemplateDirs = []string{"/etc/lava-server/dispatcher-config/device-types", "/usr/share/lava-server/device-types", "/var/lib/lavacore/lava-device-types"}

// needRender skips (fails when CI=true) without Debian's python3-jinja2 or LAVA's base.jinja2.
func needRender(t *testing.T) {
	t.Helper()
	missing := ""
	if err := exec.Command("/usr/bin/python3", "-c", "import jinja2").Run(); err != nil {
		missing = "/usr/bin/python3 with jinja2 (python3-jinja2): " + err.Error()
	} else {
		found := false
		dirs := append(filepath.SplitList(os.Getenv("LAVA_DEVICE_TYPES")), lavaTemplateDirs...)
		for _, d := range dirs {
			if _, err := os.Stat(filepath.Join(d, "base.jinja2")); err == nil {
				found = true
			}
		}
		if !found {
			missing = "LAVA's base.jinja2 in " + strings.Join(dirs, ", ") + " (make deps: scripts/deps.d/lava-templates.sh)"
		}
	}
	if missing == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI: missing %s", missing)
	}
	t.Skipf("missing %s", missing)
}

// setLines is a grub-efi command set's lines, from an HCL device (a list,
// or {lines}) or a LAVA-rendered one (a list).
func setLines(m map[string]any, set string) []string {
	cmds, _ := m["commands"].(map[string]any)
	v := cmds[set]
	if mm, ok := v.(map[string]any); ok {
		v = mm["lines"]
	}
	var out []string
	list, _ := v.([]any)
	for _, s := range list {
		out = append(out, fmt.Sprint(s))
	}
	return out
}

// The device file a LAVA server (or render.py) makes from lab up's
// lava/board-NN.jinja2 and lava/lavacore-lab-x86.jinja2 is the board of
// devices/board-NN.hcl: the same console, power commands, GRUB prompt and
// kernel command lines, and uefi-menu steps that match a board without a
// UEFI menu (the firmware's PXE line, GRUB's banner, nothing to select).
func TestLavaDictionaryRendersTheHCLBoard(t *testing.T) {
	needRender(t)
	l := &Lab{Dir: t.TempDir()}
	if err := os.MkdirAll(l.path("devices"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := l.writeConfig(2, 0); err != nil {
		t.Fatal(err)
	}
	hcl, diags := device.LoadLab(l.Dir, device.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("LoadLab: %v", diags)
	}
	out := t.TempDir()
	for n := 1; n <= 2; n++ {
		t.Run(BoardName(n), func(t *testing.T) {
			want, diags := hcl.Device(BoardName(n), nil)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			cmd := exec.Command("/usr/bin/python3", l.path("lava", "render.py"), l.path("lava", BoardName(n)+".jinja2"))
			var stderr strings.Builder
			cmd.Stderr = &stderr
			yml, err := cmd.Output()
			if err != nil {
				t.Fatalf("render.py: %v\n%s", err, stderr.String())
			}
			file := filepath.Join(out, "lava-"+BoardName(n)+".yaml")
			if err := os.WriteFile(file, yml, 0o644); err != nil {
				t.Fatal(err)
			}
			got, probs := lavayaml.LoadFile(file, lavayaml.Options{Type: "mustang"})
			if probs.HasErrors() {
				t.Fatalf("lavayaml: %v\n%s", probs, yml)
			}
			if len(got.Connections) == 0 || got.Connections[0].Command != want.Connections[0].Command {
				t.Errorf("connection %+v, want %q", got.Connections, want.Connections[0].Command)
			}
			for _, p := range []struct {
				name      string
				got, want []string
			}{{"power_on", got.Power.On, want.Power.On}, {"power_off", got.Power.Off, want.Power.Off}, {"hard_reset", got.Power.HardReset, want.Power.HardReset}} {
				if !reflect.DeepEqual(p.got, p.want) || len(p.got) != 1 {
					t.Errorf("%s %q, want %q", p.name, p.got, p.want)
				}
			}
			if d := got.CharacterDelays["boot"]; d != 0 {
				t.Errorf("boot character delay %v, want 0", d)
			}
			grubConsts, _ := got.Constants["grub-efi"].(map[string]any)
			if v := grubConsts["interrupt-prompt"]; v != InterruptPrompt || want.Vars["interrupt_prompt"].Value != InterruptPrompt {
				t.Errorf("grub-efi interrupt-prompt %q (HCL %q), want %q", v, want.Vars["interrupt_prompt"].Value, InterruptPrompt)
			}
			gm, wm := got.Methods["boot/grub-efi"], want.Methods["boot/grub-efi"]
			if gm["bootloader_prompt"] != "grub>" {
				t.Errorf("grub-efi bootloader_prompt %q", gm["bootloader_prompt"])
			}
			for _, set := range []string{"ramdisk", "nfs"} {
				if g, w := setLines(gm, set), setLines(wm, set); len(w) == 0 || !reflect.DeepEqual(g, w) {
					t.Errorf("grub-efi %s commands\n got %q\nwant %q (devices/%s.hcl)", set, g, w, BoardName(n))
				}
			}
			menu := got.Methods["boot/uefi-menu"]
			for k, v := range map[string]any{"menu_options": "pxe-grub", "interrupt_prompt": "Start PXE over IPv4",
				"interrupt_string": "", "bootloader_prompt": "Welcome to GRUB!", "pxe-grub": []any{}} {
				if !reflect.DeepEqual(menu[k], v) {
					t.Errorf("uefi-menu %s = %#v, want %#v", k, menu[k], v)
				}
			}
		})
	}
}

// With lab_nfsroot_prefix (lava-run's NFS root under a bind mount in the
// lab's export) the nfs command line names the prefixed path.
func TestLavaDictionaryNFSRootPrefix(t *testing.T) {
	needRender(t)
	l := &Lab{Dir: t.TempDir()}
	if err := l.writeLava(1); err != nil {
		t.Fatal(err)
	}
	yml, err := exec.Command("/usr/bin/python3", l.path("lava", "render.py"), l.path("lava", "board-01.jinja2"),
		"lab_nfsroot_prefix=/var/lib/lavacore/lab/nfs/lava-run").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(yml), "nfsroot={NFS_SERVER_IP}:/var/lib/lavacore/lab/nfs/lava-run{NFSROOTFS},tcp,hard ") {
		t.Errorf("no prefixed nfsroot in\n%s", yml)
	}
	if _, err := l.LavaDictionary(ArmBoard(1)); err == nil {
		t.Errorf("arm-01 has a dictionary")
	}
}

// NeedRender is needRender for the lab_test package's lab tests.
func NeedRender(t *testing.T) { t.Helper(); needRender(t) }
