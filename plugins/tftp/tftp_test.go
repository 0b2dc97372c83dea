package tftp

import (
	"strings"
	"testing"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

// Downloads follow LAVA's fixed key order, not the job's.
func TestDownloadOrder(t *testing.T) {
	params := map[string]any{
		"modules":     map[string]any{"url": "http://x/modules.tgz"},
		"kernel":      map[string]any{"url": "http://x/vmlinuz"},
		"dtbo":        []any{map[string]any{"url": "http://x/a.dtbo"}},
		"ramdisk":     map[string]any{"url": "file:///srv/initrd"},
		"extra_files": map[string]any{"b": "http://x/b", "a": "http://x/a"},
	}
	keys, _ := downloads(params)
	if got := strings.Join(keys, " "); got != "ramdisk kernel modules dtbo0 extra_files/a extra_files/b" {
		t.Errorf("order %s", got)
	}
	req := sdk.Request{Block: sdk.Block{Section: sdk.SectionDeploy, Method: "tftp", Params: params}}
	s, err := New().Describe(req)
	if err != nil {
		t.Fatal(err)
	}
	if s.Children[0].Name != "download-retry" || s.Children[0].Children[0].Name != "file-download" || s.Children[1].Children[0].URL != "http://x/vmlinuz" {
		t.Errorf("%+v", s.Children[:2])
	}
	for _, c := range s.Children {
		if c.Name == "lava-overlay" || c.Name == "deploy-device-env" {
			t.Errorf("%s without a test", c.Name)
		}
	}
}

func TestAccepts(t *testing.T) {
	req := sdk.Request{Block: sdk.Block{Method: "tftp"}, Device: sdk.Device{Methods: map[string]map[string]any{}}}
	if ok, why := New().Accepts(req); ok || why != `"tftp" is not in the device configuration deploy methods` {
		t.Error(why)
	}
}

// Every action the tftp deploy declares has code.
func TestActionsHaveCode(t *testing.T) {
	test := sdk.Block{Section: sdk.SectionTest, Method: "definitions", Namespace: "common",
		Params: map[string]any{"definitions": []any{
			map[string]any{"from": "git", "name": "a", "repository": "http://x/a.git", "path": "a.yaml"},
			map[string]any{"from": "inline", "name": "b", "repository": map[string]any{}, "path": "b.yaml"},
			map[string]any{"from": "url", "name": "c", "repository": "http://x/c.yaml", "path": "c.yaml"}}}}
	cases := []struct {
		name   string
		params map[string]any
		tests  bool
	}{
		{"ramdisk with a test", map[string]any{"kernel": map[string]any{"url": "http://x/vmlinuz", "type": "zimage"},
			"ramdisk": map[string]any{"url": "file:///srv/initrd"}, "modules": map[string]any{"url": "scp://x/m.tgz"},
			"dtb": map[string]any{"url": "downloads://x.dtb"}}, true},
		{"nfs without a test", map[string]any{"kernel": map[string]any{"url": "http://x/vmlinuz"},
			"nfsrootfs": map[string]any{"url": "http://x/rootfs.tar.xz"}}, false},
		{"persistent nfs", map[string]any{"kernel": map[string]any{"url": "http://x/Image", "type": "image"},
			"persistent_nfs": map[string]any{"address": "10.0.0.1:/srv/nfs"}, "preseed": map[string]any{"url": "http://x/p"}}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := sdk.Request{Block: sdk.Block{Section: sdk.SectionDeploy, Method: "tftp", Namespace: "common", Params: c.params},
				Device: sdk.Device{Methods: map[string]map[string]any{"deploy/tftp": {}, "deploy/ssh": {}}}}
			req.Job.Blocks = []sdk.Block{req.Block}
			if c.tests {
				req.Job.Blocks = append(req.Job.Blocks, test)
			}
			sdktest.CheckActions(t, New(), req)
		})
	}
}
