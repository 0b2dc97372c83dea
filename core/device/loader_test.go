package device_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/lavacore/lavacore/core/device"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata file name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(name, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it)\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

func TestLoadLab(t *testing.T) {
	tests := []struct {
		lab     string
		wantErr bool
		devices []string // devices that must resolve
	}{
		{lab: "mustang", devices: []string{"mustang-01"}},
		{lab: "virtual", devices: []string{"qemu-01"}},
		{lab: "ssh-and-local", devices: []string{"board-01", "ssh-host-01"}},
		{lab: "bad-vars", wantErr: true},
		{lab: "bad-schema", wantErr: true},
		{lab: "bad-type", wantErr: true, devices: []string{"ssh-01"}},
		{lab: "bad-syntax", wantErr: true},
		{lab: "bad-nolab", wantErr: true},
		{lab: "bad-labconfig", wantErr: true},
		{lab: "bad-devicetype", wantErr: true},
		{lab: "bad-sshpower", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.lab, func(t *testing.T) {
			dir := filepath.Join("testdata", "labs", tt.lab)
			lab, diags := device.LoadLab(dir, device.LoadOptions{})
			if diags.HasErrors() != tt.wantErr {
				t.Errorf("errors = %v, want %v: %v", diags.HasErrors(), tt.wantErr, diags)
			}
			var out bytes.Buffer
			if len(diags) > 0 {
				out.WriteString("== diagnostics\n")
				if err := lab.WriteDiagnostics(&out, diags); err != nil {
					t.Fatal(err)
				}
			}
			for _, n := range tt.devices {
				d, ok := lab.Devices[n]
				if !ok {
					t.Errorf("device %s did not resolve", n)
					continue
				}
				out.WriteString("== " + n + "\n")
				if err := device.WriteDevice(&out, d); err != nil {
					t.Fatal(err)
				}
			}
			if len(lab.Devices) != len(tt.devices) {
				t.Errorf("resolved %d devices, want %d", len(lab.Devices), len(tt.devices))
			}
			golden(t, dir+".golden", out.Bytes())
		})
	}
}

func TestLabConfig(t *testing.T) {
	lab, diags := device.LoadLab(filepath.Join("testdata", "labs", "mustang"), device.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if lab.DispatcherIP != "10.0.0.1" || lab.TFTPRoot != filepath.Join("testdata", "labs", "mustang", "tftp") || lab.NFSRoot != "/srv/nfs" || lab.Coordinator != "" {
		t.Errorf("lab config = %+v", lab)
	}
	if got := lab.DevicesOfType("mustang"); len(got) != 1 || got[0].Name != "mustang-01" {
		t.Errorf("DevicesOfType(mustang) = %v", got)
	}
	if got := lab.DevicesOfType("ssh"); len(got) != 0 {
		t.Errorf("DevicesOfType(ssh) = %v", got)
	}
	if _, d := lab.Device("mustang-1", nil); !d.HasErrors() || !strings.Contains(d.Error(), `Did you mean "mustang-01"?`) {
		t.Errorf("unknown device: %v", d)
	}
}

// The example lab shipped in examples/lab must load cleanly.
func TestExampleLab(t *testing.T) {
	lab, diags := device.LoadLab(filepath.Join("..", "..", "examples", "lab"), device.LoadOptions{})
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	d := lab.Devices["mustang-01"]
	if d == nil {
		t.Fatal("no mustang-01")
	}
	nfs := d.Methods["boot/grub-efi"]["commands"].(map[string]any)["nfs"].([]any)
	want := "linux (tftp,{SERVER_IP})/{KERNEL} console=ttyS0,115200n8 debug root=/dev/nfs rw nfsroot={NFS_SERVER_IP}:{NFSROOTFS},tcp,hard ip=:::::eth0:dhcp earlycon"
	if nfs[1] != want {
		t.Errorf("nfs[1] = %q\nwant     %q", nfs[1], want)
	}
}

func TestBuiltinTypes(t *testing.T) {
	types, diags := device.LoadTypes(device.LoadOptions{})
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	for _, n := range []string{"mustang", "ssh"} {
		if types[n] == nil || !types[n].Builtin {
			t.Errorf("built-in type %s missing", n)
		}
	}
	// The virtual lab overrides these mustang variables; their names are a contract.
	m := types["mustang"]
	for _, n := range []string{"connection_command", "power_on_command", "power_off_command", "hard_reset_command",
		"interrupt_prompt", "interrupt_char", "uefi_menu", "console_device", "baud_rate", "extra_kernel_args",
		"bootloader_prompt", "boot_character_delay", "ssh_user", "ssh_port", "ssh_identity_file"} {
		if m.Variables[n] == nil {
			t.Errorf("mustang has no variable %s", n)
		}
	}
	for _, n := range []string{"extra_kernel_args", "console_device", "boot_character_delay", "bootloader_prompt"} {
		if !m.Overridable(n) {
			t.Errorf("mustang: %s not in job_context", n)
		}
	}
}

// The built-in device types stay hclwrite.Format-clean (`lavacore fmt`-ready).
func TestBuiltinFormatted(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "devicetypes", "*.hcl"))
	if len(files) < 3 {
		t.Fatalf("found %d built-in device type files", len(files))
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := hclwrite.Format(src); !bytes.Equal(got, src) {
			t.Errorf("%s is not formatted like hclwrite.Format", f)
		}
	}
}

// Lab.Device may be called from several sub-jobs at once.
func TestDeviceConcurrent(t *testing.T) {
	lab, diags := device.LoadLab(filepath.Join("testdata", "labs", "mustang"), device.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	done := make(chan string)
	for i := 0; i < 8; i++ {
		go func(i int) {
			d, diags := lab.Device("mustang-01", map[string]any{"console_device": "ttyS" + string(rune('0'+i))})
			if diags.HasErrors() {
				done <- diags.Error()
				return
			}
			done <- d.Vars["console_device"].Value
		}(i)
	}
	seen := map[string]bool{}
	for i := 0; i < 8; i++ {
		seen[<-done] = true
	}
	if len(seen) != 8 {
		t.Errorf("results = %v", seen)
	}
}
