package overlay

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
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
