package download

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"path/filepath"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/lavacore/lavacore/sdk/archive"
)

// benchRootfs is a ~100 MB rootfs.tar.gz made here (never committed): 2,400
// files of 110 KiB, an eighth random and the rest text-like, 264 MB
// unpacked.
func benchRootfs(b *testing.B) []byte {
	r := rand.New(rand.NewSource(1))
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	body := make([]byte, 110<<10)
	for i := range 2400 {
		r.Read(body[:len(body)/8])
		for j := len(body) / 8; j < len(body); j++ {
			body[j] = "ab \n"[r.Intn(4)]
		}
		tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("usr/lib/d%02d/f%04d", i%60, i), Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))})
		tw.Write(body)
	}
	tw.Close()
	var out bytes.Buffer
	zw, _ := kgzip.NewWriterLevel(&out, kgzip.BestSpeed)
	zw.Write(tarBuf.Bytes())
	zw.Close()
	return out.Bytes()
}

// BenchmarkDeployRootfs is the nfsrootfs deploy of a ~100 MB rootfs.tar.gz
// from an httptest server, cold (empty cache) and warm (a cache hit),
// before (the old sequence: the download into a file through the cache,
// then the extraction of that file) and after (one streamed pass). MB/s are
// of the compressed file.
func BenchmarkDeployRootfs(b *testing.B) {
	data := benchRootfs(b)
	_, u := newArtefactServer(b, data)
	sum := sha256Hex(data)
	for _, tc := range []struct {
		name           string
		warm, streamed bool
	}{{"cold/before", false, false}, {"cold/after", false, true}, {"warm/before", true, false}, {"warm/after", true, true}} {
		b.Run(tc.name, func(b *testing.B) {
			cacheDir := b.TempDir()
			opts := &Options{CacheDir: cacheDir, CacheMaxBytes: 1 << 30}
			if tc.warm {
				if _, err := Fetch(context.Background(), Spec{Key: "nfsrootfs", URL: u}, b.TempDir(), opts); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				b.StopTimer()
				if !tc.warm {
					cacheDir = b.TempDir()
					opts = &Options{CacheDir: cacheDir, CacheMaxBytes: 1 << 30}
				}
				dest := b.TempDir()
				tree := filepath.Join(b.TempDir(), "extract-nfsrootfs")
				b.StartTimer()
				if tc.streamed {
					if _, err := Fetch(context.Background(), Spec{Key: "nfsrootfs", URL: u, SHA256: sum, Archive: "tar", ExtractDir: tree}, dest, opts); err != nil {
						b.Fatal(err)
					}
					continue
				}
				res, err := Fetch(context.Background(), Spec{Key: "nfsrootfs", URL: u, SHA256: sum}, dest, opts)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := archive.ExtractFile(context.Background(), res.Path, tree, archive.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
