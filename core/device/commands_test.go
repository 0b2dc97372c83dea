package device_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/sdk"
)

// writeLab writes a lab directory: lab.hcl, devicetypes/t.hcl (if typ is
// set) and devices/d.hcl.
func writeLab(t *testing.T, typ, dev string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"lab.hcl":       "lab {\n  dispatcher_ip = \"10.0.0.1\"\n  tftp_root = \"tftp\"\n  nfs_root = \"nfs\"\n}\n",
		"devices/d.hcl": dev,
	}
	if typ != "" {
		files["devicetypes/t.hcl"] = typ
	}
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

const cmdType = `device_type "t" {
  description = "t"
}
variable "relay" {
  default = 2
}
variable "pre_power" {
  default = null
}
power {
  power_off         = "pdu off"
  pre_power_command = var.pre_power
}
user_command "relay_on" {
  do   = "relay ${var.relay} on"
  undo = "relay ${var.relay} off"
}
user_command "flash" {
  do = ["flash a", "flash b"]
}
user_command "gone" {
  do = "x"
}
`

// user_command blocks of the type and of the device file (which override the
// type's by name, and may use var.*), the builtin commands of the power
// block, and what a method sees of them.
func TestUserCommands(t *testing.T) {
	dir := writeLab(t, cmdType, `device "d1" {
  device_type = "t"
  vars {
    relay     = 7
    pre_power = "hub on"
  }
  user_command "flash" {
    do   = "flash-it ${var.relay}"
    undo = "unflash"
  }
  user_command "gone" {
    do = null
  }
  user_command "mine" {
    do = "mine"
  }
}
`)
	lab, diags := device.LoadLab(dir, device.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	d := lab.Devices["d1"]
	got := map[string][2][]string{}
	for n, uc := range d.UserCommands {
		got[n] = [2][]string{uc.Do, uc.Undo}
	}
	want := map[string][2][]string{
		"relay_on": {{"relay 7 on"}, {"relay 7 off"}},
		"flash":    {{"flash-it 7"}, {"unflash"}},
		"mine":     {{"mine"}, nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("user commands (-want +got):\n%s", diff)
	}
	if r := d.UserCommands["flash"].Range; !strings.HasSuffix(r.Filename, "d.hcl") || r.Start.Line != 7 {
		t.Errorf("flash range %v", r)
	}
	s := d.SDK("")
	wantSDK := map[string]sdk.DeviceCommand{
		"relay_on":          {Do: []string{"relay 7 on"}, Undo: []string{"relay 7 off"}, User: true},
		"flash":             {Do: []string{"flash-it 7"}, Undo: []string{"unflash"}, User: true},
		"mine":              {Do: []string{"mine"}, User: true},
		"power_off":         {Do: []string{"pdu off"}},
		"pre_power_command": {Do: []string{"hub on"}},
	}
	if diff := cmp.Diff(wantSDK, s.Commands); diff != "" {
		t.Errorf("sdk commands (-want +got):\n%s", diff)
	}
	var b strings.Builder
	if err := device.WriteDevice(&b, d); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"  pre_power_command: hub on\n", "\nuser commands:\n  flash (", "    do: relay 7 on\n    undo: relay 7 off\n"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("devices show lacks %q:\n%s", w, b.String())
		}
	}
	if d := device.GuestDevice(d); len(d.SDK("").Commands) != 0 {
		t.Errorf("a guest has commands: %v", d.SDK("").Commands)
	}
}

func TestUserCommandErrors(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"builtin name", `user_command "hard_reset" { do = "x" }`, `"hard_reset" is a builtin command`},
		{"duplicate", "user_command \"a\" { do = \"x\" }\n  user_command \"a\" { do = \"y\" }", `User command "a" is already defined at line 3`},
		{"no do", `user_command "a" { undo = "x" }`, `The argument "do" is required`},
		{"bad do", `user_command "a" { do = 3 }`, `User command "a" is invalid: do: a string or a list of strings is required`},
		{"unknown attribute", "user_command \"a\" {\n    do   = \"x\"\n    when = \"y\"\n  }", `An argument named "when" is not expected here`},
		{"bad name", `user_command "a b" { do = "x" }`, `"a b" is not a valid command name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeLab(t, "", "device \"d1\" {\n  device_type = \"ssh\"\n  "+tt.body+"\n  vars { ssh_host = \"h\" }\n}\n")
			lab, diags := device.LoadLab(dir, device.LoadOptions{})
			if !diags.HasErrors() {
				t.Fatal("no error")
			}
			var b strings.Builder
			lab.WriteDiagnostics(&b, diags)
			if !strings.Contains(b.String(), tt.want) || !strings.Contains(b.String(), "d.hcl") {
				t.Errorf("diagnostics lack %q:\n%s", tt.want, b.String())
			}
		})
	}
}
