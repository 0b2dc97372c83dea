package device_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/lavacore/lavacore/core/device"
)

// writeBaseLab writes a lab directory holding files (path → content) and lab.hcl.
func writeBaseLab(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["lab.hcl"] = "lab {\n  dispatcher_ip = \"192.0.2.1\"\n  tftp_root = \"tftp\"\n  nfs_root = \"nfs\"\n}\n"
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// builtinBases stands in for devicetypes/: _base.hcl and a named base.
var builtinBases = fstest.MapFS{
	"_base.hcl": {Data: []byte(`
variable "failure_retry" { default = 1 }
constants { failure_retry = var.failure_retry }
timeouts { actions = { "power-off" = "10s", "pdu-reboot" = "30s" } }
`)},
	"_base-uboot.hcl": {Data: []byte(`
job_context = ["bootloader_prompt"]
variable "bootloader_prompt" { default = "=>" }
variable "connection_command" {
  type    = string
  default = null
}
variable "connection_list" {
  type    = list(string)
  default = []
}
variable "connection_commands" {
  type    = map(string)
  default = {}
}
variable "connection_tags" {
  type    = map(list(string))
  default = {}
}
locals { prompt = var.bootloader_prompt }
dynamic "connection" {
  for_each = var.connection_command == null ? [] : [var.connection_command]
  labels   = ["serial"]
  content {
    primary = true
    command = connection.value
  }
}
dynamic "connection" {
  for_each = var.connection_command != null ? [] : var.connection_list
  labels   = [connection.value]
  content {
    command = var.connection_commands[connection.value]
    primary = contains(lookup(var.connection_tags, connection.value, []), "primary")
    tags    = [for t in lookup(var.connection_tags, connection.value, []) : t if t != "primary"]
  }
}
boot "u-boot" { bootloader_prompt = local.prompt }
deploy "tftp" {}
`)},
}

// TestTypeBase: a device type names the shared base it extends (base =
// "NAME" → _NAME.hcl), merged after _base.hcl and before the type.
func TestTypeBase(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		device  string
		wantErr string // in the diagnostics; "" = resolves
		check   func(t *testing.T, d *device.Device)
	}{
		{
			name: "extends",
			files: map[string]string{
				"devicetypes/board.hcl": `device_type "board" { base = "base-uboot" }
variable "bootloader_prompt" { default = "U-Boot" }
timeouts { actions = { "pdu-reboot" = null, "power-off" = "15s" } }
`,
				"devices/d.hcl": `device "d1" {
  device_type = "board"
  vars { connection_command = "telnet localhost 7000" }
}`,
			},
			device: "d1",
			check: func(t *testing.T, d *device.Device) {
				if got := d.Methods["boot/u-boot"]["bootloader_prompt"]; got != "U-Boot" {
					t.Errorf("bootloader_prompt = %v, want the type's default U-Boot", got)
				}
				if _, ok := d.Methods["deploy/tftp"]; !ok {
					t.Error("deploy/tftp of the base is missing")
				}
				if d.Constants["failure_retry"] != float64(1) {
					t.Errorf("constants of _base.hcl missing: %v", d.Constants)
				}
				if _, ok := d.ActionTimeouts["pdu-reboot"]; ok {
					t.Error("a null timeout did not remove pdu-reboot")
				}
				if d.ActionTimeouts["power-off"] != 15*time.Second {
					t.Errorf("power-off = %v, want 15s", d.ActionTimeouts["power-off"])
				}
				if len(d.Connections) != 1 || d.Connections[0].Name != "serial" || !d.Connections[0].Primary || d.Connections[0].Command != "telnet localhost 7000" {
					t.Errorf("connections = %+v", d.Connections)
				}
				if len(d.JobContext) != 1 || d.JobContext[0] != "bootloader_prompt" {
					t.Errorf("job_context = %v, want the base's", d.JobContext)
				}
			},
		},
		{
			name: "connection list",
			files: map[string]string{
				"devicetypes/board.hcl": `device_type "board" { base = "base-uboot" }`,
				"devices/d.hcl": `device "d1" {
  device_type = "board"
  vars {
    connection_list     = ["uart0", "uart1"]
    connection_commands = { uart0 = "telnet a 1", uart1 = "telnet a 2" }
    connection_tags     = { uart0 = ["primary", "telnet"] }
  }
}`,
			},
			device: "d1",
			check: func(t *testing.T, d *device.Device) {
				if len(d.Connections) != 2 {
					t.Fatalf("connections = %+v, want uart0 and uart1", d.Connections)
				}
				c0, c1 := d.Connections[0], d.Connections[1]
				if c0.Name != "uart0" || !c0.Primary || c0.Command != "telnet a 1" || len(c0.Tags) != 1 || c0.Tags[0] != "telnet" {
					t.Errorf("uart0 = %+v", c0)
				}
				if c1.Name != "uart1" || c1.Primary || c1.Command != "telnet a 2" || len(c1.Tags) != 0 {
					t.Errorf("uart1 = %+v", c1)
				}
			},
		},
		{
			name: "lab base shadows the built-in one",
			files: map[string]string{
				"devicetypes/_base-uboot.hcl": `boot "u-boot" { bootloader_prompt = "lab>" }`,
				"devicetypes/board.hcl":       `device_type "board" { base = "base-uboot" }`,
				"devices/d.hcl":               `device "d1" { device_type = "board" }`,
			},
			device: "d1",
			check: func(t *testing.T, d *device.Device) {
				if got := d.Methods["boot/u-boot"]["bootloader_prompt"]; got != "lab>" {
					t.Errorf("bootloader_prompt = %v, want the lab base's", got)
				}
				if _, ok := d.Methods["deploy/tftp"]; ok {
					t.Error("the built-in base was merged too")
				}
			},
		},
		{
			name: "unknown base",
			files: map[string]string{
				"devicetypes/board.hcl": `device_type "board" { base = "base-ubot" }`,
			},
			wantErr: `Device type "board" extends base "base-ubot", but there is no _base-ubot.hcl`,
		},
		{
			name: "standalone with a base",
			files: map[string]string{
				"devicetypes/board.hcl": `device_type "board" {
  base       = "base-uboot"
  standalone = true
}`,
			},
			wantErr: "it starts from no base, so it cannot name base",
		},
		{
			name: "a base file declaring a type",
			files: map[string]string{
				"devicetypes/_other.hcl": `device_type "other" {}`,
			},
			wantErr: "_other.hcl holds defaults shared by device types",
		},
		{
			name: "dynamic block of another type",
			files: map[string]string{
				"devicetypes/board.hcl": `device_type "board" {}
dynamic "boot" {
  for_each = ["x"]
  labels   = [boot.value]
  content {}
}`,
				"devices/d.hcl": `device "d1" { device_type = "board" }`,
			},
			wantErr: `A dynamic block generates connection or user_command blocks only, not "boot"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeBaseLab(t, tt.files)
			lab, diags := device.LoadLab(dir, device.LoadOptions{Builtin: builtinBases})
			if tt.wantErr != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.wantErr) {
					t.Fatalf("diagnostics %v, want an error with %q", diags, tt.wantErr)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			d, ok := lab.Devices[tt.device]
			if !ok {
				t.Fatalf("device %s did not resolve", tt.device)
			}
			if lab.Types["board"].Base != "base-uboot" {
				t.Errorf("Base = %q", lab.Types["board"].Base)
			}
			tt.check(t, d)
		})
	}
}
