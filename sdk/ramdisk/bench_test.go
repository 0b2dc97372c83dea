package ramdisk

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

// benchTree is a ramdisk-like tree: 2000 files, 32 MiB in all.
func benchTree(b *testing.B) (string, int64) {
	root := b.TempDir()
	r := rand.New(rand.NewSource(1))
	var total int64
	for i := 0; i < 2000; i++ {
		p := filepath.Join(root, fmt.Sprintf("usr/lib/d%02d/f%04d", i%40, i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		data := make([]byte, 16<<10+r.Intn(2<<10))
		for j := range data {
			data[j] = byte('a' + r.Intn(8)) // compressible, like binaries and text
		}
		os.WriteFile(p, data, 0o644)
		total += int64(len(data))
	}
	return root, total
}

// BenchmarkRepackGzip: tree → newc → gzip (MB/s of file data).
func BenchmarkRepackGzip(b *testing.B) {
	root, total := benchTree(b)
	out := filepath.Join(b.TempDir(), "ramdisk.cpio.gz")
	b.SetBytes(total)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := RepackWith(context.Background(), root, out, RepackOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnpackGzip: gzip → newc → tree (MB/s of file data).
func BenchmarkUnpackGzip(b *testing.B) {
	root, total := benchTree(b)
	img := filepath.Join(b.TempDir(), "ramdisk.cpio.gz")
	if err := RepackWith(context.Background(), root, img, RepackOptions{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(total)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dst := filepath.Join(b.TempDir(), "x")
		b.StartTimer()
		if _, err := Unpack(img, dst); err != nil {
			b.Fatal(err)
		}
	}
}
