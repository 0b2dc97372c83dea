package device_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lavacore/lavacore/core/device"
)

// allowed_file_dirs: the directories file:// URLs may read from; relative
// paths resolve against the lab directory, and none is the default.
func TestLabAllowedFileDirs(t *testing.T) {
	for _, tc := range []struct {
		attr string
		want func(dir string) []string
	}{
		{"", func(string) []string { return nil }},
		{`allowed_file_dirs = ["images", "/srv/lava"]`, func(dir string) []string { return []string{filepath.Join(dir, "images"), "/srv/lava"} }},
	} {
		dir := t.TempDir()
		src := "lab {\n  dispatcher_ip = \"10.0.0.1\"\n  tftp_root = \"tftp\"\n  nfs_root = \"nfs\"\n  " + tc.attr + "\n}\n"
		os.WriteFile(filepath.Join(dir, "lab.hcl"), []byte(src), 0o644)
		lab, diags := device.LoadLab(dir, device.LoadOptions{})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		if d := cmp.Diff(tc.want(dir), lab.AllowedFileDirs); d != "" {
			t.Errorf("%q: %s", tc.attr, d)
		}
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "lab.hcl"), []byte("lab {\n  dispatcher_ip = \"x\"\n  tftp_root = \"t\"\n  nfs_root = \"n\"\n  allowed_file_dirs = \"/srv\"\n}\n"), 0o644)
	if _, diags := device.LoadLab(dir, device.LoadOptions{}); !diags.HasErrors() || !strings.Contains(diags.Error(), "list of string required") {
		t.Errorf("a string instead of a list: %v", diags)
	}
}

// lava_version: the LAVA release whose pipelines the lab builds; none is the
// default release, a name that is not YYYY.MM is refused at its position.
func TestLabLavaVersion(t *testing.T) {
	for _, tc := range []struct {
		attr, want, err string
	}{
		{"", "", ""},
		{`lava_version = "2026.08"`, "2026.08", ""},
		{`lava_version = "2023.05.1"`, "2023.05.1", ""},
		{`lava_version = "latest"`, "", `lab.hcl:5,18-26: Invalid lava_version; "latest" is not a LAVA release`},
	} {
		dir := t.TempDir()
		src := "lab {\n  dispatcher_ip = \"10.0.0.1\"\n  tftp_root = \"tftp\"\n  nfs_root = \"nfs\"\n  " + tc.attr + "\n}\n"
		os.WriteFile(filepath.Join(dir, "lab.hcl"), []byte(src), 0o644)
		lab, diags := device.LoadLab(dir, device.LoadOptions{})
		if tc.err != "" {
			if !diags.HasErrors() || !strings.Contains(diags.Error(), tc.err) {
				t.Errorf("%q: %v, want %q", tc.attr, diags, tc.err)
			}
			continue
		}
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		if lab.LavaVersion != tc.want {
			t.Errorf("%q: LavaVersion %q, want %q", tc.attr, lab.LavaVersion, tc.want)
		}
	}
}
