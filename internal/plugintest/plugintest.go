// Package plugintest builds lavacore's own plugins (plugins/*/cmd/… and
// protocols/*/cmd/…) for the tests and benchmarks that run them as
// processes: the lavacore command's tests and the whole-process benchmarks.
// Tests that want methods in process use sdk/sdktest instead.
package plugintest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/lavacore/lavacore/core/pluginhost"
)

// Root is the module's root directory (`go env GOMOD`'s directory).
func Root() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the lavacore module")
	}
	return filepath.Dir(mod), nil
}

// Packages lists the module's plugin commands, relative to root ("./plugins/tftp/cmd/lavacore-plugin-tftp" …).
func Packages(root string) ([]string, error) {
	var out []string
	for _, pat := range []string{"plugins/*/cmd/" + pluginhost.Prefix + "*", "protocols/*/cmd/" + pluginhost.Prefix + "*"} {
		ms, err := filepath.Glob(filepath.Join(root, pat))
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			rel, _ := filepath.Rel(root, m)
			out = append(out, "./"+rel)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no plugin commands under %s", root)
	}
	return out, nil
}

// Build builds every plugin command of the module into dir (one `go build`)
// and records each (checksum and manifest files), as `make build` does.
func Build(dir string) error {
	root, err := Root()
	if err != nil {
		return err
	}
	pkgs, err := Packages(root)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	cmd := exec.Command("go", append([]string{"build", "-o", abs + "/"}, pkgs...)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", strings.Join(pkgs, " "), err, out)
	}
	_, err = pluginhost.RecordDir(context.Background(), dir)
	return err
}

// Dir returns a directory of lavacore's recorded plugins: $LAVACORE_BIN/plugins
// when `make build` made it, else a fresh build in a new temporary directory
// (cleanup removes it).
func Dir() (dir string, cleanup func(), err error) {
	if b := os.Getenv("LAVACORE_BIN"); b != "" {
		d := filepath.Join(b, "plugins")
		if ms, _ := filepath.Glob(filepath.Join(d, "*"+pluginhost.ManifestSuffix)); len(ms) > 0 {
			return d, func() {}, nil
		}
	}
	tmp, err := os.MkdirTemp("", "lavacore-plugins-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(tmp) }
	if err := Build(tmp); err != nil {
		cleanup()
		return "", nil, err
	}
	return tmp, cleanup, nil
}
