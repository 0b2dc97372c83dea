package ramdisk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lavacore/lavacore/sdk/download"
)

func need(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (make deps)", tool)
		}
	}
}

func compress(t testing.TB, comp string, data []byte) []byte {
	t.Helper()
	if tool := map[string]string{"xz": "xz", "zstd": "zstd", "bz2": "bzip2"}[comp]; tool != "" {
		need(t, tool)
	}
	var b bytes.Buffer
	w, err := download.Compress(context.Background(), comp, &b)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// describe lists a tree: one line per entry with what a ramdisk must keep.
func describe(t testing.TB, root string, withTimes, dirTimes bool) string {
	t.Helper()
	var lines []string
	inodes := map[uint64]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		line := fmt.Sprintf("%s %06o %d:%d", rel, st.Mode, st.Uid, st.Gid)
		switch st.Mode & TypeMask {
		case TypeReg:
			data, _ := os.ReadFile(p)
			line += fmt.Sprintf(" %d %x", len(data), sha256.Sum256(data))
			if st.Nlink > 1 {
				if first, ok := inodes[st.Ino]; ok {
					line += " =" + first
				} else {
					inodes[st.Ino] = rel
				}
			}
		case TypeSymlink:
			target, _ := os.Readlink(p)
			line += " -> " + target
		case TypeChar, TypeBlock:
			line += fmt.Sprintf(" dev %d,%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))
		}
		if withTimes && st.Mode&TypeMask != TypeSymlink && rel != "." && (dirTimes || st.Mode&TypeMask != TypeDir) {
			line += " " + time.Unix(st.Mtim.Sec, 0).UTC().Format(time.RFC3339)
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// sampleTree builds a tree with every kind of entry an initramfs has.
func sampleTree(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	mk := func(rel, data string, perm os.FileMode) {
		p := filepath.Join(root, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), perm); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, perm)
	}
	mk("bin/busybox", strings.Repeat("busybox binary\n", 5000), 0o755)
	os.Symlink("busybox", filepath.Join(root, "bin/sh"))
	os.Symlink("/proc/mounts", filepath.Join(root, "etc-mtab"))
	mk("init", "#!/bin/sh\nexec /bin/sh\n", 0o755)
	mk("etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0o644)
	mk("empty", "", 0o600)
	mk("usr/bin/su", "su", 0o4755)
	os.Chmod(filepath.Join(root, "usr/bin/su"), 0o4755|fs.ModeSetuid)
	mk("lib/modules/6.1/modules.dep", "kernel/x.ko:\n", 0o644)
	os.Link(filepath.Join(root, "bin/busybox"), filepath.Join(root, "bin/ash"))
	os.Link(filepath.Join(root, "bin/busybox"), filepath.Join(root, "usr/bin/vi"))
	os.MkdirAll(filepath.Join(root, "tmp"), 0o755)
	os.Chmod(filepath.Join(root, "tmp"), 0o777|fs.ModeSticky)
	os.MkdirAll(filepath.Join(root, "ro"), 0o755)
	mk("ro/file", "in a read-only directory", 0o444)
	os.Chmod(filepath.Join(root, "ro"), 0o555)
	if err := unix.Mkfifo(filepath.Join(root, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		mk("home/user/.profile", "PS1='$ '\n", 0o644)
		os.Lchown(filepath.Join(root, "home/user/.profile"), 1000, 1000)
		os.Lchown(filepath.Join(root, "home/user"), 1000, 1000)
		os.MkdirAll(filepath.Join(root, "dev"), 0o755)
		if err := unix.Mknod(filepath.Join(root, "dev/console"), unix.S_IFCHR|0o600, int(unix.Mkdev(5, 1))); err != nil {
			t.Fatal(err)
		}
		unix.Mknod(filepath.Join(root, "dev/sda"), unix.S_IFBLK|0o660, int(unix.Mkdev(8, 0)))
	}
	// Fixed times, directories last.
	mt := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	var dirs []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if d.IsDir() {
			dirs = append(dirs, p)
		} else if d.Type()&fs.ModeSymlink == 0 {
			os.Chtimes(p, mt, mt)
		}
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		os.Chtimes(dirs[i], mt, mt)
	}
	return root
}

// cpioCreate archives root with the system cpio, as LAVA's compress-ramdisk does.
func cpioCreate(t testing.TB, root string) []byte {
	t.Helper()
	cmd := exec.Command("sh", "-c", "find . | cpio -o -H newc --quiet")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cpio -o: %v", err)
	}
	return out
}

func cpioExtract(t testing.TB, archive []byte, dir string) {
	t.Helper()
	cmd := exec.Command("cpio", "-idmu", "--quiet", "--no-absolute-filenames")
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(archive)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cpio -i: %v: %s", err, out)
	}
}

func writeFile(t testing.TB, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ramdisk.cpio.gz")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSystemCpioRoundTrip(t *testing.T) {
	need(t, "cpio", "find")
	src := sampleTree(t)
	want := describe(t, src, true, true)

	// cpio writes, we read.
	a := cpioCreate(t, src)
	out1 := t.TempDir()
	info, err := Unpack(writeFile(t, compress(t, "gz", a)), out1)
	if err != nil {
		t.Fatal(err)
	}
	// Device nodes stay in Info.Meta, off the dispatcher's disk.
	var noDevs []string
	for _, l := range strings.Split(want, "\n") {
		if !strings.Contains(l, " dev ") {
			noDevs = append(noDevs, l)
		}
	}
	if got := describe(t, out1, true, true); got != strings.Join(noDevs, "\n") {
		t.Errorf("Unpack of `cpio -o` differs:\n%s", diffLines(strings.Join(noDevs, "\n"), got))
	}
	if info.Compression != "gz" || len(info.Parts) != 1 || info.UBoot != nil {
		t.Errorf("info = %+v", info)
	}
	sort.Strings(info.Skipped)
	if os.Geteuid() == 0 && strings.Join(info.Skipped, ",") != "dev/console,dev/sda" {
		t.Errorf("Skipped = %v", info.Skipped)
	}

	// We write, cpio reads.
	packed := filepath.Join(t.TempDir(), "ramdisk.cpio.gz")
	if err := RepackWith(context.Background(), out1, packed, RepackOptions{Meta: info.Meta}); err != nil {
		t.Fatal(err)
	}
	gzData, _ := os.ReadFile(packed)
	if DetectCompression(gzData) != "gz" {
		t.Fatalf("Repack default is not gzip: % x", gzData[:4])
	}
	raw := decompress(t, "gz", gzData)
	out2 := t.TempDir()
	cpioExtract(t, raw, out2)
	// GNU cpio -m does not keep directory times (its later files touch them).
	if got, want := describe(t, out2, true, false), describe(t, src, true, false); got != want {
		t.Errorf("`cpio -i` of Repack differs:\n%s", diffLines(want, got))
	}
	// GNU cpio's listing agrees with ours on names.
	cmd := exec.Command("cpio", "-it", "--quiet")
	cmd.Stdin = bytes.NewReader(raw)
	list, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	ours, err := readAll(t, raw)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ours {
		names = append(names, e.h.Name)
	}
	if got, want := strings.Join(names, "\n"), strings.TrimSpace(string(list)); got != want {
		t.Errorf("names differ:\n%s", diffLines(want, got))
	}
}

func decompress(t testing.TB, comp string, data []byte) []byte {
	t.Helper()
	r, err := download.Decompress(context.Background(), comp, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	in := func(l []string, s string) bool {
		for _, x := range l {
			if x == s {
				return true
			}
		}
		return false
	}
	var b strings.Builder
	for _, x := range w {
		if !in(g, x) {
			b.WriteString("- " + x + "\n")
		}
	}
	for _, x := range g {
		if !in(w, x) {
			b.WriteString("+ " + x + "\n")
		}
	}
	return b.String()
}

func TestUnpackParts(t *testing.T) {
	micro := archive(t, dir("kernel", 0o755), dir("kernel/x86", 0o755), dir("kernel/x86/microcode", 0o755),
		reg("kernel/x86/microcode/AuthenticAMD.bin", "microcode", 0o644))
	main := archive(t, dir(".", 0o755), reg("init", "#!/bin/sh\n", 0o755), symlink("bin", "usr/bin"), dir("usr", 0o755), dir("usr/bin", 0o755), reg("usr/bin/x", "x", 0o755))
	extra := archive(t, reg("init", "#!/bin/sh\necho overlay\n", 0o755))
	// A u-boot header around data, as mkimage -T ramdisk -C none makes it.
	withUBoot := func(data []byte) []byte {
		h := UBootHeader{Time: 1, Size: uint32(len(data)), DataCRC: crc32IEEE(data), OS: 5, Arch: 22, Type: 3}
		hb, _ := h.Marshal()
		return append(hb, data...)
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name      string
		make      func(t *testing.T) []byte
		opts      Options
		parts     []string
		wantInit  string
		wantUBoot bool
	}{
		{"plain cpio", func(t *testing.T) []byte { return main }, Options{}, []string{""}, "#!/bin/sh\n", false},
		{"gz", func(t *testing.T) []byte { return compress(t, "gz", main) }, Options{}, []string{"gz"}, "#!/bin/sh\n", false},
		{"xz", func(t *testing.T) []byte { return compress(t, "xz", main) }, Options{}, []string{"xz"}, "#!/bin/sh\n", false},
		{"zstd", func(t *testing.T) []byte { return compress(t, "zstd", main) }, Options{}, []string{"zstd"}, "#!/bin/sh\n", false},
		{"bz2", func(t *testing.T) []byte { return compress(t, "bz2", main) }, Options{}, []string{"bz2"}, "#!/bin/sh\n", false},
		{"microcode then gz", func(t *testing.T) []byte { return cat(micro, compress(t, "gz", main)) }, Options{}, []string{"", "gz"}, "#!/bin/sh\n", false},
		{"microcode then xz", func(t *testing.T) []byte { return cat(micro, compress(t, "xz", main)) }, Options{}, []string{"", "xz"}, "#!/bin/sh\n", false},
		{"microcode then zstd", func(t *testing.T) []byte { return cat(micro, compress(t, "zstd", main)) }, Options{}, []string{"", "zstd"}, "#!/bin/sh\n", false},
		{"gz, gz appended later wins", func(t *testing.T) []byte { return cat(compress(t, "gz", main), compress(t, "gz", extra)) }, Options{}, []string{"gz", "gz"}, "#!/bin/sh\necho overlay\n", false},
		{"gz then plain", func(t *testing.T) []byte { return cat(compress(t, "gz", main), make([]byte, 3), extra) }, Options{}, []string{"gz", ""}, "#!/bin/sh\necho overlay\n", false},
		{"two archives in one gz", func(t *testing.T) []byte { return compress(t, "gz", cat(main, extra)) }, Options{}, []string{"gz"}, "#!/bin/sh\necho overlay\n", false},
		{"u-boot detected", func(t *testing.T) []byte { return withUBoot(compress(t, "gz", main)) }, Options{}, []string{"gz"}, "#!/bin/sh\n", true},
		{"u-boot asked", func(t *testing.T) []byte { return withUBoot(cat(micro, compress(t, "gz", main))) }, Options{UBootHeader: true}, []string{"", "gz"}, "#!/bin/sh\n", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			info, err := UnpackWith(context.Background(), writeFile(t, tc.make(t)), out, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var comps []string
			for _, p := range info.Parts {
				comps = append(comps, p.Compression)
			}
			if strings.Join(comps, ",") != strings.Join(tc.parts, ",") {
				t.Errorf("parts = %+v, want compressions %v", info.Parts, tc.parts)
			}
			if (info.UBoot != nil) != tc.wantUBoot {
				t.Errorf("UBoot = %+v", info.UBoot)
			}
			if info.UBoot != nil && info.UBoot.Arch != 22 {
				t.Errorf("UBoot = %+v", info.UBoot)
			}
			got, err := os.ReadFile(filepath.Join(out, "init"))
			if err != nil || string(got) != tc.wantInit {
				t.Errorf("init = %q, %v", got, err)
			}
			if b, err := os.ReadFile(filepath.Join(out, "bin/x")); err != nil || string(b) != "x" {
				t.Errorf("bin/x through the relative symlink: %q, %v", b, err)
			}
			if strings.HasPrefix(tc.name, "microcode") || tc.name == "u-boot asked" {
				if _, err := os.Stat(filepath.Join(out, "kernel/x86/microcode/AuthenticAMD.bin")); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestUnpackRefuses(t *testing.T) {
	outside := t.TempDir()
	tests := []struct {
		name    string
		entries []ent
		want    string
	}{
		{"dotdot", []ent{reg("../evil", "x", 0o644)}, `entry "../evil": name with .. refused`},
		{"inner dotdot", []ent{dir("a", 0o755), reg("a/../../evil", "x", 0o644)}, "name with .. refused"},
		{"absolute", []ent{reg("/etc/passwd", "x", 0o644)}, "absolute name refused"},
		{"through absolute symlink", []ent{symlink("lib", outside), reg("lib/evil", "x", 0o644)}, `entry "lib/evil"`},
		{"through escaping symlink", []ent{dir("a", 0o755), ent{Header{Name: "a/up", Mode: TypeSymlink | 0o777, Linkname: "../../..", Nlink: 1}, ""}}, "leaves the image"},
		{"escaping symlink at top", []ent{symlink("up", "../x")}, "leaves the image"},
		{"hard link via symlinked dir", []ent{symlink("d", outside), reg("d/f", "x", 0o644)}, `entry "d/f"`},
		{"root not a dir", []ent{reg(".", "x", 0o644)}, "the root must be a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			_, err := Unpack(writeFile(t, archive(t, tc.entries...)), out)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if e, _ := os.ReadDir(outside); len(e) != 0 {
				t.Fatalf("wrote outside: %v", e)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(out), "evil")); err == nil {
				t.Fatal("wrote ../evil")
			}
		})
	}
	// Allowed: absolute targets stay as they are; relative ones that stay inside.
	out := t.TempDir()
	_, err := Unpack(writeFile(t, archive(t, symlink("mtab", "/proc/mounts"), dir("usr", 0o755), dir("usr/lib", 0o755),
		ent{Header{Name: "usr/lib/l", Mode: TypeSymlink | 0o777, Linkname: "../../mtab", Nlink: 1}, ""})), out)
	if err != nil {
		t.Fatal(err)
	}
	if target, _ := os.Readlink(filepath.Join(out, "mtab")); target != "/proc/mounts" {
		t.Errorf("mtab -> %q", target)
	}
}

func TestUnpackBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"garbage", []byte("hello world, not a ramdisk"), "unknown data"},
		{"empty", nil, "no cpio archive"},
		{"zeros", make([]byte, 1024), "no cpio archive"},
		{"truncated gz", compress(t, "gz", archive(t, reg("a", strings.Repeat("x", 10000), 0o644)))[:40], "gz part at offset 0"},
		{"garbage in gz", compress(t, "gz", []byte("not cpio")), "unknown data"},
		{"lz4", []byte{0x04, 0x22, 0x4d, 0x18, 0, 0}, "unknown data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Unpack(writeFile(t, tc.data), t.TempDir())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// An unprivileged round trip keeps owners and device nodes through Info.Meta.
func TestUnprivilegedRoundTrip(t *testing.T) {
	saved := canChown
	canChown = false
	defer func() { canChown = saved }()
	in := archive(t, dir(".", 0o755), dir("dev", 0o755),
		ent{Header{Name: "dev/console", Mode: TypeChar | 0o600, RdevMajor: 5, RdevMinor: 1, Nlink: 1}, ""},
		ent{Header{Name: "home", Mode: TypeDir | 0o755, UID: 1000, GID: 1000, Nlink: 2}, ""},
		ent{Header{Name: "home/f", Mode: TypeReg | 0o640, UID: 1000, GID: 100, Size: 2, Nlink: 1, Mtime: 99}, "hi"})
	out := t.TempDir()
	info, err := Unpack(writeFile(t, compress(t, "gz", in)), out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(info.Skipped, ",") != "dev/console" {
		t.Errorf("Skipped = %v", info.Skipped)
	}
	// An overlay file added afterwards becomes root's.
	os.WriteFile(filepath.Join(out, "overlay.sh"), []byte("x"), 0o755)
	packed := filepath.Join(t.TempDir(), "r.cpio")
	if err := RepackWith(context.Background(), out, packed, RepackOptions{Compression: "none", Meta: info.Meta}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(packed)
	got, err := readAll(t, raw)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range got {
		lines = append(lines, fmt.Sprintf("%s %06o %d:%d %d,%d", e.h.Name, e.h.Mode, e.h.UID, e.h.GID, e.h.RdevMajor, e.h.RdevMinor))
	}
	want := strings.Join([]string{
		". 040755 0:0 0,0",
		"dev 040755 0:0 0,0",
		"dev/console 020600 0:0 5,1",
		"home 040755 1000:1000 0,0",
		"home/f 100640 1000:100 0,0",
		"overlay.sh 100755 0:0 0,0",
	}, "\n")
	if strings.Join(lines, "\n") != want {
		t.Errorf("repacked:\n%s\nwant\n%s", strings.Join(lines, "\n"), want)
	}
}
