package download

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/lavacore/lavacore/sdk"
)

// file:// URLs read only from the lab's allowed directories, links resolved,
// and the copy is never more open than the file.
func TestFileURL_Attacks(t *testing.T) {
	base := t.TempDir()
	allowed := filepath.Join(base, "images")
	other := filepath.Join(base, "cache")
	secretDir := filepath.Join(base, "etc")
	for _, d := range []string{allowed, other, secretDir} {
		os.MkdirAll(d, 0o755)
	}
	os.WriteFile(filepath.Join(allowed, "Image"), []byte("kernel"), 0o644)
	os.WriteFile(filepath.Join(allowed, "secret.key"), []byte("key"), 0o600)
	os.WriteFile(filepath.Join(secretDir, "shadow"), []byte("root:x"), 0o600)
	os.WriteFile(filepath.Join(other, "rootfs.tar"), []byte("rootfs"), 0o644)
	os.Symlink(filepath.Join(secretDir, "shadow"), filepath.Join(allowed, "link-out"))
	os.Symlink(filepath.Join(other, "rootfs.tar"), filepath.Join(allowed, "link-to-cache"))
	os.Symlink(secretDir, filepath.Join(allowed, "dir-out"))

	tests := []struct {
		name    string
		path    string
		allowed []string
		typ     sdk.ErrorType
		msg     string
		mode    os.FileMode
	}{
		{name: "NoDirectoryAllowed", path: filepath.Join(allowed, "Image"), typ: sdk.Job,
			msg: "file:// URLs are refused: the lab allows none (allowed_file_dirs in the lab block of lab.hcl lists the directories they may read): file://" + filepath.Join(allowed, "Image")},
		{name: "FileOutsideAllowed", path: filepath.Join(secretDir, "shadow"), allowed: []string{allowed}, typ: sdk.Job,
			msg: "file://" + filepath.Join(secretDir, "shadow") + " is refused: it is not inside a directory the lab allows (allowed_file_dirs in the lab block of lab.hcl: " + allowed + ")"},
		{name: "DotDotOutOfAllowed", path: allowed + "/../etc/shadow", allowed: []string{allowed}, typ: sdk.Job, msg: "file://" + allowed + "/../etc/shadow is refused"},
		{name: "SymlinkOutOfAllowed", path: filepath.Join(allowed, "link-out"), allowed: []string{allowed}, typ: sdk.Job, msg: "file://" + filepath.Join(allowed, "link-out") + " is refused: it is not inside a directory the lab allows"},
		{name: "DirectorySymlinkOutOfAllowed", path: filepath.Join(allowed, "dir-out", "shadow"), allowed: []string{allowed}, typ: sdk.Job, msg: "file://" + filepath.Join(allowed, "dir-out", "shadow") + " is refused"},
		{name: "RelativeAllowedDirIgnored", path: filepath.Join(allowed, "Image"), allowed: []string{"images"}, typ: sdk.Job, msg: "file://" + filepath.Join(allowed, "Image") + " is refused"},
		{name: "AllowedFile", path: filepath.Join(allowed, "Image"), allowed: []string{allowed}, mode: 0o644},
		{name: "SymlinkToAnotherAllowedDir", path: filepath.Join(allowed, "link-to-cache"), allowed: []string{allowed, other}, mode: 0o644},
		{name: "RestrictiveModeKept", path: filepath.Join(allowed, "secret.key"), allowed: []string{allowed}, mode: 0o600},
		{name: "MissingFile", path: filepath.Join(allowed, "nope"), allowed: []string{allowed}, typ: sdk.Infrastructure, msg: "Unable to read from " + filepath.Join(allowed, "nope")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dest := t.TempDir()
			res, err := Fetch(context.Background(), Spec{Key: "kernel", URL: "file://" + tc.path, AllowedFileDirs: tc.allowed}, dest, nil)
			checkErr(t, err, tc.typ, tc.msg)
			if err != nil {
				if _, verr := ValidateSpec(context.Background(), Spec{URL: "file://" + tc.path, AllowedFileDirs: tc.allowed}, nil); verr == nil {
					t.Errorf("ValidateSpec accepts what Fetch refuses")
				}
				return
			}
			fi, err := os.Stat(res.Path)
			if err != nil || fi.Mode().Perm() != tc.mode {
				t.Errorf("copy: %v %v, want mode %v", fi.Mode(), err, tc.mode)
			}
		})
	}
}
