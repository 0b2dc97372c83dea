package overlay

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

type member struct {
	name, link, body string
	typ              byte
}

func tarOf(t *testing.T, gz bool, ms ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w = &buf
	var zw *gzip.Writer
	var tw *tar.Writer
	if gz {
		zw = gzip.NewWriter(w)
		tw = tar.NewWriter(zw)
	} else {
		tw = tar.NewWriter(w)
	}
	for _, m := range ms {
		h := &tar.Header{Name: m.name, Linkname: m.link, Typeflag: m.typ, Mode: 0o644, Size: int64(len(m.body))}
		if m.typ == tar.TypeDir {
			h.Mode = 0o755
		}
		if m.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if m.typ == tar.TypeReg {
			tw.Write([]byte(m.body))
		}
	}
	tw.Close()
	if zw != nil {
		zw.Close()
	}
	return buf.Bytes()
}

func TestSafeUntar(t *testing.T) {
	ok := []member{
		{name: "./", typ: tar.TypeDir},
		{name: "./etc/", typ: tar.TypeDir},
		{name: "./etc/hostname", body: "board\n", typ: tar.TypeReg},
		{name: "./lib", link: "usr/lib", typ: tar.TypeSymlink},
		{name: "./usr/lib/x", body: "x", typ: tar.TypeReg},
		{name: "./etc/up", link: "../usr", typ: tar.TypeSymlink},
		{name: "./etc/hard", link: "./etc/hostname", typ: tar.TypeLink},
	}
	for _, gz := range []bool{false, true} {
		dst := t.TempDir()
		if err := SafeUntar(bytes.NewReader(tarOf(t, gz, ok...)), dst); err != nil {
			t.Fatalf("gz=%v: %v", gz, err)
		}
		if b, err := os.ReadFile(filepath.Join(dst, "etc/hard")); err != nil || string(b) != "board\n" {
			t.Errorf("gz=%v: hard link: %q %v", gz, b, err)
		}
		if l, _ := os.Readlink(filepath.Join(dst, "lib")); l != "usr/lib" {
			t.Errorf("gz=%v: symlink kept as %q", gz, l)
		}
	}

	bad := []struct {
		name string
		ms   []member
		want string
	}{
		{"dotdot", []member{{name: "../x", body: "x", typ: tar.TypeReg}}, "escapes"},
		{"dotdot inside", []member{{name: "a/../../x", body: "x", typ: tar.TypeReg}}, "escapes"},
		{"absolute", []member{{name: "/abs", body: "x", typ: tar.TypeReg}}, "absolute"},
		{"absolute symlink", []member{{name: "l", link: "/etc", typ: tar.TypeSymlink}}, "absolute"},
		{"symlink climbs", []member{{name: "d/l", link: "../../..", typ: tar.TypeSymlink}}, "escapes"},
		{"hard link out", []member{{name: "h", link: "../secret", typ: tar.TypeLink}}, "escapes"},
		{"symlink chain", []member{
			{name: "a", link: ".", typ: tar.TypeSymlink},
			{name: "a/b", link: "..", typ: tar.TypeSymlink},
		}, "escapes"},
		{"write through link", []member{
			{name: "out", link: "x/..", typ: tar.TypeSymlink},
		}, ""},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			dst := filepath.Join(parent, "root")
			err := SafeUntar(bytes.NewReader(tarOf(t, true, tc.ms...)), dst)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("harmless link refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
			entries, _ := os.ReadDir(parent)
			if len(entries) != 1 {
				t.Errorf("something was written next to the destination: %v", entries)
			}
		})
	}
}

// A link planted in the destination beforehand (an NFS root from an earlier
// step) must not be followed out.
func TestSafeUntarExistingLink(t *testing.T) {
	parent := t.TempDir()
	dst := filepath.Join(parent, "root")
	os.MkdirAll(dst, 0o755)
	if err := os.Symlink(parent, filepath.Join(dst, "evil")); err != nil {
		t.Fatal(err)
	}
	err := SafeUntar(bytes.NewReader(tarOf(t, false, member{name: "evil/pwned", body: "x", typ: tar.TypeReg})), dst)
	if err == nil || !strings.Contains(err.Error(), "outside") {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(filepath.Join(parent, "pwned")); err == nil {
		t.Fatal("wrote outside the destination")
	}
}

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

func FuzzSafeUntar(f *testing.F) {
	t := &testing.T{}
	f.Add(tarOf(t, false, member{name: "a/b", body: "x", typ: tar.TypeReg}, member{name: "l", link: "a", typ: tar.TypeSymlink}))
	f.Add(tarOf(t, true, member{name: "../x", body: "x", typ: tar.TypeReg}))
	f.Add(tarOf(t, false, member{name: "a", link: ".", typ: tar.TypeSymlink}, member{name: "a/b", link: "..", typ: tar.TypeSymlink}))
	f.Fuzz(func(t *testing.T, data []byte) {
		parent := t.TempDir()
		_ = SafeUntar(bytes.NewReader(data), filepath.Join(parent, "root"))
		entries, _ := os.ReadDir(parent)
		for _, e := range entries {
			if e.Name() != "root" {
				t.Fatalf("wrote %s outside the destination", e.Name())
			}
		}
	})
}
