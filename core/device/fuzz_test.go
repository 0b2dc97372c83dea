package device

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2/hclparse"
)

// FuzzLoadDevice feeds arbitrary bytes as a device file (resolved against the
// built-in types) and as a lab device type: loading must never panic.
func FuzzLoadDevice(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "labs", "*", "devices", "*.hcl"))
	types, _ := filepath.Glob(filepath.Join("testdata", "labs", "*", "devicetypes", "*.hcl"))
	for _, s := range append(seeds, types...) {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`device "x" { device_type = "mustang" vars { uefi_menu = "maybe" } }`))
	f.Add([]byte("device \"x\" {\n device_type = \"mustang\"\n connection \"serial\" {\n serial {\n port = \"/dev/ttyUSB0\"\n baud = 9600\n parity = \"even\"\n stop_bits = 2\n flow_control = \"rtscts\"\n }\n }\n vars { hard_reset_command = \"r\" }\n}\n"))
	f.Add([]byte("device \"x\" {\n device_type = \"mustang\"\n connection \"serial\" {\n tcp = \"h:1\"\n command = \"c\"\n unix = \"/s\"\n }\n}\n"))
	f.Add([]byte("device_type \"t\" {\n job_context = [\"p\"]\n}\nvariable \"p\" { default = \"/dev/ttyS0\" }\nconnection \"serial\" {\n primary = true\n serial { port = var.p }\n}\n"))
	builtin := &loader{parser: hclparse.NewParser()}
	if diags := builtin.loadTypes(""); diags.HasErrors() {
		f.Fatal(diags)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		// As a device file.
		l := &loader{parser: hclparse.NewParser()}
		lab := &Lab{Devices: map[string]*Device{}, parser: l.parser, decls: map[string]*deviceDecl{}, Types: builtin.types}
		l.addDeviceFile(lab, "fuzz.hcl", src)
		for _, n := range lab.DeviceNames() {
			d, _ := lab.Device(n, map[string]any{"extra_kernel_args": "x", "baud_rate": []any{1}})
			if d != nil {
				_ = WriteDevice(discard{}, d)
				_ = GuestDevice(d)
			}
		}
		// As a device type, with a device using it.
		f2, diags := l.parser.ParseHCL(src, "fuzz-type.hcl")
		if diags.HasErrors() {
			return
		}
		p, _ := decodePart(f2, "fuzz-type.hcl")
		if p == nil || p.header == nil {
			return
		}
		typ, _ := newDeviceType(nil, nil, p, false)
		decl := &deviceDecl{Name: "d", Type: typ.Name, File: "dev.hcl"}
		if d, _ := resolve(typ, decl, nil, LoadOptions{}); d != nil {
			_ = WriteDevice(discard{}, d)
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
