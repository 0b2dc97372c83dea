package download

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lavacore/lavacore/sdk"
)

// AllowedFileDirsSetting names the lab setting that lets file:// URLs read a
// directory, for error messages.
const AllowedFileDirsSetting = "allowed_file_dirs in the lab block of lab.hcl"

// OpenFileURL opens the file a file:// URL names, only if it lies inside one of
// the allowed directories (the lab's allowed_file_dirs) once every symbolic link
// is resolved: `allowed/../../etc/shadow` and a link from an allowed directory
// to elsewhere are refused, with a Job error that names the setting. The file
// is then opened through an os.Root of that directory, so a link swapped in
// after the check does not lead out either. A missing file is returned as
// fs.ErrNotExist (wrapped), for the caller's own message.
func OpenFileURL(path string, allowed []string) (*os.File, error) {
	if len(allowed) == 0 {
		return nil, sdk.JobErrorf("file:// URLs are refused: the lab allows none (%s lists the directories they may read): file://%s", AllowedFileDirsSetting, path)
	}
	refuse := func() error {
		return sdk.JobErrorf("file://%s is refused: it is not inside a directory the lab allows (%s: %s)", path, AllowedFileDirsSetting, strings.Join(allowed, ", "))
	}
	if !filepath.IsAbs(path) {
		return nil, refuse()
	}
	clean := filepath.Clean(path)
	// Before anything on disk is looked at: the path, as written, must be in an
	// allowed directory (so a refusal says nothing about files elsewhere).
	var dirs []string
	for _, d := range allowed {
		if !filepath.IsAbs(d) {
			continue
		}
		d = filepath.Clean(d)
		real, err := filepath.EvalSymlinks(d)
		if err != nil {
			continue
		}
		if within(d, clean) || within(real, clean) {
			dirs = append(dirs, real)
		}
	}
	if len(dirs) == 0 {
		return nil, refuse()
	}
	real, err := filepath.EvalSymlinks(clean)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, d := range allDirs(allowed) {
		if !within(d, real) {
			continue
		}
		rel, err := filepath.Rel(d, real)
		if err != nil {
			continue
		}
		root, err := os.OpenRoot(d)
		if err != nil {
			return nil, err
		}
		f, err := root.Open(rel)
		root.Close()
		return f, err
	}
	return nil, refuse()
}

// allDirs is every allowed directory with its links resolved.
func allDirs(allowed []string) []string {
	var out []string
	for _, d := range allowed {
		if real, err := filepath.EvalSymlinks(d); err == nil && filepath.IsAbs(real) {
			out = append(out, real)
		}
	}
	return out
}

// within reports whether p is strictly inside dir.
func within(dir, p string) bool {
	return dir != p && strings.HasPrefix(p, strings.TrimSuffix(dir, string(filepath.Separator))+string(filepath.Separator))
}
