package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// snapshot lists everything under dir except skip, with what could change.
func snapshot(t *testing.T, dir, skip string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if p == skip {
			return filepath.SkipDir
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return nil
		}
		l, _ := os.Readlink(p)
		m[p] = fmt.Sprintf("%v %d %v %q", fi.Mode(), fi.Size(), fi.ModTime().UnixNano(), l)
		return nil
	})
	return m
}

// FuzzExtract: whatever the archive, nothing outside the extraction directory
// changes (the directory sits inside another one that holds a file and into
// which the tree has links), and nothing panics.
func FuzzExtract(f *testing.F) {
	seeds := [][]member{
		{dir("a/"), reg("a/b", "x"), sym("l", "a"), reg("l/c", "y"), hard("h", "a/b")},
		{reg("../x", "x")},
		{reg("/abs", "x")},
		{sym("a", "."), sym("a/b", "..")},
		{sym("up", ".."), reg("up/outside/x", "x")},
		{sym("abs", "/"), reg("abs/tmp/x", "x"), hard("h", "abs/etc/passwd")},
		{sym("x/y/up", "../.."), sym("esc", "x/y/up/..")},
		{sym("a", "d/x/../.."), sym("d/x", "..")},
		{withMode(reg("suid", "x"), 0o6755), withMode(dir("t/"), 0o1777), withMode(dir("ro/"), 0o500), reg("ro/f", "x")},
		{{name: "dev/mem", typ: tar.TypeChar, mode: 0o666, major: 1, minor: 1}, {name: "p", typ: tar.TypeFifo}},
		{dir("usr/lib/"), sym("lib", "usr/lib"), dir("lib/"), reg("lib/modules/m", "m")},
		{hard("h", "../outside/secret"), hard("i", "pre/secret")},
		{reg("f", "1"), dir("f/"), sym("f", "x"), reg("f", "2")},
	}
	for i, s := range seeds {
		f.Add(tarOf(f, i%2 == 0, s...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		parent := t.TempDir()
		root := filepath.Join(parent, "root")
		outside := filepath.Join(parent, "outside")
		os.MkdirAll(outside, 0o755)
		os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o600)
		os.MkdirAll(root, 0o755)
		os.Symlink("../outside", filepath.Join(root, "pre"))
		os.Symlink(outside, filepath.Join(root, "abs"))
		before := snapshot(t, parent, root)
		_, _ = Extract(context.Background(), bytes.NewReader(data), root, Options{MaxBytes: 1 << 20, MaxEntries: 1000})
		after := snapshot(t, parent, root)
		for p, v := range after {
			if before[p] != v {
				t.Fatalf("outside the root: %s is %s, was %q", p, v, before[p])
			}
		}
		for p := range before {
			if _, ok := after[p]; !ok {
				t.Fatalf("outside the root: %s is gone", p)
			}
		}
	})
}
