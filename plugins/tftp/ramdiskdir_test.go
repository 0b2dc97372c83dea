package tftp

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/sdk/archive"
	"github.com/lavacore/lavacore/sdk/ramdisk"
)

// The ramdisk unpacked in memory (tmpfs) and on disk, with modules added,
// re-packs to the same bytes.
func TestRamdiskInMemory_SameBytesAsOnDisk(t *testing.T) {
	if st, err := os.Stat(memoryDir); err != nil || !st.IsDir() {
		t.Skip("no " + memoryDir)
	}
	src := t.TempDir()
	for name, body := range map[string]string{"init": "#!/bin/sh\nexec /bin/sh\n", "etc/fstab": "", "usr/lib/x/y.so": strings.Repeat("lib", 4000)} {
		p := filepath.Join(src, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o755)
	}
	os.Symlink("usr/lib", filepath.Join(src, "lib"))
	image := filepath.Join(t.TempDir(), "initrd.cpio.gz")
	if err := ramdisk.RepackWith(context.Background(), src, image, ramdisk.RepackOptions{}); err != nil {
		t.Fatal(err)
	}
	var mods bytes.Buffer
	zw := gzip.NewWriter(&mods)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "lib/modules/6.1/modules.dep", Typeflag: tar.TypeReg, Mode: 0o644, Size: 2})
	tw.Write([]byte("x\n"))
	tw.Close()
	zw.Close()
	modules := filepath.Join(t.TempDir(), "modules.tar.gz")
	os.WriteFile(modules, mods.Bytes(), 0o644)

	work := t.TempDir()
	mem := ramdiskDir(work, "golden-test", image)
	if !strings.HasPrefix(mem, memoryDir+"/") {
		t.Skipf("%s is not a memory file system with room", memoryDir)
	}
	t.Cleanup(func() { os.RemoveAll(mem) })
	var out [][]byte
	for _, dir := range []string{filepath.Join(work, "ramdisk-golden-test"), mem} {
		os.RemoveAll(dir)
		info, err := ramdisk.UnpackWith(context.Background(), image, dir, ramdisk.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := archive.ExtractFile(context.Background(), modules, dir, archive.Options{}); err != nil {
			t.Fatal(err)
		}
		o := filepath.Join(t.TempDir(), "ramdisk.cpio.gz")
		if err := ramdisk.RepackWith(context.Background(), dir, o, ramdisk.RepackOptions{Compression: "gz", Meta: info.Meta}); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(o)
		out = append(out, b)
	}
	if !bytes.Equal(out[0], out[1]) || len(out[0]) == 0 {
		t.Errorf("in memory %d bytes, on disk %d bytes: not the same image", len(out[1]), len(out[0]))
	}
}

func TestRamdiskDir(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.gz")
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(bytes.Repeat([]byte("a"), 1<<20))
	zw.Close()
	os.WriteFile(small, b.Bytes(), 0o644)
	huge := filepath.Join(dir, "huge.gz")
	hb := append([]byte{}, b.Bytes()...)
	copy(hb[len(hb)-4:], []byte{0xff, 0xff, 0xff, 0x7f}) // ISIZE ~2 GiB
	os.WriteFile(huge, hb, 0o644)
	for _, tc := range []struct {
		image    string
		inMemory bool
	}{{small, true}, {huge, false}, {filepath.Join(dir, "missing"), false}} {
		got := ramdiskDir("/work", "7", tc.image)
		if st, err := os.Stat(memoryDir); (err != nil || !st.IsDir()) && tc.inMemory {
			continue
		}
		if strings.HasPrefix(got, memoryDir+"/") != tc.inMemory {
			t.Errorf("ramdiskDir(%s) = %s, in memory: want %v", filepath.Base(tc.image), got, tc.inMemory)
		}
	}
}
