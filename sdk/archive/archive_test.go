package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// member is one tar member of a test archive.
type member struct {
	name, link, body string
	typ              byte
	mode             int64
	uid, gid         int
	major, minor     int64
}

func reg(name, body string) member         { return member{name: name, body: body, typ: tar.TypeReg} }
func dir(name string) member               { return member{name: name, typ: tar.TypeDir} }
func sym(name, to string) member           { return member{name: name, link: to, typ: tar.TypeSymlink} }
func hard(name, to string) member          { return member{name: name, link: to, typ: tar.TypeLink} }
func withMode(m member, mode int64) member { m.mode = mode; return m }

var mtime = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// tarOf builds an archive of ms, gzip-compressed when gz.
func tarOf(t testing.TB, gz bool, ms ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	var zw *gzip.Writer
	var tw *tar.Writer
	if gz {
		zw = gzip.NewWriter(&buf)
		tw = tar.NewWriter(zw)
	} else {
		tw = tar.NewWriter(&buf)
	}
	for _, m := range ms {
		h := &tar.Header{Name: m.name, Linkname: m.link, Typeflag: m.typ, Mode: m.mode, Uid: m.uid, Gid: m.gid,
			Devmajor: m.major, Devminor: m.minor, ModTime: mtime, Format: tar.FormatGNU}
		if h.Mode == 0 {
			h.Mode = 0o644
			if m.typ == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if m.typ == tar.TypeReg {
			h.Size = int64(len(m.body))
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

func extract(t testing.TB, dst string, o Options, ms ...member) (Result, error) {
	t.Helper()
	if o.Name == "" {
		o.Name = "test.tar.gz"
	}
	return Extract(context.Background(), bytes.NewReader(tarOf(t, true, ms...)), dst, o)
}

// The members a real root file system has come out as they were.
func TestExtract(t *testing.T) {
	ok := []member{
		dir("./"),
		dir("./etc/"),
		reg("./etc/hostname", "board\n"),
		sym("./lib", "usr/lib"),
		reg("./usr/lib/x", "x"),
		sym("./etc/up", "../usr"),
		hard("./etc/hard", "./etc/hostname"),
		sym("./etc/localtime", "/usr/share/zoneinfo/UTC"),
		sym("./out", "x/.."),
		withMode(dir("./tmp/"), 0o1777),
		withMode(reg("./bin/ro", "r"), 0o500),
	}
	for _, gz := range []bool{false, true} {
		dst := t.TempDir()
		res, err := Extract(context.Background(), bytes.NewReader(tarOf(t, gz, ok...)), dst, Options{})
		if err != nil {
			t.Fatalf("gz=%v: %v", gz, err)
		}
		if want := map[bool]string{false: "", true: "gz"}[gz]; res.Compression != want || res.Entries != len(ok) || res.Bytes != 8 {
			t.Errorf("gz=%v: result %+v", gz, res)
		}
		if b, err := os.ReadFile(filepath.Join(dst, "etc/hard")); err != nil || string(b) != "board\n" {
			t.Errorf("gz=%v: hard link: %q %v", gz, b, err)
		}
		for name, want := range map[string]string{"lib": "usr/lib", "etc/localtime": "/usr/share/zoneinfo/UTC", "out": "x/.."} {
			if l, _ := os.Readlink(filepath.Join(dst, name)); l != want {
				t.Errorf("gz=%v: %s -> %q, want %q", gz, name, l, want)
			}
		}
		for name, want := range map[string]os.FileMode{"tmp": os.ModeDir | os.ModeSticky | 0o777, "bin/ro": 0o500, "etc/hostname": 0o644} {
			fi, err := os.Lstat(filepath.Join(dst, name))
			if err != nil || fi.Mode() != want || !fi.ModTime().Equal(mtime) {
				t.Errorf("gz=%v: %s: %v %v, want %v at %v", gz, name, fi.Mode(), fi.ModTime(), want, mtime)
			}
		}
	}
}

// attack is one hostile archive (or several, extracted one after the other into
// the same directory, as the tftp deploy does) and what must happen.
type attack struct {
	name     string
	setup    func(t *testing.T, dst, out string) // the tree before (dst exists)
	archives [][]member                          // out in a name is replaced by the outside directory
	opts     Options
	wantErr  string // "" = extracted
	check    func(t *testing.T, dst, out string, res Result)
}

func TestExtract_Attacks(t *testing.T) {
	attacks := []attack{
		{name: "AbsoluteDirSymlinkThenWriteThrough",
			archives: [][]member{{dir("lib/"), sym("lib/modules", "OUT")}, {dir("lib/modules/"), reg("lib/modules/evil.ko", "x")}},
			wantErr:  `test.tar.gz: lib/modules/: refused: lib/modules is a symbolic link to the device's absolute path`},
		{name: "AbsoluteSymlinkThenFileWrittenThrough",
			archives: [][]member{{sym("root", "OUT")}, {reg("root/.ssh/authorized_keys", "evil")}},
			wantErr:  `root/.ssh/authorized_keys: refused: root is a symbolic link`},
		{name: "RelativeDotDotSymlink",
			archives: [][]member{{sym("d/l", "../../..")}},
			wantErr:  `test.tar.gz: d/l: refused: symbolic link target "../../.." leaves the extraction root`},
		{name: "RelativeDotDotSymlinkChain",
			archives: [][]member{{sym("a", "."), sym("a/b", "..")}},
			wantErr:  `a/b: refused: symbolic link target ".." leaves the extraction root`},
		{name: "SymlinkToSymlinkChainEscaping",
			archives: [][]member{{sym("x/y/up", "../.."), sym("esc", "x/y/up/..")}},
			wantErr:  `esc: refused: symbolic link target "x/y/up/.." leaves`},
		{name: "LaterLinkTurnsEarlierLinkIntoEscape",
			archives: [][]member{{sym("a", "d/x/../.."), sym("d/x", "..")}},
			wantErr:  `a: refused: symbolic link target "d/x/../.." leaves the extraction root`},
		{name: "HardLinkToEtcShadow",
			archives: [][]member{{hard("shadow", "/etc/shadow")}},
			wantErr:  `shadow: hard link to "/etc/shadow": refused: absolute member name`},
		{name: "HardLinkClimbingOut",
			archives: [][]member{{hard("shadow", "../outside/shadow")}},
			wantErr:  `refused: member name climbs out`},
		{name: "HardLinkThroughAbsoluteSymlink",
			archives: [][]member{{sym("etc", "OUT")}, {hard("shadow", "etc/shadow")}},
			wantErr:  `shadow: refused: hard link to "etc/shadow": etc is a symbolic link`},
		{name: "HardLinkThroughEscapingSymlinkInTree",
			setup:    func(t *testing.T, dst, out string) { os.Symlink("../outside", filepath.Join(dst, "etc")) },
			archives: [][]member{{hard("shadow", "etc/shadow")}},
			wantErr:  `shadow: refused: hard link to "etc/shadow": etc is a symbolic link to "../outside", which leaves`},
		{name: "DeviceNodeAndFifo",
			archives: [][]member{{{name: "dev/mem", typ: tar.TypeChar, mode: 0o666, major: 1, minor: 1},
				{name: "dev/sda", typ: tar.TypeBlock, mode: 0o666, major: 8}, {name: "run/fifo", typ: tar.TypeFifo, mode: 0o666}}},
			check: func(t *testing.T, dst, _ string, res Result) {
				if strings.Join(res.Skipped, " ") != "dev/mem dev/sda run/fifo" {
					t.Errorf("skipped %v", res.Skipped)
				}
				for _, n := range res.Skipped {
					if _, err := os.Lstat(filepath.Join(dst, n)); err == nil {
						t.Errorf("%s created", n)
					}
				}
			}},
		{name: "SetuidSetgidStickyFile",
			archives: [][]member{{withMode(reg("bin/su", "x"), 0o4755), withMode(reg("bin/wall", "x"), 0o2755), withMode(reg("f", "x"), 0o1644), withMode(dir("d/"), 0o6775)}},
			check: func(t *testing.T, dst, _ string, res Result) {
				for n, want := range map[string]os.FileMode{"bin/su": 0o755, "bin/wall": 0o755, "f": 0o644, "d": os.ModeDir | 0o775} {
					if fi, err := os.Lstat(filepath.Join(dst, n)); err != nil || fi.Mode() != want {
						t.Errorf("%s: %v, want %v", n, fi.Mode(), want)
					}
				}
				if len(res.Dropped) != 4 {
					t.Errorf("dropped %v", res.Dropped)
				}
			}},
		{name: "DotDotMemberName", archives: [][]member{{reg("../outside/evil", "x")}}, wantErr: `test.tar.gz: ../outside/evil: refused: member name climbs out of the extraction root with ".."`},
		{name: "DotDotInsideMemberName", archives: [][]member{{reg("a/../../outside/evil", "x")}}, wantErr: `refused: member name climbs out`},
		{name: "AbsoluteMemberName", archives: [][]member{{reg("OUT/evil", "x")}}, wantErr: `/evil: refused: absolute member name`},
		{name: "RootReplacedBySymlink", archives: [][]member{{sym("./", "OUT")}}, wantErr: `./: refused: the archive's root is not a directory`},
		{name: "PreExistingEscapingSymlink",
			setup:    func(t *testing.T, dst, out string) { os.Symlink("..", filepath.Join(dst, "evil")) },
			archives: [][]member{{reg("evil/outside/pwned", "x")}},
			wantErr:  `evil/outside/pwned: refused: evil is a symbolic link to "..", which leaves the extraction root`},
		{name: "PreExistingAbsoluteSymlinkAsDirectoryMember",
			setup:    func(t *testing.T, dst, out string) { os.Symlink(out, filepath.Join(dst, "lib")) },
			archives: [][]member{{dir("lib/")}},
			wantErr:  `lib/: refused: lib is a symbolic link to the device's absolute path`},
		{name: "PreExistingHardLinkIsReplacedNotWritten",
			setup: func(t *testing.T, dst, out string) {
				if err := os.Link(filepath.Join(out, "shadow"), filepath.Join(dst, "shadow")); err != nil {
					t.Skip(err)
				}
			},
			archives: [][]member{{reg("shadow", "overwritten")}}},
		{name: "MergedUsrWorks",
			archives: [][]member{{dir("usr/lib/"), sym("lib", "usr/lib"), sym("bin", "usr/bin"), dir("usr/bin/")},
				{dir("lib/"), dir("lib/modules/"), reg("lib/modules/6.1/modules.dep", "x"), reg("bin/busybox", "b")}},
			check: func(t *testing.T, dst, _ string, _ Result) {
				for _, p := range []string{"usr/lib/modules/6.1/modules.dep", "usr/bin/busybox"} {
					if _, err := os.Stat(filepath.Join(dst, p)); err != nil {
						t.Error(err)
					}
				}
				if l, _ := os.Readlink(filepath.Join(dst, "lib")); l != "usr/lib" {
					t.Errorf("lib -> %q", l)
				}
			}},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			parent := t.TempDir()
			out := filepath.Join(parent, "outside")
			dst := filepath.Join(parent, "root")
			os.MkdirAll(out, 0o755)
			os.MkdirAll(dst, 0o755)
			os.WriteFile(filepath.Join(out, "shadow"), []byte("secret"), 0o600)
			if a.setup != nil {
				a.setup(t, dst, out)
			}
			var res Result
			var err error
			for _, ms := range a.archives {
				for i := range ms {
					ms[i].name = strings.ReplaceAll(ms[i].name, "OUT", out)
					ms[i].link = strings.ReplaceAll(ms[i].link, "OUT", out)
				}
				if res, err = extract(t, dst, a.opts, ms...); err != nil {
					break
				}
			}
			switch {
			case a.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case a.wantErr != "" && (err == nil || !strings.Contains(err.Error(), a.wantErr)):
				t.Fatalf("got %v\nwant an error with %q", err, a.wantErr)
			case a.wantErr != "" && !errors.Is(err, ErrRefused):
				t.Errorf("%v is not an ErrRefused", err)
			}
			if es, _ := os.ReadDir(parent); len(es) != 2 {
				t.Errorf("written next to the root: %v", es)
			}
			if es, _ := os.ReadDir(out); len(es) != 1 {
				t.Errorf("written outside the root: %v", es)
			}
			var sec syscall.Stat_t
			syscall.Stat(filepath.Join(out, "shadow"), &sec)
			if b, _ := os.ReadFile(filepath.Join(out, "shadow")); string(b) != "secret" || sec.Nlink != 1 {
				t.Errorf("the secret outside: %q, %d links", b, sec.Nlink)
			}
			if a.check != nil {
				a.check(t, dst, out, res)
			}
		})
	}
}

// Owners are the archive's numeric ids, applied when root.
func TestExtract_NumericOwners(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("owners are applied when running as root")
	}
	dst := t.TempDir()
	m := reg("f", "x")
	m.uid, m.gid = 4242, 4343
	l := sym("l", "f")
	l.uid, l.gid = 4244, 4245
	if _, err := extract(t, dst, Options{}, m, l); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][2]uint32{"f": {4242, 4343}, "l": {4244, 4245}} {
		var st syscall.Stat_t
		syscall.Lstat(filepath.Join(dst, name), &st)
		if st.Uid != want[0] || st.Gid != want[1] {
			t.Errorf("%s: owner %d:%d", name, st.Uid, st.Gid)
		}
	}
	dst = t.TempDir()
	if _, err := extract(t, dst, Options{NoOwners: true}, m); err != nil {
		t.Fatal(err)
	}
	var st syscall.Stat_t
	syscall.Lstat(filepath.Join(dst, "f"), &st)
	if st.Uid != 0 {
		t.Errorf("NoOwners: owner %d", st.Uid)
	}
}

func TestExtract_StripComponents(t *testing.T) {
	dst := t.TempDir()
	_, err := extract(t, dst, Options{StripComponents: 1}, dir("repo-1.0/"), reg("repo-1.0/a/t.yaml", "x"), hard("repo-1.0/a/u.yaml", "repo-1.0/a/t.yaml"), reg("top", "y"))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "a/u.yaml")); err != nil || string(b) != "x" {
		t.Errorf("%q %v", b, err)
	}
	if _, err := os.Lstat(filepath.Join(dst, "top")); err == nil {
		t.Error("a member shorter than the stripped components was extracted")
	}
}

func TestExtract_NotAnArchive(t *testing.T) {
	_, err := Extract(context.Background(), strings.NewReader("hello, this is no tar file at all, but long enough to fill a header block?"), t.TempDir(), Options{Name: "x.yaml"})
	if err == nil || !strings.HasPrefix(err.Error(), "x.yaml: not a tar archive") {
		t.Fatalf("got %v", err)
	}
}

func TestResolve(t *testing.T) {
	dst := t.TempDir()
	os.MkdirAll(filepath.Join(dst, "usr/lib"), 0o755)
	os.Symlink("usr/lib", filepath.Join(dst, "lib"))
	os.Symlink("/", filepath.Join(dst, "abs"))
	os.Symlink("..", filepath.Join(dst, "up"))
	for rel, want := range map[string]string{"lib": "usr/lib", "lib/x": "usr/lib/x", ".": ".", "abs": "error", "up/x": "error", "/etc": "error"} {
		got, err := Resolve(dst, rel)
		if err != nil {
			got = "error"
			if !errors.Is(err, ErrRefused) {
				t.Errorf("%s: %v", rel, err)
			}
		}
		if got != want {
			t.Errorf("Resolve(%q) = %q (%v), want %q", rel, got, err, want)
		}
	}
}
