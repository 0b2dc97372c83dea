package archive

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"fmt"
	"io"
	"runtime"

	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
	"github.com/ulikunitz/xz"
)

// magics of the compressions lavacore reads, as core/ramdisk knows them.
var magics = []struct {
	comp  string
	magic []byte
}{
	{"gz", []byte{0x1f, 0x8b}},
	{"xz", []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}},
	{"bz2", []byte("BZh")},
	{"zstd", []byte{0x28, 0xb5, 0x2f, 0xfd}},
}

// Detect names the compression of a stream from its first bytes: gz, xz, bz2,
// zstd, or "" (none recognised: a plain tar, or not an archive).
func Detect(head []byte) string {
	for _, m := range magics {
		if bytes.HasPrefix(head, m.magic) {
			return m.comp
		}
	}
	return ""
}

// zstdMaxWindow bounds the memory a zstd frame may ask for (zstd --long=31
// archives need 2 GiB; nothing lavacore reads does).
const zstdMaxWindow = 512 << 20

// Decompression runs on goroutines of its own, beside the extractor: gzip
// with pgzip (one goroutine inflates ahead in gzipBlocks blocks of
// gzipBlockSize while another checks the CRC; 4 MiB of memory), zstd with
// up to zstdConcurrency decoders. xz (ulikunitz/xz) decodes in the reader.
const (
	gzipBlockSize = 1 << 20
	gzipBlocks    = 4
)

// zstdConcurrency is how many goroutines decode a zstd stream.
func zstdConcurrency() int { return min(runtime.GOMAXPROCS(0), 4) }

// decompress returns the tar stream inside br and the compression it found.
func decompress(br *bufio.Reader) (string, io.ReadCloser, error) {
	head, _ := br.Peek(6)
	comp := Detect(head)
	switch comp {
	case "gz":
		zr, err := pgzip.NewReaderN(br, gzipBlockSize, gzipBlocks)
		if err != nil {
			return comp, nil, fmt.Errorf("gzip: %w", err)
		}
		return comp, zr, nil
	case "bz2":
		return comp, io.NopCloser(bzip2.NewReader(br)), nil
	case "xz":
		zr, err := xz.NewReader(br)
		if err != nil {
			return comp, nil, fmt.Errorf("xz: %w", err)
		}
		return comp, io.NopCloser(zr), nil
	case "zstd":
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(zstdConcurrency()), zstd.WithDecoderMaxWindow(zstdMaxWindow))
		if err != nil {
			return comp, nil, fmt.Errorf("zstd: %w", err)
		}
		return comp, zr.IOReadCloser(), nil
	}
	return "", io.NopCloser(br), nil
}
