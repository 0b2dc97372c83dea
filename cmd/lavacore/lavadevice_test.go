package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/core/device/lavayaml"
	"github.com/lavacore/lavacore/core/pipeline"
)

// lavaFixtures is LAVA's own test data, ../shared/lava-fixtures from the
// repository root. Absent, the test is skipped — except under CI (CI=true),
// where it fails: CI always has them.
func lavaFixtures(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "lava-fixtures")
	if _, err := os.Stat(filepath.Join(dir, "devices-rendered")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("LAVA fixtures missing under CI: %v", err)
		}
		t.Skipf("LAVA fixtures absent: %v", err)
	}
	return dir
}

// TestDevicesShowLAVADevice: `devices show --lava-device` prints a rendered
// LAVA device as lavacore resolves it, with what lavacore does not use (yet).
func TestDevicesShowLAVADevice(t *testing.T) {
	fx := lavaFixtures(t)
	tests := []struct {
		name     string
		args     []string
		wantCode int
	}{
		// U-Boot board: load addresses, deploy parameters, command sets.
		{"bbb", []string{"show", "--lava-device", filepath.Join(fx, "devices-rendered", "bbb-01.yaml"), "--type", "beaglebone-black"}, 0},
		// connections with tags, power command lists, fastboot keys kept.
		{"db410c", []string{"show", "--lava-device", filepath.Join(fx, "devices-rendered", "db410c-01.yaml")}, 0},
		// QEMU: user commands, available_architectures kept.
		{"qemu", []string{"show", "--lava-device", filepath.Join(fx, "devices-rendered", "qemu01.yaml"), "--type", "qemu"}, 0},
		{"name", []string{"show", "x", "--lava-device", filepath.Join(fx, "devices-rendered", "qemu01.yaml")}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := realMain(context.Background(), append([]string{"devices"}, tt.args...), &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			if code != 0 {
				return
			}
			out := "$ lavacore devices " + strings.Join(tt.args, " ") + "\n" + stdout.String()
			if stderr.Len() > 0 {
				out += "--- stderr\n" + stderr.String()
			}
			devicesGolden(t, "devices_show_lava_"+tt.name+".golden", []byte(out))
		})
	}
}

// TestDevicesImportRoundTrip imports each of LAVA's 95 rendered test devices
// with `devices import` into one lab, loads the lab back with the methods'
// specs (as describe and run do) and compares each device with the rendered
// file loaded directly.
func TestDevicesImportRoundTrip(t *testing.T) {
	fx := lavaFixtures(t)
	files, _ := filepath.Glob(filepath.Join(fx, "devices-rendered", "*.yaml"))
	if len(files) != 95 {
		t.Fatalf("%d rendered devices, want LAVA's 95", len(files))
	}
	lab := t.TempDir()
	if err := os.WriteFile(filepath.Join(lab, "lab.hcl"), []byte("lab {\n  dispatcher_ip = \"192.0.2.1\"\n  tftp_root = \"tftp\"\n  nfs_root = \"nfs\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pl := openPlugins("test", io.Discard)
	defer pl.close()
	spec := pipeline.SpecFunc(pl.registry())
	want := map[string]*device.Device{}
	for _, f := range files {
		var stdout, stderr bytes.Buffer
		if code := realMain(context.Background(), append([]string{"devices"}, []string{"import", f, "--out", lab}...), &stdout, &stderr); code != 0 {
			t.Fatalf("import %s: exit %d\n%s", f, code, stderr.String())
		}
		d, probs := lavayaml.LoadFile(f, lavayaml.Options{Spec: spec})
		if probs.HasErrors() {
			t.Fatal(probs.Error())
		}
		want[d.Name] = d
	}
	l, diags := device.LoadLab(lab, device.LoadOptions{Spec: spec})
	if diags.HasErrors() {
		_ = l.WriteDiagnostics(os.Stderr, diags)
		t.Fatalf("the imported lab does not load: %v", diags.Error())
	}
	for name, w := range want {
		got, diags := l.Device(name, nil)
		if diags.HasErrors() {
			t.Errorf("%s: %v", name, diags.Error())
			continue
		}
		got.Type = w.Type // the import names a type for a file without one
		if diffs := lavayaml.Diff(w, got); len(diffs) > 0 {
			t.Errorf("%s: the HCL import resolves to other values:\n  %s", name, strings.Join(diffs, "\n  "))
		}
	}
}

// TestLAVADeviceFlags: validate, describe and run take --lava-device instead
// of a lab device, and say what is wrong with a bad one at file:line:col.
func TestLAVADeviceFlags(t *testing.T) {
	fx := lavaFixtures(t)
	job := filepath.Join(fx, "sample_jobs", "mustang-grub-efi-nfs.yaml")
	dev := filepath.Join(fx, "ref-devices", "mustang-grub-efi-nfs.yaml")
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("commands:\n  connect: telnet x\ntimeouts:\n  actions:\n    power-off: {secs: 3}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args     []string
		wantCode int
		want     string // in stdout+stderr
	}{
		{[]string{"describe", job, "--lava-device", dev}, 0, "name: grub-main-action"},
		{[]string{"validate", job, "--lava-device", dev}, 0, "valid"},
		{[]string{"describe", job, "--lava-device", dev, "--device", "mustang1"}, 2, "use one"},
		{[]string{"describe", job, "--lava-device", bad}, 2, bad + ":5:17: timeouts.actions.power-off.secs: extra keys not allowed"},
		{[]string{"validate", job, "--lava-device", bad}, 2, bad + ":5:17: timeouts.actions.power-off.secs"},
		{[]string{"run", job, "--lava-device", bad}, 2, bad + ":5:17:"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[:1], " ")+"-"+filepath.Base(tt.args[len(tt.args)-1]), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := describeCommand(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%.2000s\nstderr:\n%s", code, tt.wantCode, stdout.String(), stderr.String())
			}
			if all := stdout.String() + stderr.String(); !strings.Contains(all, tt.want) {
				t.Errorf("output lacks %q:\n%.3000s", tt.want, all)
			}
		})
	}
}
