package tftp

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/ramdisk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

// ubootDevice is a beaglebone-black as base-uboot renders it (trimmed).
func ubootDevice() sdk.Device {
	return sdk.Device{Name: "bbb-01", Type: "beaglebone-black",
		Methods: map[string]map[string]any{"deploy/tftp": {}, "deploy/nfs": {}, "boot/u-boot": {"bootloader_prompt": "=>"}},
		Parameters: map[string]any{
			"bootz": map[string]any{"kernel": "0x82000000", "ramdisk": "0x83000000", "dtb": "0x88000000"},
			"bootm": map[string]any{"kernel": "0x82000000", "ramdisk": "0x83000000", "dtb": "0x88000000"}},
		SectionParameters: map[string]map[string]any{"deploy": {"add_header": "u-boot", "mkimage_arch": "arm"}}}
}

func TestDescribePrepareKernel(t *testing.T) {
	params := map[string]any{"kernel": map[string]any{"url": "http://x/zImage", "type": "zimage"}}
	req := sdk.Request{Block: sdk.Block{Section: sdk.SectionDeploy, Method: "tftp", Params: params}, Device: ubootDevice()}
	s, err := New().Describe(req)
	if err != nil {
		t.Fatal(err)
	}
	prep := s.Children[len(s.Children)-1]
	var pk *sdk.ActionSpec
	for i := range prep.Children {
		if prep.Children[i].Name == "prepare-kernel" {
			pk = &prep.Children[i]
		}
	}
	if pk == nil || len(pk.Children) != 1 || pk.Children[0].Name != "uboot-prepare-kernel" {
		t.Fatalf("prepare-kernel %+v", pk)
	}
	sdktest.CheckActions(t, New(), req)
	delete(req.Device.Methods, "boot/u-boot")
	if s, _ = New().Describe(req); len(s.Children[len(s.Children)-1].Children[4].Children) != 0 {
		t.Error("uboot-prepare-kernel on a device without u-boot")
	}
}

func TestValidateUBootKernel(t *testing.T) {
	cases := []struct {
		name   string
		params map[string]any
		edit   func(*sdk.Device)
		want   []string
	}{
		{"zimage on bootz", map[string]any{"kernel": map[string]any{"url": "http://x/zImage", "type": "zimage"}}, nil, nil},
		{"image on a device without booti or bootm", map[string]any{"kernel": map[string]any{"url": "http://x/Image", "type": "image"}},
			func(d *sdk.Device) { delete(d.Parameters, "bootm") },
			[]string{"kernel.type: Requested kernel boot type 'bootm' is not supported by this device."}},
		{"a deprecated type", map[string]any{"kernel": map[string]any{"url": "http://x/zImage", "type": "bootz"}}, nil,
			[]string{"kernel.type: booti, bootm and bootz are deprecated, please use 'image', 'uimage' or 'zimage'"}},
		{"no mkimage_arch", map[string]any{"kernel": map[string]any{"url": "http://x/zImage", "type": "zimage"},
			"ramdisk": map[string]any{"url": "http://x/initrd"}},
			func(d *sdk.Device) { delete(d.SectionParameters["deploy"], "mkimage_arch") },
			[]string{"kernel.type: Missing architecture for uboot mkimage support (mkimage_arch in u-boot parameters)",
				"ramdisk: Missing architecture for uboot mkimage support (mkimage_arch in deploy parameters)"}},
		{"an unknown header", map[string]any{"ramdisk": map[string]any{"url": "http://x/initrd"}},
			func(d *sdk.Device) { d.SectionParameters["deploy"]["add_header"] = "elf" },
			[]string{"ramdisk: ramdisk: add_header: unknown header type"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := sdk.Request{Block: sdk.Block{Section: sdk.SectionDeploy, Method: "tftp", Params: c.params}, Device: ubootDevice()}
			if c.edit != nil {
				c.edit(&req.Device)
			}
			var got []string
			for _, d := range New().Validate(context.Background(), req) {
				if d.Severity == sdk.SevError {
					got = append(got, d.Path+": "+d.Summary)
				}
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got %q\nwant %q", got, c.want)
			}
		})
	}
}

// uboot-prepare-kernel records the boot command and, for a kernel U-Boot
// boots with bootm, writes a uImage as mkimage does.
func TestUBootPrepareKernel(t *testing.T) {
	cases := []struct {
		name, kt    string
		edit        func(*sdk.Device)
		wantCmd     string
		wantKernel  string // prepare-kernel/file/kernel
		wantLoad    uint32
		wantEntry   uint32
		wantPayload string
	}{
		{name: "zimage boots with bootz as it is", kt: "zimage", wantCmd: "bootz"},
		{name: "zimage without bootz: a uImage", kt: "zimage", edit: func(d *sdk.Device) { delete(d.Parameters, "bootz") },
			wantCmd: "bootm", wantKernel: "42/tftp-deploy-1/kernel/uImage", wantLoad: 0x82000000, wantEntry: 0x82000000, wantPayload: "ZIMAGE"},
		{name: "xip and text_offset", kt: "image", edit: func(d *sdk.Device) {
			d.Parameters["text_offset"] = "0x80008000"
			d.SectionParameters["deploy"]["use_xip"] = true
		}, wantCmd: "bootm", wantKernel: "42/tftp-deploy-1/kernel/uImage", wantLoad: 0x80008000, wantEntry: 0x80008040, wantPayload: "ZIMAGE"},
		{name: "append_dtb", kt: "zimage", edit: func(d *sdk.Device) { d.SectionParameters["deploy"]["append_dtb"] = true },
			wantCmd: "bootz", wantKernel: "42/tftp-deploy-1/kernel/kernel-dtb"},
		{name: "uimage is booted as it is", kt: "uimage", wantCmd: "bootm"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "42", "tftp-deploy-1")
			os.MkdirAll(filepath.Join(dir, "kernel"), 0o755)
			os.MkdirAll(filepath.Join(dir, "dtb"), 0o755)
			kernel, dtb := filepath.Join(dir, "kernel", "zImage"), filepath.Join(dir, "dtb", "x.dtb")
			os.WriteFile(kernel, []byte("ZIMAGE"), 0o644)
			os.WriteFile(dtb, []byte("DTB"), 0o644)
			h := sdktest.NewHost("")
			h.Data["download-action/kernel/file"] = `"` + kernel + `"`
			h.Data["download-action/file/kernel"] = `"42/tftp-deploy-1/kernel/zImage"`
			h.Data["download-action/dtb/file"] = `"` + dtb + `"`
			req := sdk.Request{Block: sdk.Block{Section: sdk.SectionDeploy, Method: "tftp",
				Params: map[string]any{"kernel": map[string]any{"url": "http://x/zImage", "type": c.kt}}},
				Device: ubootDevice(), Dispatcher: sdk.Dispatcher{TFTPRoot: root}}
			if c.edit != nil {
				c.edit(&req.Device)
			}
			if err := New().Run(context.Background(), sdk.Call{Request: req, Action: "uboot-prepare-kernel", Level: "1.5.6.1"}, h); err != nil {
				t.Fatal(err)
			}
			if got := h.Data["uboot-prepare-kernel/bootcommand/bootcommand"]; got != `"`+c.wantCmd+`"` {
				t.Errorf("bootcommand %s, want %s", got, c.wantCmd)
			}
			got := h.Data["prepare-kernel/file/kernel"]
			if c.wantKernel == "" {
				if got != "" {
					t.Errorf("prepared kernel %s, want none", got)
				}
				return
			}
			if got != `"`+c.wantKernel+`"` {
				t.Fatalf("prepared kernel %s, want %s", got, c.wantKernel)
			}
			b, err := os.ReadFile(filepath.Join(root, c.wantKernel))
			if err != nil {
				t.Fatal(err)
			}
			if c.wantPayload == "" {
				if string(b) != "ZIMAGEDTB" {
					t.Errorf("kernel-dtb %q", b)
				}
				return
			}
			hd, err := ramdisk.ParseUBootHeader(b)
			if err != nil {
				t.Fatal(err)
			}
			if hd.Type != ramdisk.UBootTypeKernel || hd.Arch != 2 || hd.OS != 5 || hd.Load != c.wantLoad || hd.Entry != c.wantEntry ||
				string(b[ramdisk.UBootHeaderLen:]) != c.wantPayload || int(hd.Size) != len(c.wantPayload) {
				t.Errorf("uImage header %+v, payload %q", hd, b[ramdisk.UBootHeaderLen:])
			}
		})
	}
}

// A ramdisk not unpacked still gets the header the device wants.
func TestCompressRamdiskAddsHeader(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "42", "tftp-deploy-1")
	os.MkdirAll(filepath.Join(dir, "ramdisk"), 0o755)
	in := filepath.Join(dir, "ramdisk", "initrd.cpio.gz")
	os.WriteFile(in, []byte("CPIO"), 0o644)
	h := sdktest.NewHost("")
	h.Data["download-action/ramdisk/file"] = `"` + in + `"`
	h.Data["tftp-deploy/tftp/tftp_dir"] = `"` + dir + `"`
	req := sdk.Request{Block: sdk.Block{Section: sdk.SectionDeploy, Method: "tftp",
		Params: map[string]any{"ramdisk": map[string]any{"url": "http://x/initrd.cpio.gz"}}},
		Device: ubootDevice(), Dispatcher: sdk.Dispatcher{TFTPRoot: root}}
	if err := New().Run(context.Background(), sdk.Call{Request: req, Action: "compress-ramdisk", Level: "1.5.8"}, h); err != nil {
		t.Fatal(err)
	}
	if got := h.Data["compress-ramdisk/file/ramdisk"]; got != `"42/tftp-deploy-1/ramdisk/initrd.cpio.gz.uboot"` {
		t.Fatalf("ramdisk %s", got)
	}
	b, _ := os.ReadFile(in + ".uboot")
	hd, err := ramdisk.ParseUBootHeader(b)
	if err != nil || hd.Type != ramdisk.UBootTypeRamdisk || string(b[ramdisk.UBootHeaderLen:]) != "CPIO" {
		t.Errorf("%v %+v", err, hd)
	}
	// with a header already (header: u-boot), nothing is added
	h = sdktest.NewHost("")
	h.Data["download-action/ramdisk/file"] = `"` + in + `"`
	req.Block.Params["ramdisk"] = map[string]any{"url": "http://x/initrd.cpio.gz", "header": "u-boot"}
	if err := New().Run(context.Background(), sdk.Call{Request: req, Action: "compress-ramdisk", Level: "1.5.8"}, h); err != nil {
		t.Fatal(err)
	}
	if got := h.Data["compress-ramdisk/file/ramdisk"]; got != "" {
		t.Errorf("ramdisk %s, want the download's", got)
	}
}

func TestNFSDeploy(t *testing.T) {
	test := sdk.Block{Section: sdk.SectionTest, Method: "definitions", Namespace: "common",
		Params: map[string]any{"definitions": []any{map[string]any{"from": "git", "name": "a", "repository": "http://x/a.git", "path": "a.yaml"}}}}
	params := map[string]any{"nfsrootfs": map[string]any{"url": "http://x/rootfs.tar.xz"}, "modules": map[string]any{"url": "http://x/m.tgz"}}
	req := sdk.Request{Block: sdk.Block{Section: sdk.SectionDeploy, Method: "nfs", Namespace: "common", Params: params}, Device: ubootDevice()}
	req.Job.Blocks = []sdk.Block{req.Block, test}
	s, err := NewNFS().Describe(req)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range s.Children {
		names = append(names, c.Name)
	}
	if s.Name != "nfs-deploy" || strings.Join(names, " ") != "download-retry download-retry extract-nfsrootfs lava-overlay extract-modules apply-overlay-tftp deploy-device-env" {
		t.Errorf("%s: %s", s.Name, names)
	}
	sdktest.CheckActions(t, NewNFS(), req)
	if ok, why := NewNFS().Accepts(req); !ok {
		t.Error(why)
	}
	req.Device.Methods["deploy/image"] = map[string]any{}
	if ok, why := NewNFS().Accepts(req); ok || why != `"image" was in the device configuration deploy methods` {
		t.Error(why)
	}
	req.Block.Params = map[string]any{"persistent_nfs": map[string]any{"address": "x:/y"}}
	var got []string
	for _, d := range NewNFS().Validate(context.Background(), req) {
		got = append(got, d.Summary)
	}
	if strings.Join(got, "|") != "required key not provided: nfsrootfs" {
		t.Errorf("%q", got)
	}
}
