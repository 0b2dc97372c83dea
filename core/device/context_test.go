package device_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/sdk"
)

func loadMustang(t testing.TB, opts device.LoadOptions) *device.Lab {
	t.Helper()
	lab, diags := device.LoadLab(filepath.Join("testdata", "labs", "mustang"), opts)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return lab
}

func nfsLine(t *testing.T, d *device.Device) string {
	t.Helper()
	cmds, ok := d.Methods["boot/grub-efi"]["commands"].(map[string]any)
	if !ok {
		t.Fatalf("boot/grub-efi commands = %#v", d.Methods["boot/grub-efi"]["commands"])
	}
	lines, ok := cmds["nfs"].([]any)
	if !ok || len(lines) != 4 {
		t.Fatalf("nfs = %#v", cmds["nfs"])
	}
	return lines[1].(string)
}

func TestProvenance(t *testing.T) {
	lab := loadMustang(t, device.LoadOptions{})
	tests := []struct {
		name     string
		ctx      map[string]any
		variable string
		want     device.Value // Raw, Origin, File, Line compared
		wantWarn string
	}{
		{name: "type default", variable: "console_device",
			want: device.Value{Raw: "ttyS0", Origin: device.FromTypeDefault, File: "<builtin>/mustang.hcl", Line: 38}},
		{name: "base default", variable: "kernel_start_message",
			want: device.Value{Raw: "Linux version [0-9]", Origin: device.FromTypeDefault, File: "<builtin>/_base.hcl", Line: 6}},
		{name: "device file", variable: "extra_kernel_args",
			want: device.Value{Raw: "earlycon", Origin: device.FromDeviceFile, File: "testdata/labs/mustang/devices/mustang-01.hcl", Line: 10}},
		{name: "job context plain", ctx: map[string]any{"console_device": "ttyAMA0"}, variable: "console_device",
			want: device.Value{Raw: "ttyAMA0", Origin: device.FromJobContext, File: "job context"}},
		{name: "job context positioned", variable: "extra_kernel_args",
			ctx:  map[string]any{"extra_kernel_args": device.ContextValue{Value: "quiet", File: "job.yaml", Line: 12, Column: 3}},
			want: device.Value{Raw: "quiet", Origin: device.FromJobContext, File: "job.yaml", Line: 12}},
		{name: "job context converts", ctx: map[string]any{"baud_rate": "9600"}, variable: "baud_rate",
			want: device.Value{Raw: 9600.0, Origin: device.FromJobContext, File: "job context"}},
		{name: "not overridable", ctx: map[string]any{"interrupt_char": "x"}, variable: "interrupt_char",
			want:     device.Value{Raw: "c", Origin: device.FromTypeDefault, File: "<builtin>/mustang.hcl", Line: 62},
			wantWarn: "Variable not overridable by job context"},
		{name: "unrelated context key", ctx: map[string]any{"arch": "amd64", "no_kvm": true}, variable: "console_device",
			want: device.Value{Raw: "ttyS0", Origin: device.FromTypeDefault, File: "<builtin>/mustang.hcl", Line: 38}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, diags := lab.Device("mustang-01", tt.ctx)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			got := d.Vars[tt.variable]
			if got.Raw != tt.want.Raw || got.Origin != tt.want.Origin || got.File != tt.want.File || got.Line != tt.want.Line {
				t.Errorf("%s = %+v, want %+v", tt.variable, got, tt.want)
			}
			var warn string
			for _, d := range diags {
				if d.Severity == hcl.DiagWarning {
					warn = d.Summary
				}
			}
			if warn != tt.wantWarn {
				t.Errorf("warning = %q, want %q", warn, tt.wantWarn)
			}
		})
	}
	// The lab's resolved device is untouched by a context.
	if got := lab.Devices["mustang-01"].Vars["console_device"].Raw; got != "ttyS0" {
		t.Errorf("lab device changed: %v", got)
	}
}

func TestContextReachesCommands(t *testing.T) {
	lab := loadMustang(t, device.LoadOptions{})
	d, diags := lab.Device("mustang-01", map[string]any{
		"extra_kernel_args":    "net.ifnames=0",
		"console_device":       "ttyAMA0",
		"boot_character_delay": 30,
		"extra_nfsroot_args":   ",vers=3",
	})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := "linux (tftp,{SERVER_IP})/{KERNEL} console=ttyAMA0,115200n8 debug root=/dev/nfs rw nfsroot={NFS_SERVER_IP}:{NFSROOTFS},tcp,hard,vers=3 ip=:::::eth0:dhcp net.ifnames=0"
	if got := nfsLine(t, d); got != want {
		t.Errorf("nfs line\n got %q\nwant %q", got, want)
	}
	if got := d.CharacterDelays["boot"]; got != 30*time.Millisecond {
		t.Errorf("boot delay = %v", got)
	}
}

func TestContextErrors(t *testing.T) {
	lab := loadMustang(t, device.LoadOptions{})
	_, diags := lab.Device("mustang-01", map[string]any{"baud_rate": device.ContextValue{Value: "fast", File: "job.yaml", Line: 7, Column: 3}})
	if !diags.HasErrors() {
		t.Fatal("no error")
	}
	d := diags[0]
	if d.Summary != "Invalid value for variable" || d.Subject == nil || d.Subject.Filename != "job.yaml" || d.Subject.Start.Line != 7 ||
		!strings.Contains(d.Detail, "needs a number") {
		t.Errorf("diag = %+v subject %+v", d, d.Subject)
	}
	_, diags = lab.Device("mustang-01", map[string]any{"boot_character_delay": "soon"})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "Invalid character delay") {
		t.Errorf("bad delay: %v", diags)
	}
}

func TestGuestDevice(t *testing.T) {
	lab := loadMustang(t, device.LoadOptions{})
	host := lab.Devices["mustang-01"]
	g := device.GuestDevice(host)
	if !g.Guest || g.Name != host.Name || g.Type != "mustang" {
		t.Errorf("guest identity = %s/%s guest=%v", g.Name, g.Type, g.Guest)
	}
	if len(g.Power.On)+len(g.Power.Off)+len(g.Power.HardReset) != 0 || len(g.Connections) != 0 || len(g.CharacterDelays) != 0 {
		t.Errorf("guest keeps power/console/delays: %+v %+v %+v", g.Power, g.Connections, g.CharacterDelays)
	}
	ssh := g.Methods["deploy/ssh"]
	if ssh["user"] != "root" || ssh["port"] != 22.0 || ssh["identity_file"] != "dynamic_vm_keys/lava" || len(ssh["options"].([]any)) != 6 {
		t.Errorf("guest deploy/ssh = %v", ssh)
	}
	if _, ok := g.Methods["boot/ssh"]; !ok {
		t.Error("guest has no boot/ssh")
	}
	if v, _ := g.Constant("kernel-start-message"); v != "" {
		t.Errorf("guest kernel-start-message = %q", v)
	}
	if v, _ := g.Constant("kernel_start_message"); v != "" {
		t.Errorf("Constant with underscores = %q", v)
	}
	if v, _ := host.Constant("kernel_start_message"); v != "Linux version [0-9]" {
		t.Errorf("host constant changed: %q", v)
	}
	if v, ok := g.Constant("posix", "lava_test_results_dir"); !ok || v != "/lava-%s" {
		t.Errorf("posix results dir = %v %v", v, ok)
	}
	if g.ActionTimeouts["power-off"] != 20*time.Second {
		t.Errorf("guest timeouts = %v", g.ActionTimeouts)
	}
	// Mutating the guest leaves the host alone.
	g.Methods["deploy/ssh"]["host"] = "10.0.0.9"
	if host.Methods["deploy/ssh"]["host"] != "" {
		t.Error("guest shares maps with host")
	}
	if device.GuestDevice(nil) != nil {
		t.Error("GuestDevice(nil) != nil")
	}
}

// grubSpec is what a grub-efi plugin might declare.
func grubSpec() *sdk.BlockSpec {
	return &sdk.BlockSpec{
		Attrs: []sdk.AttrSpec{
			{Name: "uses_menu", Type: "string"},
			{Name: "bootloader_prompt", Type: "string", Required: true},
			{Name: "interrupt_prompt", Type: "string"},
			{Name: "interrupt_char", Type: "string", Default: "c"},
			{Name: "interrupt_newline", Type: "bool", Default: true},
			{Name: "error_messages", Type: "list(string)"},
		},
		Blocks: []sdk.NestedBlockSpec{{
			TypeName: "commands", Labels: []string{"name"},
			Body: sdk.BlockSpec{Attrs: []sdk.AttrSpec{{Name: "lines", Type: "list(string)", Required: true}}},
		}},
	}
}

func TestMethodSpec(t *testing.T) {
	generic := loadMustang(t, device.LoadOptions{}).Devices["mustang-01"]
	lab := loadMustang(t, device.LoadOptions{Spec: func(key string) *sdk.BlockSpec {
		if key == "boot/grub-efi" {
			return grubSpec()
		}
		return nil
	}})
	d := lab.Devices["mustang-01"]
	if got, want := nfsLine(t, d), nfsLine(t, generic); got != want {
		t.Errorf("spec and generic decode differ:\n%q\n%q", got, want)
	}
	m := d.Methods["boot/grub-efi"]
	if m["interrupt_newline"] != true || m["interrupt_char"] != "c" || m["uses_menu"] != "uefi-menu/pxe-grub" {
		t.Errorf("spec decode = %v", m)
	}
	if _, ok := m["enabled"]; ok {
		t.Error("enabled leaked into the method")
	}
}

func TestMethodSpecErrors(t *testing.T) {
	tests := []struct {
		name string
		spec *sdk.BlockSpec
		want string
	}{
		{name: "unknown attribute", spec: &sdk.BlockSpec{Attrs: []sdk.AttrSpec{{Name: "bootloader_prompt", Type: "string"}}},
			want: `An argument named "uses_menu" is not expected here`},
		{name: "required missing", spec: func() *sdk.BlockSpec {
			s := grubSpec()
			s.Attrs = append(s.Attrs, sdk.AttrSpec{Name: "needs_this", Type: "string", Required: true})
			return s
		}(), want: `The argument "needs_this" is required`},
		{name: "wrong type", spec: func() *sdk.BlockSpec {
			s := grubSpec()
			s.Attrs[1].Type = "number"
			return s
		}(), want: `bootloader_prompt`},
		{name: "bad spec type", spec: func() *sdk.BlockSpec {
			s := grubSpec()
			s.Attrs[0].Type = "strnig"
			return s
		}(), want: `Invalid method spec`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lab, diags := device.LoadLab(filepath.Join("testdata", "labs", "mustang"), device.LoadOptions{Spec: func(key string) *sdk.BlockSpec {
				if key == "boot/grub-efi" {
					return tt.spec
				}
				return nil
			}})
			if !diags.HasErrors() {
				t.Fatal("no error")
			}
			if _, ok := lab.Devices["mustang-01"]; ok {
				t.Error("device resolved despite errors")
			}
			var b strings.Builder
			lab.WriteDiagnostics(&b, diags)
			if !strings.Contains(b.String(), tt.want) || !strings.Contains(b.String(), "<builtin>/mustang.hcl line") {
				t.Errorf("diagnostics lack %q:\n%s", tt.want, b.String())
			}
		})
	}
}

func TestSDKDevice(t *testing.T) {
	d := loadMustang(t, device.LoadOptions{}).Devices["mustang-01"]
	s := d.SDK("boot/grub-efi")
	if s.Vars["baud_rate"] != "115200" || s.Vars["power_on_command"] != "" || s.Method["bootloader_prompt"] != "grub>" {
		t.Errorf("sdk device = %+v", s)
	}
}

func BenchmarkLoadLab(b *testing.B) {
	dir := filepath.Join("..", "..", "examples", "lab")
	for b.Loop() {
		if _, diags := device.LoadLab(dir, device.LoadOptions{}); diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}

func BenchmarkDeviceWithContext(b *testing.B) {
	lab := loadMustang(b, device.LoadOptions{})
	ctx := map[string]any{"extra_kernel_args": "quiet"}
	for b.Loop() {
		if _, diags := lab.Device("mustang-01", ctx); diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}
