package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

func TestExtract_Compressions(t *testing.T) {
	plain := tarOf(t, false, dir("lib/"), reg("lib/modules/6.1/modules.dep", "dep\n"))
	compress := map[string]func(t *testing.T) []byte{
		"": func(*testing.T) []byte { return plain },
		"gz": func(t *testing.T) []byte {
			var b bytes.Buffer
			w := gzip.NewWriter(&b)
			w.Write(plain)
			w.Close()
			return b.Bytes()
		},
		"xz": func(t *testing.T) []byte {
			var b bytes.Buffer
			w, err := xz.NewWriter(&b)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(plain)
			w.Close()
			return b.Bytes()
		},
		"zstd": func(t *testing.T) []byte {
			var b bytes.Buffer
			w, err := zstd.NewWriter(&b)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(plain)
			w.Close()
			return b.Bytes()
		},
		"bz2": func(t *testing.T) []byte {
			// Go has no bzip2 writer: the bzip2 tool makes the test file.
			if _, err := exec.LookPath("bzip2"); err != nil {
				t.Skip("bzip2 not installed")
			}
			cmd := exec.Command("bzip2", "-c")
			cmd.Stdin = bytes.NewReader(plain)
			out, err := cmd.Output()
			if err != nil {
				t.Fatal(err)
			}
			return out
		},
	}
	for comp, mk := range compress {
		t.Run("compression="+comp, func(t *testing.T) {
			data := mk(t)
			if got := Detect(data); got != comp {
				t.Errorf("Detect = %q", got)
			}
			src := filepath.Join(t.TempDir(), "modules.tar")
			os.WriteFile(src, data, 0o644)
			dst := t.TempDir()
			res, err := ExtractFile(context.Background(), src, dst, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Compression != comp || res.Entries != 2 {
				t.Errorf("%+v", res)
			}
			if b, err := os.ReadFile(filepath.Join(dst, "lib/modules/6.1/modules.dep")); err != nil || string(b) != "dep\n" {
				t.Errorf("%q %v", b, err)
			}
		})
	}
	// A truncated compressed archive is an error that names it.
	data := compress["gz"](t)
	_, err := Extract(context.Background(), bytes.NewReader(data[:len(data)/2]), t.TempDir(), Options{Name: "modules.tar.gz"})
	if err == nil || !strings.HasPrefix(err.Error(), "modules.tar.gz: ") {
		t.Errorf("truncated: %v", err)
	}
}

// countingReader counts the compressed bytes an extraction consumed.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// gzipBomb is a ~1 MB gzip stream that inflates to a tar of about 1 GiB: the
// tar headers, then 1024 gzip members of 1 MiB of zeros each (a gzip stream may
// be several members, and compress/gzip reads them all as one).
func gzipBomb(t *testing.T, headers func(i int) []byte, files int, fileSize int64) []byte {
	t.Helper()
	gzOf := func(b []byte) []byte {
		var buf bytes.Buffer
		w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}
	zeros := gzOf(make([]byte, 1<<20))
	var out bytes.Buffer
	for i := 0; i < files; i++ {
		out.Write(gzOf(headers(i)))
		for n := int64(0); n < fileSize; n += 1 << 20 {
			out.Write(zeros)
		}
	}
	out.Write(gzOf(make([]byte, 1024))) // the end-of-archive blocks
	return out.Bytes()
}

func header(t *testing.T, name string, typ byte, size int64) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: typ}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()[:512]
}

// A 1 MB gzip that inflates to 1 GiB is refused with a small budget, and the
// refusal comes early: while streaming, after reading a small part of the
// compressed file, not after inflating all of it.
func TestExtract_DecompressionBomb(t *testing.T) {
	for _, tc := range []struct {
		name  string
		typ   byte
		files int
		size  int64
		limit int64
		want  string
	}{
		// One member claiming 1 GiB: refused on its header, before its data.
		{"one 1 GiB member", tar.TypeReg, 1, 1 << 30, 16 << 20, "big-0: refused: the archive holds more than 16777216 bytes"},
		// 1024 members of 1 MiB: refused once the budget is spent.
		// A member that is skipped (a device node) still inflates its data.
		{"skipped member with 1 GiB of data", tar.TypeChar, 1, 1 << 30, 16 << 20, "big-0: refused: the archive holds more than 16777216 bytes"},
		{"1024 members of 1 MiB", tar.TypeReg, 1024, 1 << 20, 16 << 20, "big-16: refused: the archive holds more than 16777216 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bomb := gzipBomb(t, func(i int) []byte { return header(t, "big-"+itoa(i), tc.typ, tc.size) }, tc.files, tc.size)
			if len(bomb) > 2<<20 {
				t.Fatalf("the bomb is %d bytes", len(bomb))
			}
			src := &countingReader{r: bytes.NewReader(bomb)}
			dst := t.TempDir()
			res, err := Extract(context.Background(), src, dst, Options{Name: "bomb.tar.gz", MaxBytes: tc.limit})
			if err == nil || !strings.Contains(err.Error(), "bomb.tar.gz: "+tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if res.Bytes > tc.limit {
				t.Errorf("%d bytes written, over the budget of %d", res.Bytes, tc.limit)
			}
			// Streaming: at most the budget's share of the compressed stream (plus
			// the reader's buffers) was read.
			if src.n > int64(len(bomb))/8 {
				t.Errorf("read %d of the bomb's %d compressed bytes before refusing it", src.n, len(bomb))
			}
		})
	}
	// The member budget.
	ms := make([]member, 11)
	for i := range ms {
		ms[i] = reg("f"+itoa(i), "")
	}
	if _, err := extract(t, t.TempDir(), Options{MaxEntries: 10}, ms...); err == nil || !strings.Contains(err.Error(), "f10: refused: the archive has more than 10 members") {
		t.Errorf("entries: %v", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
