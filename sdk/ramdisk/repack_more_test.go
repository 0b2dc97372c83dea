package ramdisk

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRepackUBoot(t *testing.T) {
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "init"), []byte("#!/bin/sh\n"), 0o755)
	out := filepath.Join(t.TempDir(), "ramdisk.cpio.gz.uboot")
	if err := Repack(src, out, "gz", true); err == nil || !strings.Contains(err.Error(), "mkimage_arch") {
		t.Fatalf("Repack with a header and no arch: %v", err)
	}
	if err := RepackWith(context.Background(), src, out, RepackOptions{UBootHeader: true, UBootArch: "arm64", UBootTime: time.Unix(1700000000, 0)}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(out)
	h, err := ParseUBootHeader(data)
	if err != nil {
		t.Fatal(err)
	}
	body := data[UBootHeaderLen:]
	if h.Size != uint32(len(body)) || h.DataCRC != crc32IEEE(body) || h.Arch != 22 || h.Type != 3 || h.OS != 5 || h.Comp != 0 || h.Time != 1700000000 {
		t.Errorf("header = %+v (body %d bytes)", h, len(body))
	}
	// And it unpacks.
	dst := t.TempDir()
	info, err := Unpack(out, dst)
	if err != nil {
		t.Fatal(err)
	}
	if info.UBoot == nil || info.Compression != "gz" {
		t.Errorf("info = %+v", info)
	}

	// mkimage agrees, when present: it accepts ours, and ours parses its header.
	if _, err := exec.LookPath("mkimage"); err != nil {
		t.Skip("mkimage not installed (u-boot-tools)")
	}
	list, err := exec.Command("mkimage", "-l", out).CombinedOutput()
	if err != nil || !strings.Contains(string(list), "AArch64 Linux RAMDisk Image (uncompressed)") {
		t.Errorf("mkimage -l: %v\n%s", err, list)
	}
	theirs := filepath.Join(t.TempDir(), "theirs.uboot")
	cmd := exec.Command("mkimage", "-A", "arm64", "-T", "ramdisk", "-C", "none", "-d", filepath.Join(src, "init"), theirs)
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=1700000000")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mkimage: %v: %s", err, out)
	}
	td, _ := os.ReadFile(theirs)
	th, err := ParseUBootHeader(td)
	if err != nil {
		t.Fatal(err)
	}
	mine := UBootHeader{Time: 1700000000, Size: th.Size, DataCRC: crc32IEEE(td[UBootHeaderLen:]), OS: 5, Arch: 22, Type: 3}
	mb, _ := mine.Marshal()
	if !bytes.Equal(mb, td[:UBootHeaderLen]) {
		t.Errorf("our header differs from mkimage's:\n% x\n% x", mb, td[:UBootHeaderLen])
	}
	for _, a := range []string{"arm", "x86_64", "riscv"} {
		cmd := exec.Command("mkimage", "-A", a, "-T", "ramdisk", "-C", "none", "-d", filepath.Join(src, "init"), theirs)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("mkimage: %v: %s", err, out)
		}
		td, _ := os.ReadFile(theirs)
		want, _ := UBootArch(a)
		if td[29] != want {
			t.Errorf("arch %s: mkimage writes %d, we have %d", a, td[29], want)
		}
	}
}

func TestAppend(t *testing.T) {
	base := compress(t, "gz", archive(t, dir(".", 0o755), reg("init", "old", 0o755), reg("keep", "k", 0o644)))
	extra := t.TempDir()
	os.WriteFile(filepath.Join(extra, "init"), []byte("new"), 0o755)
	os.MkdirAll(filepath.Join(extra, "lava-1"), 0o755)
	os.WriteFile(filepath.Join(extra, "lava-1/run.sh"), []byte("#!/bin/sh\n"), 0o755)
	for _, uboot := range []bool{false, true} {
		t.Run(fmt.Sprint("uboot=", uboot), func(t *testing.T) {
			data := base
			if uboot {
				h := UBootHeader{Size: uint32(len(base)), DataCRC: crc32IEEE(base), OS: 5, Arch: 2, Type: 3, Name: "initrd"}
				hb, _ := h.Marshal()
				data = append(hb, base...)
			}
			out := filepath.Join(t.TempDir(), "appended")
			if err := Append(writeFile(t, data), extra, out); err != nil {
				t.Fatal(err)
			}
			dst := t.TempDir()
			info, err := Unpack(out, dst)
			if err != nil {
				t.Fatal(err)
			}
			if len(info.Parts) != 2 {
				t.Errorf("parts = %+v", info.Parts)
			}
			if uboot && (info.UBoot == nil || info.UBoot.Arch != 2 || info.UBoot.Name != "initrd") {
				t.Errorf("u-boot header = %+v", info.UBoot)
			}
			for f, want := range map[string]string{"init": "new", "keep": "k", "lava-1/run.sh": "#!/bin/sh\n"} {
				if b, _ := os.ReadFile(filepath.Join(dst, f)); string(b) != want {
					t.Errorf("%s = %q, want %q", f, b, want)
				}
			}
		})
	}
}

func TestHardLinksFromCpio(t *testing.T) {
	// GNU cpio puts the data on the last link; the earlier ones are empty.
	in := archive(t,
		ent{Header{Name: "a", Mode: TypeReg | 0o755, Ino: 7, Nlink: 3}, ""},
		ent{Header{Name: "b", Mode: TypeReg | 0o755, Ino: 7, Nlink: 3}, ""},
		ent{Header{Name: "c", Mode: TypeReg | 0o755, Ino: 7, Nlink: 3, Size: 4}, "data"},
	)
	out := t.TempDir()
	if _, err := Unpack(writeFile(t, in), out); err != nil {
		t.Fatal(err)
	}
	var ino uint64
	for _, n := range []string{"a", "b", "c"} {
		fi, err := os.Stat(filepath.Join(out, n))
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if ino == 0 {
			ino = st.Ino
		}
		if st.Ino != ino || fi.Size() != 4 {
			t.Errorf("%s: ino %d size %d", n, st.Ino, fi.Size())
		}
	}
}

func TestRepackRootEntry(t *testing.T) {
	names := func(t *testing.T, dir string, meta map[string]Header) string {
		out := filepath.Join(t.TempDir(), "r.cpio")
		if err := RepackWith(context.Background(), dir, out, RepackOptions{Compression: "none", Meta: meta}); err != nil {
			t.Fatal(err)
		}
		raw, _ := os.ReadFile(out)
		got, err := readAll(t, raw)
		if err != nil {
			t.Fatal(err)
		}
		var n []string
		for _, e := range got {
			n = append(n, fmt.Sprintf("%s %o", e.h.Name, e.h.Perm()))
		}
		return strings.Join(n, ",")
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o700) // as mkdtemp makes it
	os.WriteFile(filepath.Join(dir, "init"), []byte("x"), 0o755)
	if got := names(t, dir, nil); got != "init 755" {
		t.Errorf("0700 root: %s", got)
	}
	os.Chmod(dir, 0o755)
	if got := names(t, dir, nil); got != ". 755,init 755" {
		t.Errorf("0755 root: %s", got)
	}
	if got := names(t, dir, map[string]Header{"init": {}}); got != "init 755" {
		t.Errorf("meta without .: %s", got)
	}
}
