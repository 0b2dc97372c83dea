package download

import (
	"context"
	"testing"
)

// BenchmarkFetch100MB compares a download of a 100 MB file over loopback
// with the same job's second run (a 304, then a copy from the cache).
func BenchmarkFetch100MB(b *testing.B) {
	data := payload(100 << 20)
	_, u := newArtefactServer(b, data)
	for _, tc := range []struct {
		name   string
		cached bool
	}{{"uncached", false}, {"cached", true}} {
		b.Run(tc.name, func(b *testing.B) {
			dir := b.TempDir()
			opts := &Options{}
			if tc.cached {
				opts.CacheDir, opts.CacheMaxBytes = dir, 1<<30
				if _, err := Fetch(context.Background(), Spec{Key: "rootfs", URL: u}, b.TempDir(), opts); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(data)))
			dest := b.TempDir()
			b.ResetTimer()
			for b.Loop() {
				if _, err := Fetch(context.Background(), Spec{Key: "rootfs", URL: u, SHA256: sha256Hex(data)}, dest, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
