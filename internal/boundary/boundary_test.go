// Package boundary checks the plugin boundary: lavacore's command and core
// know methods and protocols only as plugins (they import none), and a
// plugin is written against the SDK alone.
package boundary

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/lavacore/lavacore/"

// pkg is what `go list -json` says of a package.
type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

func list(t *testing.T, args ...string) []pkg {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-json"}, args...)...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v", strings.Join(args, " "), err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var ps []pkg
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

func under(path, dir string) bool { return strings.HasPrefix(path, module+dir+"/") }

// The lavacore binary holds no method and no protocol but the coordinator
// server `lavacore coordinator` runs.
func TestLavacoreImportsNoPlugin(t *testing.T) {
	for _, p := range list(t, "-deps", "./cmd/lavacore") {
		if under(p.ImportPath, "plugins") ||
			under(p.ImportPath, "protocols") && p.ImportPath != module+"protocols/multinode/coordinator" {
			t.Errorf("go list -deps ./cmd/lavacore names %s", p.ImportPath)
		}
	}
}

// core/ imports no plugin and no protocol, not even in its tests (no back door).
func TestCoreImportsNoPlugin(t *testing.T) {
	for _, p := range list(t, "./core/...") {
		for _, imp := range append(append(p.Imports, p.TestImports...), p.XTestImports...) {
			if under(imp, "plugins") || under(imp, "protocols") {
				t.Errorf("%s imports %s", p.ImportPath, imp)
			}
		}
	}
}

// A plugin imports the SDK, never core/ or another plugin's internals.
func TestPluginsImportOnlySDK(t *testing.T) {
	for _, p := range list(t, "./plugins/...", "./protocols/...") {
		for _, imp := range append(append(p.Imports, p.TestImports...), p.XTestImports...) {
			if under(imp, "core") || under(imp, "plugins/internal") || under(imp, "cmd") || under(imp, "internal") {
				t.Errorf("%s imports %s", p.ImportPath, imp)
			}
		}
	}
}
