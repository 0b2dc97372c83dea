package tftp

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/sdk/ramdisk"
)

// BenchmarkRamdiskRepack is extract-overlay-ramdisk + compress-ramdisk on a
// generated 32 MiB (unpacked) ramdisk: unpack, re-pack with gzip, on disk
// (the work directory) and in memory (ramdiskDir's tmpfs). MB/s are of the
// unpacked tree.
func BenchmarkRamdiskRepack(b *testing.B) {
	src := b.TempDir()
	r := rand.New(rand.NewSource(1))
	var total int64
	for i := range 2000 {
		p := filepath.Join(src, fmt.Sprintf("usr/lib/d%02d/f%04d", i%40, i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		data := make([]byte, 16<<10+r.Intn(2<<10))
		for j := range data {
			data[j] = byte('a' + r.Intn(8))
		}
		os.WriteFile(p, data, 0o644)
		total += int64(len(data))
	}
	image := filepath.Join(b.TempDir(), "initrd.cpio.gz")
	if err := ramdisk.RepackWith(context.Background(), src, image, ramdisk.RepackOptions{}); err != nil {
		b.Fatal(err)
	}
	for _, where := range []string{"disk", "memory"} {
		b.Run(where, func(b *testing.B) {
			work := b.TempDir()
			dir := filepath.Join(work, "ramdisk-bench")
			if where == "memory" {
				if dir = ramdiskDir(work, "bench", image); !strings.HasPrefix(dir, memoryDir+"/") {
					b.Skip("no memory file system with room")
				}
			}
			out := filepath.Join(b.TempDir(), "ramdisk.cpio.gz")
			b.SetBytes(total)
			for b.Loop() {
				os.RemoveAll(dir)
				info, err := ramdisk.UnpackWith(context.Background(), image, dir, ramdisk.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if err := ramdisk.RepackWith(context.Background(), dir, out, ramdisk.RepackOptions{Compression: "gz", Meta: info.Meta}); err != nil {
					b.Fatal(err)
				}
			}
			os.RemoveAll(dir)
		})
	}
}
