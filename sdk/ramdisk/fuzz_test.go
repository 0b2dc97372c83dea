package ramdisk

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzUnpack feeds arbitrary images to Unpack: it may fail, but must not panic, hang
// or write anything outside its directory.
func FuzzUnpack(f *testing.F) {
	f.Add(archive(f, dir(".", 0o755), reg("init", "#!/bin/sh\n", 0o755), symlink("sh", "init")))
	f.Add(compress(f, "gz", archive(f, dir("a", 0o755), reg("a/b", "x", 0o644))))
	f.Add(append(archive(f, reg("m", "microcode", 0o644)), compress(f, "gz", archive(f, reg("init", "x", 0o755)))...))
	f.Add(archive(f, symlink("l", "/tmp"), reg("l/x", "x", 0o644)))
	f.Add(archive(f, reg("../x", "x", 0o644)))
	saved := canChown
	canChown = false // no device nodes or owners from random input
	defer func() { canChown = saved }()
	f.Fuzz(func(t *testing.T, data []byte) {
		parent := t.TempDir()
		in := filepath.Join(parent, "in")
		out := filepath.Join(parent, "out")
		if err := os.WriteFile(in, data, 0o644); err != nil {
			t.Fatal(err)
		}
		Unpack(in, out)
		entries, _ := os.ReadDir(parent)
		for _, e := range entries {
			if e.Name() != "in" && e.Name() != "out" {
				t.Fatalf("wrote %s outside the directory", e.Name())
			}
		}
		// Make the tree removable whatever modes it got.
		filepath.Walk(out, func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
	})
}
