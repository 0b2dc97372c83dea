package lavayaml

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/core/device"
)

// TestLoadLAVARenderedDevices loads every device LAVA's tests use, as LAVA's
// server renders it, and every device a pipeline reference was built with.
func TestLoadLAVARenderedDevices(t *testing.T) {
	for _, dir := range []string{"devices-rendered", "ref-devices"} {
		files := fixtureFiles(t, dir)
		if dir == "devices-rendered" && len(files) != 95 {
			t.Errorf("%s: %d files, want LAVA's 95 test devices", dir, len(files))
		}
		for _, f := range files {
			d, probs := LoadFile(f, Options{})
			if len(probs) > 0 {
				t.Errorf("%s", probs.Error())
				continue
			}
			if d.Name == "" || len(d.Methods) == 0 || len(d.ActionTimeouts) == 0 || len(d.Constants) == 0 {
				t.Errorf("%s: name %q, %d methods, %d action timeouts, %d constants: a rendered device has all of them",
					f, d.Name, len(d.Methods), len(d.ActionTimeouts), len(d.Constants))
			}
		}
	}
}

// TestImportRoundTrip imports each of LAVA's 95 rendered test devices to HCL
// (a device type and a device), loads the HCL back and compares every
// resolved value with the directly loaded device.
func TestImportRoundTrip(t *testing.T) {
	for _, f := range fixtureFiles(t, "devices-rendered") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want, probs := LoadFile(f, Options{Type: "lava-test"})
			if probs.HasErrors() {
				t.Fatal(probs.Error())
			}
			got := roundTrip(t, want, "lava-"+want.Name)
			got.Type = want.Type
			if diffs := Diff(want, got); len(diffs) > 0 {
				t.Errorf("the HCL import resolves to other values:\n  %s", strings.Join(diffs, "\n  "))
			}
		})
	}
}

// roundTrip writes d as HCL into a lab and loads it back.
func roundTrip(t *testing.T, d *device.Device, typeName string) *device.Device {
	t.Helper()
	h, err := ToHCL(d, typeName, filepath.Base(d.File))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, src := range map[string][]byte{
		"lab.hcl": []byte("lab {\n  dispatcher_ip = \"192.0.2.1\"\n  tftp_root = \"tftp\"\n  nfs_root = \"nfs\"\n}\n"),
		filepath.Join("devicetypes", typeName+".hcl"): h.Type,
		filepath.Join("devices", d.Name+".hcl"):       h.Device,
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lab, diags := device.LoadLab(dir, device.LoadOptions{})
	if diags.HasErrors() {
		device.WriteDiagnostics(os.Stderr, lab.Files(), diags, 0, false)
		t.Fatalf("the import does not load: %s\n--- type\n%s\n--- device\n%s", diags.Error(), h.Type, h.Device)
	}
	got, diags := lab.Device(d.Name, nil)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return got
}
