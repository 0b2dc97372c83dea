package tftp

import (
	"strings"
	"testing"

	"github.com/lavacore/lavacore/sdk"
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
