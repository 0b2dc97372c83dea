package pluginhost

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/sdk"
)

// fakePlugin writes a plugin file with its checksum and manifest files (as
// `plugins checksum` records them) serving keys ("boot/x", "protocol/p").
func fakePlugin(t *testing.T, dir, name string, keys ...string) string {
	t.Helper()
	path := filepath.Join(dir, Prefix+name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n# "+name+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	sum, _ := FileSum(path)
	m := sdk.Manifest{Name: name, Version: "1.0.0", APIVersion: apiVersion()}
	for _, k := range keys {
		s, n, _ := strings.Cut(k, "/")
		if s == "protocol" {
			m.Protocols = append(m.Protocols, n)
		} else {
			m.Methods = append(m.Methods, sdk.MethodInfo{Section: sdk.Section(s), Name: n})
		}
	}
	raw, _ := json.Marshal(Recorded{SHA256: sum, Manifest: m})
	os.WriteFile(path+ManifestSuffix, raw, 0o644)
	os.WriteFile(path+ChecksumSuffix, []byte(sum+"  "+filepath.Base(path)+"\n"), 0o644)
	return path
}

// A user directory adds to the built-ins; its plugins override the methods
// they also serve, and the catalog says which.
func TestCatalogUserDirAddsAndOverrides(t *testing.T) {
	user, builtin := t.TempDir(), t.TempDir()
	fakePlugin(t, builtin, "tftp", "deploy/tftp")
	fakePlugin(t, builtin, "grub", "boot/grub", "boot/grub-efi")
	fakePlugin(t, builtin, "multinode", "protocol/lava-multinode")
	mine := fakePlugin(t, user, "mygrub", "boot/grub")
	fakePlugin(t, user, "hello", "boot/hello")
	c := Scan([]string{user, builtin})
	var keys []string
	for _, m := range c.Methods() {
		keys = append(keys, m.Key())
	}
	if got, want := strings.Join(keys, " "), "boot/hello boot/grub boot/grub-efi deploy/tftp"; got != want {
		t.Errorf("methods %q, want %q", got, want)
	}
	for _, e := range c.Entries {
		if e.Name == "grub" && e.Overridden["boot/grub"] != mine {
			t.Errorf("grub's boot/grub: overridden %v, want by %s", e.Overridden, mine)
		}
	}
	if e := c.ProtocolEntry("lava-multinode"); e == nil || e.Name != "multinode" {
		t.Errorf("lava-multinode served by %v", e)
	}
	r := c.Open(Options{})
	if ms := r.Methods(sdk.SectionBoot, "grub"); len(ms) != 1 || ms[0].(*lazyMethod).e.Path != mine {
		t.Errorf("boot/grub: %v", ms)
	}
	if len(r.Started()) != 0 {
		t.Error("opening the registry started a plugin")
	}
}

// Each reason a plugin cannot be used is named.
func TestCatalogSaysWhyUnusable(t *testing.T) {
	dir := t.TempDir()
	fakePlugin(t, dir, "stale", "boot/stale")
	os.WriteFile(filepath.Join(dir, Prefix+"stale_SHA256SUM"), []byte("ab  "+Prefix+"stale\n"), 0o644)
	changed := fakePlugin(t, dir, "changed", "boot/changed")
	os.WriteFile(changed, []byte("#!/bin/sh\n# rebuilt\n"), 0o755)
	fakePlugin(t, dir, "oldapi", "boot/oldapi")
	raw, _ := os.ReadFile(filepath.Join(dir, Prefix+"oldapi"+ManifestSuffix))
	os.WriteFile(filepath.Join(dir, Prefix+"oldapi"+ManifestSuffix), []byte(strings.Replace(string(raw), fmt.Sprintf(`"api_version":%d`, apiVersion()), `"api_version":1`, 1)), 0o644)
	os.WriteFile(filepath.Join(dir, Prefix+"nosum"), []byte("x"), 0o755)
	c := Scan([]string{dir})
	c.Verify()
	want := map[string]string{
		"stale":   "stale manifest",
		"changed": "checksum mismatch",
		"oldapi":  fmt.Sprintf("the plugin speaks plugin API 1, lavacore speaks %d", apiVersion()),
		"nosum":   "no checksum file",
	}
	for _, e := range c.Entries {
		if w := want[e.Name]; w == "" || !strings.Contains(e.Problem, w) {
			t.Errorf("%s: problem %q, want %q", e.Name, e.Problem, w)
		}
	}
	if len(c.Methods()) != 0 {
		t.Errorf("unusable plugins serve %v", c.Methods())
	}
}
