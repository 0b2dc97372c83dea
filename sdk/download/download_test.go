package download

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lavacore/lavacore/sdk"
)

// payload is some compressible, non-trivial content.
func payload(n int) []byte {
	r := rand.New(rand.NewSource(1))
	words := []string{"lava ", "dispatcher ", "kernel ", "ramdisk\n", "nfsroot ", "0x1f8b ", "test-case "}
	var b bytes.Buffer
	for b.Len() < n {
		if r.Intn(10) == 0 {
			fmt.Fprintf(&b, "%08x", r.Uint32())
		}
		b.WriteString(words[r.Intn(len(words))])
	}
	return b.Bytes()[:n]
}

func gz(t testing.TB, data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// viaCLI compresses data with a command-line tool, skipping the test when it is absent.
func viaCLI(t testing.TB, data []byte, argv ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(argv[0]); err != nil {
		t.Skipf("%s not installed (make deps)", argv[0])
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v", argv, err)
	}
	return out
}

func sums(data []byte) (string, string, string) {
	m := md5.Sum(data)
	s := sha256.Sum256(data)
	l := sha512.Sum512(data)
	return hex.EncodeToString(m[:]), hex.EncodeToString(s[:]), hex.EncodeToString(l[:])
}

// server serves files by path; special paths misbehave.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	files    map[string][]byte
	encoding []string // Accept-Encoding header values seen
	methods  []string
}

func newServer(t testing.TB) *server {
	s := &server{files: map[string][]byte{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.encoding = append(s.encoding, strings.Join(r.Header.Values("Accept-Encoding"), ","))
		s.methods = append(s.methods, r.Method)
		data, ok := s.files[r.URL.Path]
		s.mu.Unlock()
		switch {
		case strings.HasPrefix(r.URL.Path, "/nohead/") && r.Method == http.MethodHead:
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		case strings.HasPrefix(r.URL.Path, "/short/"):
			// Declares more than it sends, then drops the connection.
			w.Header().Set("Content-Length", fmt.Sprint(len(data)+1000))
			w.WriteHeader(http.StatusOK)
			if r.Method == http.MethodGet {
				w.Write(data)
			}
			return
		case strings.HasPrefix(r.URL.Path, "/stall/"):
			w.Header().Set("Content-Length", fmt.Sprint(len(data)*2))
			w.WriteHeader(http.StatusOK)
			if r.Method == http.MethodGet {
				w.Write(data)
				w.(http.Flusher).Flush()
				<-r.Context().Done()
			}
			return
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) add(path string, data []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[path] = data
	return s.URL + path
}

func TestFetchCompression(t *testing.T) {
	plain := payload(300 << 10)
	tests := []struct {
		name, key, file, comp string
		make                  func(t testing.TB) []byte
		wantName              string
		decompressed          bool
	}{
		{"plain", "kernel", "Image", "", func(t testing.TB) []byte { return plain }, "Image", false},
		{"gz", "nfsrootfs", "rootfs.tar.gz", "gz", func(t testing.TB) []byte { return gz(t, plain) }, "rootfs.tar", true},
		{"gz concatenated members", "dtb", "board.dtb.gz", "gz", func(t testing.TB) []byte {
			return append(gz(t, plain[:1000]), gz(t, plain[1000:])...)
		}, "board.dtb", true},
		{"gzip CLI", "modules", "modules.tar.gz", "gz", func(t testing.TB) []byte { return viaCLI(t, plain, "gzip", "-c") }, "modules.tar", true},
		{"bz2", "nfsrootfs", "rootfs.tar.bz2", "bz2", func(t testing.TB) []byte { return viaCLI(t, plain, "bzip2", "-c") }, "rootfs.tar", true},
		{"xz", "nfsrootfs", "rootfs.tar.xz", "xz", func(t testing.TB) []byte { return viaCLI(t, plain, "xz", "-c") }, "rootfs.tar", true},
		{"zstd", "nfsrootfs", "rootfs.tar.zst", "zstd", func(t testing.TB) []byte { return viaCLI(t, plain, "zstd", "-q", "-c") }, "rootfs.tar", true},
		{"no suffix keeps name", "kernel", "vmlinuz", "gz", func(t testing.TB) []byte { return gz(t, plain) }, "vmlinuz", true},
		{"ramdisk never decompressed", "ramdisk", "initrd.cpio.gz", "gz", func(t testing.TB) []byte { return gz(t, plain) }, "initrd.cpio.gz", false},
		{"zip kept", "nfsrootfs", "rootfs.zip", "zip", func(t testing.TB) []byte { return plain }, "rootfs.zip", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.make(t)
			m, s256, s512 := sums(raw)
			srv := newServer(t)
			u := srv.add("/images/"+tc.file, raw)
			dir := t.TempDir()
			size, err := Validate(context.Background(), u, nil)
			if err != nil {
				t.Fatal(err)
			}
			if size != int64(len(raw)) {
				t.Errorf("Validate size = %d, want %d", size, len(raw))
			}
			var last [2]int64
			res, err := Fetch(context.Background(), Spec{Key: tc.key, URL: u, Compression: tc.comp, MD5: m, SHA256: s256, SHA512: strings.ToUpper(s512), Size: size}, dir,
				&Options{Progress: func(done, total int64) { last = [2]int64{done, total} }})
			if err != nil {
				t.Fatal(err)
			}
			want := Result{Key: tc.key, Path: filepath.Join(dir, tc.key, tc.wantName), Size: int64(len(raw)), MD5: m, SHA256: s256, SHA512: s512, Decompressed: tc.decompressed, Duration: res.Duration}
			if res != want || res.Duration <= 0 {
				t.Errorf("Result = %+v\nwant     %+v", res, want)
			}
			if last != [2]int64{int64(len(raw)), int64(len(raw))} {
				t.Errorf("last progress = %v", last)
			}
			got, _ := os.ReadFile(res.Path)
			wantData := plain
			if !tc.decompressed {
				wantData = raw
			}
			if !bytes.Equal(got, wantData) {
				t.Errorf("content differs (%d bytes, want %d)", len(got), len(wantData))
			}
			entries, _ := os.ReadDir(filepath.Dir(res.Path))
			if len(entries) != 1 {
				t.Errorf("leftovers in %s: %v", filepath.Dir(res.Path), entries)
			}
			if r := res.Results(); r["label"] != tc.key || r["size"] != int64(len(raw)) || r["sha256sum"] != s256 {
				t.Errorf("Results() = %v", r)
			}
		})
	}
	// No request asked for an encoding.
}

func TestNoContentEncoding(t *testing.T) {
	srv := newServer(t)
	u := srv.add("/k", []byte("kernel"))
	if _, err := Validate(context.Background(), u, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Fetch(context.Background(), Spec{Key: "kernel", URL: u}, t.TempDir(), nil); err != nil {
		t.Fatal(err)
	}
	for i, e := range srv.encoding {
		if strings.Contains(e, "gzip") {
			t.Errorf("request %d (%s) asked for Accept-Encoding %q", i, srv.methods[i], e)
		}
	}
	if strings.Join(srv.methods, ",") != "HEAD,GET" {
		t.Errorf("methods = %v", srv.methods)
	}
}

func TestValidate(t *testing.T) {
	srv := newServer(t)
	ok := srv.add("/ok/Image", []byte("12345"))
	nohead := srv.add("/nohead/Image", []byte("1234567"))
	file := filepath.Join(t.TempDir(), "Image")
	os.WriteFile(file, []byte("abc"), 0o644)
	tests := []struct {
		url      string
		size     int64
		wantType sdk.ErrorType
		wantMsg  string
	}{
		{url: ok, size: 5},
		{url: nohead, size: 7},
		{url: "file://" + file, size: 3},
		{url: srv.URL + "/missing", wantType: sdk.Job, wantMsg: "Resource unavailable at '" + srv.URL + "/missing' (404)"},
		{url: "file://" + file + ".nope", wantType: sdk.Job, wantMsg: "Image file '" + file + ".nope' does not exist or is not readable"},
		{url: "file:///etc/passwd", wantType: sdk.Job, wantMsg: "file:///etc/passwd is refused: it is not inside a directory the lab allows"},
		{url: "ftp://example.org/Image", wantType: sdk.Job, wantMsg: "Unsupported url protocol scheme: ftp"},
		{url: "scp://host/x", wantType: sdk.Job, wantMsg: "Unsupported url protocol scheme: scp"},
		{url: "http://127.0.0.1:1/x", wantType: sdk.Infrastructure, wantMsg: "Unable to get 'http://127.0.0.1:1/x': "},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			size, err := ValidateSpec(context.Background(), Spec{URL: tc.url, AllowedFileDirs: []string{filepath.Dir(file)}}, nil)
			checkErr(t, err, tc.wantType, tc.wantMsg)
			if err == nil && size != tc.size {
				t.Errorf("size = %d, want %d", size, tc.size)
			}
		})
	}
}

func checkErr(t *testing.T, err error, typ sdk.ErrorType, msg string) {
	t.Helper()
	if msg == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, want %s error %q", typ, msg)
	}
	if got := sdk.TypeOf(err); got != typ {
		t.Errorf("error type %s, want %s (%v)", got, typ, err)
	}
	if !strings.HasPrefix(err.Error(), msg) {
		t.Errorf("error\n %q\nwant prefix\n %q", err.Error(), msg)
	}
}

func TestFetchErrors(t *testing.T) {
	plain := payload(100 << 10)
	srv := newServer(t)
	good := srv.add("/Image", plain)
	short := srv.add("/short/Image", plain)
	notgz := srv.add("/rootfs.tar.gz", plain)
	emptyPath := t.TempDir()
	file := filepath.Join(emptyPath, "Image")
	os.WriteFile(file, plain, 0o644)
	tests := []struct {
		name     string
		spec     Spec
		wantType sdk.ErrorType
		wantMsg  string
	}{
		{"md5", Spec{Key: "kernel", URL: good, MD5: strings.Repeat("0", 32)}, sdk.Job, "md5 for '" + good + "' does not match."},
		{"sha256", Spec{Key: "kernel", URL: good, SHA256: strings.Repeat("0", 64)}, sdk.Job, "sha256 for '" + good + "' does not match."},
		{"sha512", Spec{Key: "kernel", URL: good, SHA512: strings.Repeat("0", 128)}, sdk.Job, "sha512 for '" + good + "' does not match."},
		{"404", Spec{Key: "kernel", URL: srv.URL + "/missing"}, sdk.Infrastructure, "Unable to download '" + srv.URL + "/missing' (404)"},
		{"short body", Spec{Key: "kernel", URL: short}, sdk.Infrastructure,
			fmt.Sprintf("Download finished (%d bytes) but was not expected size (%d bytes), check your networking.", len(plain), len(plain)+1000)},
		{"size differs from Validate", Spec{Key: "kernel", URL: good, Size: int64(len(plain)) + 1}, sdk.Infrastructure,
			fmt.Sprintf("Download finished (%d bytes) but was not expected size (%d bytes), check your networking.", len(plain), len(plain)+1)},
		{"not gzip", Spec{Key: "nfsrootfs", URL: notgz, Compression: "gz"}, sdk.Job, "Unable to decompress '" + notgz + "' as gz: "},
		{"bad scheme", Spec{Key: "kernel", URL: "tftp://x/Image"}, sdk.Job, "Unsupported url protocol scheme: tftp"},
		{"bad key", Spec{Key: "../etc", URL: good}, sdk.Job, `Invalid key "../etc"`},
		{"directory url", Spec{Key: "kernel", URL: srv.URL + "/images/"}, sdk.Job, "Cannot download a directory for kernel"},
		{"bad compression", Spec{Key: "kernel", URL: good, Compression: "lz4"}, sdk.Job, "Unknown 'compression' format 'lz4'"},
		{"bad archive", Spec{Key: "kernel", URL: good, Archive: "zip"}, sdk.Job, "Unknown 'archive' format 'zip'"},
		{"file ok", Spec{Key: "kernel", URL: "file://" + file, AllowedFileDirs: []string{filepath.Dir(file)}}, "", ""},
		{"file sha256", Spec{Key: "kernel", URL: "file://" + file, SHA256: "ab", AllowedFileDirs: []string{filepath.Dir(file)}}, sdk.Job, "sha256 for 'file://" + file + "' does not match."},
		{"file missing", Spec{Key: "kernel", URL: "file://" + file + ".nope", AllowedFileDirs: []string{filepath.Dir(file)}}, sdk.Infrastructure, "Unable to read from " + file + ".nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Fetch(context.Background(), tc.spec, dir, nil)
			checkErr(t, err, tc.wantType, tc.wantMsg)
			if err != nil {
				// Nothing is left behind under its final name, nor as a part file.
				filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
					if err == nil && !fi.IsDir() {
						t.Errorf("left behind: %s", p)
					}
					return nil
				})
			}
		})
	}
}

// Decompression is all in Go: no unxz or unzstd is needed to fetch; the
// compressors compress-ramdisk runs still say how to install them.
func TestFetchMissingTool(t *testing.T) {
	data := payload(100 << 10)
	xzData, zstData := viaCLI(t, data, "xz", "-c"), viaCLI(t, data, "zstd", "-c", "-q")
	srv := newServer(t)
	ux, uz := srv.add("/rootfs.tar.xz", xzData), srv.add("/rootfs.tar.zst", zstData)
	t.Setenv("PATH", t.TempDir())
	for _, tc := range []struct{ url, comp string }{{ux, "xz"}, {uz, "zstd"}} {
		res, err := Fetch(context.Background(), Spec{Key: "nfsrootfs", URL: tc.url, Compression: tc.comp}, t.TempDir(), nil)
		if err != nil || !bytes.Equal(mustRead(t, res.Path), data) {
			t.Errorf("%s without its tool: %v", tc.comp, err)
		}
	}
	_, err := Compress(context.Background(), "xz", io.Discard)
	checkErr(t, err, sdk.Infrastructure, "xz is not installed")
	if err != nil && !strings.Contains(err.Error(), "make deps") {
		t.Errorf("error does not say how to install: %v", err)
	}
}

func TestFetchBadXZ(t *testing.T) {
	srv := newServer(t)
	u := srv.add("/rootfs.tar.xz", payload(10000))
	_, err := Fetch(context.Background(), Spec{Key: "nfsrootfs", URL: u, Compression: "xz"}, t.TempDir(), nil)
	checkErr(t, err, sdk.Job, "Unable to decompress '"+u+"' as xz: ")
}

func TestFetchContext(t *testing.T) {
	srv := newServer(t)
	for _, comp := range []string{"", "gz", "xz"} {
		t.Run("deadline"+comp, func(t *testing.T) {
			data := payload(64 << 10)
			if comp == "gz" {
				data = gz(t, data)
			}
			if comp == "xz" {
				data = viaCLI(t, data, "xz", "-c")
			}
			u := srv.add("/stall/file."+comp, data)
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			dir := t.TempDir()
			_, err := Fetch(ctx, Spec{Key: "nfsrootfs", URL: u, Compression: comp}, dir, nil)
			if !errors.Is(err, context.DeadlineExceeded) || sdk.TypeOf(err) != sdk.Infrastructure {
				t.Fatalf("err = %v (%s), want a deadline Infrastructure error", err, sdk.TypeOf(err))
			}
			if !strings.Contains(err.Error(), "timed out") {
				t.Errorf("err = %v", err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v to notice the deadline", d)
			}
			if e, _ := os.ReadDir(filepath.Join(dir, "nfsrootfs")); len(e) != 0 {
				t.Errorf("left behind: %v", e)
			}
		})
	}
	t.Run("cancel", func(t *testing.T) {
		u := srv.add("/stall/Image", payload(64<<10))
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		_, err := Fetch(ctx, Spec{Key: "kernel", URL: u}, t.TempDir(), nil)
		if !errors.Is(err, context.Canceled) || sdk.TypeOf(err) != sdk.Canceled {
			t.Fatalf("err = %v (%s)", err, sdk.TypeOf(err))
		}
	})
}

func TestFetchArchive(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "lib/modules/6.1/modules.dep", Typeflag: tar.TypeReg, Mode: 0o644, Size: 2})
	tw.Write([]byte("x\n"))
	tw.Close()
	srv := newServer(t)
	u := srv.add("/modules.tar.gz", gz(t, buf.Bytes()))
	dir := t.TempDir()
	res, err := Fetch(context.Background(), Spec{Key: "modules", URL: u, Compression: "gz", Archive: "tar"}, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Streamed: no file is kept, compressed or not.
	if res.Path != "" || res.Dir != filepath.Join(dir, "modules", "modules") || !res.Decompressed {
		t.Errorf("res = %+v", res)
	}
	if names, _ := os.ReadDir(filepath.Join(dir, "modules")); len(names) != 1 {
		t.Errorf("%s holds %d entries, want only the tree", filepath.Join(dir, "modules"), len(names))
	}
	if false {
		t.Errorf("res = %+v", res)
	}
	if _, err := os.Stat(filepath.Join(res.Dir, "lib/modules/6.1/modules.dep")); err != nil {
		t.Error(err)
	}
	// The extractor is sdk/archive: a member that leaves the directory is the job's error.
	buf.Reset()
	tw = tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "../../evil", Typeflag: tar.TypeReg, Mode: 0o644})
	tw.Close()
	u = srv.add("/evil.tar", buf.Bytes())
	_, err = Fetch(context.Background(), Spec{Key: "modules", URL: u, Archive: "tar"}, t.TempDir(), nil)
	checkErr(t, err, sdk.Job, `Unable to extract '`+u+`': evil.tar: ../../evil: refused: member name climbs out of the extraction root with ".."`)
}

func TestDest(t *testing.T) {
	for _, tc := range []struct {
		spec Spec
		want string
	}{
		{Spec{Key: "kernel", URL: "http://h/a/Image"}, "/d/kernel/Image"},
		{Spec{Key: "nfsrootfs", URL: "http://h/rootfs.tar.xz?x=1", Compression: "xz"}, "/d/nfsrootfs/rootfs.tar"},
		{Spec{Key: "ramdisk", URL: "file:///srv/initrd.cpio.gz", Compression: "gz"}, "/d/ramdisk/initrd.cpio.gz"},
		{Spec{Key: "dtb", URL: "https://h/x.dtb.zip", Compression: "zip"}, "/d/dtb/x.dtb.zip"},
	} {
		got, err := Dest("/d", tc.spec)
		if err != nil || got != tc.want {
			t.Errorf("Dest(%+v) = %q, %v; want %q", tc.spec, got, err, tc.want)
		}
	}
}

func TestDecompressCompressRoundTrip(t *testing.T) {
	data := payload(200 << 10)
	for _, c := range []string{"gz", "gzip", "bz2", "xz", "zstd", ""} {
		t.Run(c, func(t *testing.T) {
			if tool := map[string]string{"bz2": "bzip2", "xz": "xz", "zstd": "zstd"}[c]; tool != "" {
				if _, err := exec.LookPath(tool); err != nil {
					t.Skipf("%s not installed (make deps)", tool)
				}
			}
			var b bytes.Buffer
			w, err := Compress(context.Background(), c, &b)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(data)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			r, err := Decompress(context.Background(), c, &b)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if _, err := out.ReadFrom(r); err != nil {
				t.Fatal(err)
			}
			r.Close()
			if !bytes.Equal(out.Bytes(), data) {
				t.Errorf("round trip differs")
			}
		})
	}
}

// BenchmarkFetchGunzip measures download + gunzip + sha256 from a loopback HTTP
// server; MB/s is of the decompressed output, wire-MB/s of the bytes transferred.
func BenchmarkFetchGunzip(b *testing.B) {
	plain := payload(64 << 20)
	data := gz(b, plain)
	srv := newServer(b)
	u := srv.add("/rootfs.tar.gz", data)
	dir := b.TempDir()
	b.SetBytes(int64(len(plain)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Fetch(context.Background(), Spec{Key: "nfsrootfs", URL: u, Compression: "gz"}, dir, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data))*float64(b.N)/b.Elapsed().Seconds()/1e6, "wire-MB/s")
}

// BenchmarkFetchPlain is the same without decompression (network + sha256 + disk).
func BenchmarkFetchPlain(b *testing.B) {
	plain := payload(64 << 20)
	srv := newServer(b)
	u := srv.add("/Image", plain)
	dir := b.TempDir()
	b.SetBytes(int64(len(plain)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Fetch(context.Background(), Spec{Key: "kernel", URL: u}, dir, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestProgressAndSummary(t *testing.T) {
	var lines []string
	p := Progress(func(m string) { lines = append(lines, m) })
	const mb = 1 << 20
	for done := int64(0); done <= 100*mb; done += mb {
		p(done, 100*mb)
	}
	if len(lines) != 21 || lines[0] != "progress   0 % (0 MB)" || lines[20] != "progress 100 % (100 MB)" {
		t.Errorf("known total: %d lines: %q", len(lines), lines)
	}
	lines = nil
	p = Progress(func(m string) { lines = append(lines, m) })
	for done := int64(0); done <= 100*mb; done += mb {
		p(done, -1)
	}
	if len(lines) != 5 || lines[1] != "progress 25 MB" {
		t.Errorf("unknown total: %q", lines)
	}
	r := Result{Size: 300 * mb, Duration: 2 * time.Second}
	if got := r.Summary(); got != "300 MB downloaded in 2.00 s (150.00 MB/s)" {
		t.Errorf("Summary = %q", got)
	}
}

// countingTransport counts the requests that went through it.
type countingTransport struct {
	n    int
	next http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n++
	return c.next.RoundTrip(r)
}

// Validate and Fetch use the client they are given (no package variable to swap).
func TestOptionsClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("kernel")) }))
	defer srv.Close()
	ct := &countingTransport{next: http.DefaultTransport}
	opts := &Options{Client: &http.Client{Transport: ct}}
	if _, err := Validate(context.Background(), srv.URL+"/zImage", opts); err != nil {
		t.Fatal(err)
	}
	if _, err := Fetch(context.Background(), Spec{Key: "kernel", URL: srv.URL + "/zImage"}, t.TempDir(), opts); err != nil {
		t.Fatal(err)
	}
	if ct.n != 2 { // HEAD, then GET
		t.Errorf("the given client made %d requests, want 2", ct.n)
	}
}
