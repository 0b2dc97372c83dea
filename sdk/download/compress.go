package download

import (
	"bytes"
	"compress/bzip2"
	"context"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
	"github.com/ulikunitz/xz"

	"github.com/lavacore/lavacore/sdk"
)

// Compressions LAVA decompresses while downloading (compression: in a deploy block).
// "zip" is accepted too but, as in LAVA, left as it is.
var decompressable = map[string]bool{"gz": true, "bz2": true, "xz": true, "zstd": true}

// tools compress as child processes (Compress), with the Debian package that
// has them; decompression is all in Go.
var tools = map[string]struct{ compress []string }{
	"xz":   {[]string{"xz", "--check=crc32", "-c"}},
	"zstd": {[]string{"zstd", "-T0", "-q", "-c"}},
	"bz2":  {[]string{"bzip2", "-c"}},
}

var debianPackage = map[string]string{"xz": "xz-utils", "zstd": "zstd", "bzip2": "bzip2"}

// NormalizeCompression maps the spellings LAVA accepts in its various places
// (gz/gzip, bz2/bzip2, xz, zstd) to gz, bz2, xz, zstd; "" stays "".
func NormalizeCompression(c string) string {
	switch strings.ToLower(c) {
	case "gzip":
		return "gz"
	case "bzip2":
		return "bz2"
	}
	return strings.ToLower(c)
}

// lookTool finds a helper program, with an error that says how to install it.
func lookTool(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		pkg := debianPackage[name]
		return "", sdk.InfraErrorf("%s is not installed: it is needed to handle this compression (run `make deps`, Debian package %s)", name, pkg)
	}
	return p, nil
}

// Decompress returns the decompressed bytes of r, all in Go and beside the
// caller's goroutine where the format allows: gz with pgzip (inflating ahead
// on a goroutine of its own, concatenated members included, as gunzip
// does), xz with ulikunitz/xz, zstd with klauspost/compress on up to four
// goroutines (a window of at most 512 MiB), bz2 with the standard library.
// A decoding failure surfaces as a Read error; compression "" returns r.
// Close stops the goroutines. ctx is not needed by any decoder (the
// caller's reader stops on its own context).
func Decompress(ctx context.Context, compression string, r io.Reader) (io.ReadCloser, error) {
	switch NormalizeCompression(compression) {
	case "":
		return io.NopCloser(r), nil
	case "gz":
		zr, err := pgzip.NewReaderN(r, 1<<20, 4)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	case "bz2":
		return io.NopCloser(bzip2.NewReader(r)), nil
	case "xz":
		zr, err := xz.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("xz: %w", err)
		}
		return io.NopCloser(zr), nil
	case "zstd":
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(min(runtime.GOMAXPROCS(0), 4)), zstd.WithDecoderMaxWindow(512<<20))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return zr.IOReadCloser(), nil
	}
	return nil, sdk.JobErrorf("Unknown 'compression' format '%s'", compression)
}

type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(b []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		if len(b) > room {
			l.buf.Write(b[:room])
		} else {
			l.buf.Write(b)
		}
	}
	return len(b), nil
}

// Compress returns a writer that compresses into w: gz in Go on every core
// (pgzip: 1 MiB blocks deflated in parallel at gzip's default level, one valid
// gzip member — LAVA runs a single-threaded `gzip`; the bytes differ, not what
// the kernel unpacks), bz2/xz/zstd through
// bzip2, `xz --check=crc32` (the check the kernel's decoder accepts) and `zstd -T0`,
// as LAVA's compress-ramdisk does. Close flushes and, for a child, waits for it.
// Compression "" (or "none") writes through unchanged.
func Compress(ctx context.Context, compression string, w io.Writer) (io.WriteCloser, error) {
	switch NormalizeCompression(compression) {
	case "", "none":
		return nopWriteCloser{w}, nil
	case "gz":
		return pgzip.NewWriter(w), nil
	case "bz2", "xz", "zstd":
		argv := tools[NormalizeCompression(compression)].compress
		path, err := lookTool(argv[0])
		if err != nil {
			return nil, err
		}
		cmd := exec.CommandContext(ctx, path, argv[1:]...)
		cmd.Stdout = w
		cmd.WaitDelay = 5 * time.Second
		var stderr bytes.Buffer
		cmd.Stderr = &limitedBuffer{buf: &stderr, max: 4096}
		in, err := cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, sdk.InfraErrorf("start %s: %w", argv[0], err)
		}
		return &procWriter{cmd: cmd, in: in, stderr: &stderr}, nil
	}
	return nil, sdk.JobErrorf("Unknown 'compression' format '%s'", compression)
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

type procWriter struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	stderr *bytes.Buffer
}

func (p *procWriter) Write(b []byte) (int, error) { return p.in.Write(b) }

func (p *procWriter) Close() error {
	p.in.Close()
	if err := p.cmd.Wait(); err != nil {
		msg := strings.TrimSpace(p.stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("%s: %s", p.cmd.Args[0], msg)
	}
	return nil
}
