package overlay

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestApplyToDir(t *testing.T) {
	dir := t.TempDir()
	td := map[string]any{"run": map[string]any{"steps": []any{"true"}}}
	ov, err := Build(Options{JobID: "7", WorkDir: dir, AuthorizedKey: "ssh-ed25519 AAAA k",
		Stages: [][]Definition{{{From: "inline", Name: "t", Path: "t.yaml", Repository: td}}}})
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "nfs")
	if err := ov.ApplyToDir(root); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"lava-7/bin/lava-test-runner", "lava-7/0/tests/0_t/run.sh", "root/.ssh/authorized_keys"} {
		fi, err := os.Stat(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(p, ".sh") || strings.Contains(p, "bin/") {
			if fi.Mode().Perm() != 0o755 {
				t.Errorf("%s: mode %v", p, fi.Mode())
			}
		}
	}
}

func TestTarballShape(t *testing.T) {
	dir := t.TempDir()
	td := map[string]any{"metadata": map[string]any{"name": "t"}, "run": map[string]any{"steps": []any{"true"}}}
	ov, err := Build(Options{JobID: "74585", WorkDir: dir, AuthorizedKey: "ssh-ed25519 AAAA k",
		Stages: [][]Definition{{{From: "inline", Name: "a", Path: "a.yaml", Repository: td, Level: "1.3.2.1"}},
			{{From: "inline", Name: "b", Path: "b.yaml", Repository: td, Level: "3.1.2.1"}}}})
	if err != nil {
		t.Fatal(err)
	}
	var one, two bytes.Buffer
	if err := ov.WriteTarGz(&one); err != nil {
		t.Fatal(err)
	}
	ov.WriteTarGz(&two)
	if !bytes.Equal(one.Bytes(), two.Bytes()) {
		t.Error("two tarballs of the same overlay differ")
	}
	zr, err := gzip.NewReader(&one)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	members := map[string]*tar.Header{}
	var names []string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if !strings.HasPrefix(h.Name, "lava-74585/") && !strings.HasPrefix(h.Name, "root/") {
			t.Errorf("member %q outside lava-74585/ and root/", h.Name)
		}
		if h.Typeflag == tar.TypeReg && strings.HasSuffix(h.Name, "/uuid") {
			b, _ := io.ReadAll(tr)
			members[h.Name+"="+string(b)] = h
		}
		members[h.Name] = h
		names = append(names, h.Name)
	}
	if !sort.StringsAreSorted(names) {
		t.Errorf("members not in sorted order: %v", names)
	}
	for _, want := range []string{
		"lava-74585/bin/lava-test-runner", "lava-74585/bin/lava-test-case",
		"lava-74585/environment", "lava-74585/0/lava-test-runner.conf", "lava-74585/1/lava-test-runner.conf",
		"lava-74585/0/tests/0_a/run.sh", "lava-74585/1/tests/1_b/run.sh",
		"lava-74585/0/tests/0_a/uuid=74585_1.3.2.1", "lava-74585/1/tests/1_b/uuid=74585_3.1.2.1",
		"lava-74585/0/tests/0_a/testdef.yaml", "lava-74585/0/tests/0_a/testdef_metadata",
		"root/.ssh/authorized_keys",
	} {
		h, ok := members[want]
		if !ok {
			t.Errorf("no member %s", want)
			continue
		}
		if (strings.Contains(want, "/bin/") || strings.HasSuffix(want, ".sh")) && h.Mode&0o777 != 0o755 {
			t.Errorf("%s: mode %o", want, h.Mode)
		}
		if h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s: owner %d:%d", want, h.Uid, h.Gid)
		}
	}
}

// A url test definition is unpacked by package archive: a tarball with a link
// out of the directory is refused (not kept as a file), other files are kept.
func TestFetchURL_Archives(t *testing.T) {
	src := t.TempDir()
	mk := func(name string, hs ...*tar.Header) string {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		tw := tar.NewWriter(zw)
		for _, h := range hs {
			tw.WriteHeader(h)
			if h.Size > 0 {
				tw.Write([]byte(strings.Repeat("x", int(h.Size))))
			}
		}
		tw.Close()
		zw.Close()
		p := filepath.Join(src, name)
		os.WriteFile(p, buf.Bytes(), 0o644)
		return "file://" + p
	}
	good := mk("good.tar.gz", &tar.Header{Name: "repo-1/", Typeflag: tar.TypeDir, Mode: 0o755},
		&tar.Header{Name: "repo-1/t.yaml", Typeflag: tar.TypeReg, Mode: 0o644, Size: 3})
	evil := mk("evil.tar.gz", &tar.Header{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "../../.."},
		&tar.Header{Name: "l/x", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
	plain := filepath.Join(src, "t.yaml")
	os.WriteFile(plain, []byte("metadata: {}\n"), 0o644)

	dir := t.TempDir()
	allowed := []string{src}
	if err := fetchURL(context.Background(), good, dir, 1, allowed); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "t.yaml")); err != nil || string(b) != "xxx" {
		t.Errorf("stripped member: %q %v", b, err)
	}
	if err := fetchURL(context.Background(), "file://"+plain, t.TempDir(), 0, allowed); err != nil {
		t.Errorf("a plain file: %v", err)
	}
	err := fetchURL(context.Background(), evil, filepath.Join(t.TempDir(), "a", "b"), 0, allowed)
	if err == nil || !strings.Contains(err.Error(), `evil.tar.gz: l: refused: symbolic link target "../../.." leaves the extraction root`) {
		t.Errorf("got %v", err)
	}
}
