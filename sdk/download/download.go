// Package download fetches the artefacts of a deploy block (kernel, ramdisk, dtb,
// modules, nfsrootfs …) the way LAVA's download-retry action does:
//
//   - schemes http, https and file (anything else: "Unsupported url protocol scheme: X");
//     file:// URLs read only from the lab's allowed_file_dirs, links resolved, and the
//     copy is never more open than the file (OpenFileURL);
//   - Validate sends HEAD, falling back to GET, without content encoding, and takes the
//     size from Content-Length ("Resource unavailable at '<url>' (<code>)");
//   - Fetch streams to <destDir>/<key>/<basename>, decompressing gz, bz2, xz or zstd on
//     the way and dropping the last dot-suffix (rootfs.tar.gz → rootfs.tar), except for
//     the key "ramdisk", which is never decompressed here; "zip" is kept as is;
//   - the size and the md5/sha256/sha512 cachedSums are those of the bytes downloaded
//     (the compressed file, as LAVA hashes them), with LAVA's messages:
//     "Download finished (X bytes) but was not expected size (Y bytes), check your
//     networking." (Infrastructure) and "<algo> for '<url>' does not match." (Job);
//   - the result is LAVA's {label, size, sha256sum}.
//
// Nothing is held in memory: the body is copied in chunks through the hashes and the
// decompressor into a temporary file that is renamed into place once every check has
// passed. The context bounds the whole transfer (the HTTP client has no timeout of
// its own); cancelling it stops the copy (decompression runs in this process).
package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/archive"
)

// Spec is one artefact of a deploy block.
type Spec struct {
	Key         string // kernel, ramdisk, dtb, modules, nfsrootfs …: the sub-directory
	URL         string // http://, https:// or file://
	Compression string // "", gz, bz2, xz, zstd (decompressed unless Key is ramdisk), zip (kept)
	MD5         string // md5sum:, hex
	SHA256      string // sha256sum:, hex
	SHA512      string // sha512sum:, hex
	// Archive "tar" unpacks the artefact as it arrives, with package
	// archive, into ExtractDir ("": <destDir>/<key>/<key>, LAVA's layout),
	// which is emptied first: download, hashes, decompression and extraction
	// are one pass, and no file is kept (Result.Path is ""). The directory is
	// removed again if the download or a checksum fails.
	Archive    string
	ExtractDir string
	// ArchiveLog, if not nil, gets the extractor's lines (skipped device
	// nodes, dropped setuid bits).
	ArchiveLog func(msg string)
	// Size is the size Validate reported. 0 takes it from the transfer itself
	// (Content-Length, or the file's size); negative means unknown: no size check.
	Size int64
	// Headers are extra request headers (LAVA's `headers:`).
	Headers map[string]string
	// AllowedFileDirs are the directories file:// URLs may read from (the lab's
	// allowed_file_dirs, sdk.Dispatcher.AllowedFileDirs); none: file:// is
	// refused. See OpenFileURL.
	AllowedFileDirs []string
	// ArchiveMaxBytes is the extraction budget of Archive "tar" (0: package
	// archive's default): see sdk/archive.
	ArchiveMaxBytes int64
}

// Result is a finished download.
type Result struct {
	Key  string
	Path string // the file: <destDir>/<key>/<name>
	// Dir is where an archive was extracted (Spec.ExtractDir or
	// <destDir>/<key>/<key>), "" otherwise; Path is then "".
	Dir string
	// Extracted is the extractor's account of an archive.
	Extracted *archive.Result
	// Size is the number of bytes downloaded (before decompression).
	Size int64
	// MD5, SHA256 and SHA512 are the hex cachedSums of the bytes downloaded (LAVA
	// records all three).
	MD5, SHA256, SHA512 string
	// Decompressed is true when the file was decompressed on the way.
	Decompressed bool
	// Duration is how long the transfer took.
	Duration time.Duration
}

// Summary is LAVA's line after a download: "<n> MB downloaded in <s> s (<r> MB/s)".
func (r Result) Summary() string {
	mb := float64(r.Size) / (1024 * 1024)
	secs := r.Duration.Seconds()
	rate := 0.0
	if secs > 0 {
		rate = mb / secs
	}
	return fmt.Sprintf("%d MB downloaded in %0.2f s (%0.2f MB/s)", int64(mb), secs, rate)
}

// Progress returns a progress function for Fetch that logs LAVA's lines: with a
// known total, "progress  45 % (12 MB)" every 5 %; otherwise "progress 75 MB" every
// 25 MB, or every second.
func Progress(log func(msg string)) func(done, total int64) {
	last := int64(-1)
	lastTime := time.Time{}
	return func(done, total int64) {
		now := time.Now()
		if total > 0 {
			pct := done * 100 / total
			if last < 0 || pct >= last+5 || (done == total && pct != last) {
				last, lastTime = pct, now
				log(fmt.Sprintf("progress %3d %% (%d MB)", pct, done/(1024*1024)))
			}
			return
		}
		if last < 0 || done >= last+25*1024*1024 || now.Sub(lastTime) >= time.Second {
			last, lastTime = done, now
			log(fmt.Sprintf("progress %d MB", done/(1024*1024)))
		}
	}
}

// Results is LAVA's result record of a download action: {label, size,
// md5sum, sha256sum, sha512sum}.
func (r Result) Results() map[string]any {
	return map[string]any{"label": r.Key, "size": r.Size, "md5sum": r.MD5, "sha256sum": r.SHA256, "sha512sum": r.SHA512}
}

// Options say how Validate and Fetch reach the servers; nil is the zero Options.
type Options struct {
	// Client is the HTTP client for http and https; nil is NewClient's, shared.
	Client *http.Client
	// Progress, if not nil, is called by Fetch with the bytes downloaded so far
	// and the expected total (-1 if unknown) after every MiB and once at the end.
	Progress func(done, total int64)
	// CacheDir, if not "", is the artefact cache Fetch keeps http(s)
	// downloads in (package cache; sdk.Dispatcher.CacheDir), bounded to
	// CacheMaxBytes (0: the cache's default).
	CacheDir      string
	CacheMaxBytes int64
	// Log, if not nil, gets the cache's lines for the job log: hits, misses,
	// changed and corrupted files.
	Log func(msg string)
}

// NewClient returns the HTTP client downloads use by default. It has no
// timeout: the context bounds every request. It neither asks for nor undoes
// content encoding, so sizes and cachedSums are those of the file on the server.
func NewClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DisableCompression = true
	return &http.Client{Transport: t}
}

// defaultClient is NewClient's client for callers that give none (never
// replaced: a caller that wants another client passes it in Options).
var defaultClient = NewClient()

func (o *Options) client() *http.Client {
	if o == nil || o.Client == nil {
		return defaultClient
	}
	return o.Client
}

func (o *Options) progress() func(done, total int64) {
	if o == nil {
		return nil
	}
	return o.Progress
}

// parse checks rawURL's scheme and returns the parsed URL.
func parse(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, sdk.JobErrorf("Invalid url '%s': %v", rawURL, err)
	}
	switch u.Scheme {
	case "http", "https", "file":
		return u, nil
	}
	return nil, sdk.JobErrorf("Unsupported url protocol scheme: %s", u.Scheme)
}

func newRequest(ctx context.Context, method, rawURL string, headers map[string]string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
	if err != nil {
		return nil, err
	}
	// No content encoding: the size and cachedSums must be those of the file itself.
	req.Header.Set("Accept-Encoding", "")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return req, nil
}

// Dest is where Fetch stores spec under destDir: <destDir>/<key>/<basename of the URL
// path>, with the last dot-suffix dropped when the file is decompressed.
func Dest(destDir string, spec Spec) (string, error) {
	if err := checkKey(spec.Key); err != nil {
		return "", err
	}
	u, err := parse(spec.URL)
	if err != nil {
		return "", err
	}
	if strings.HasSuffix(u.Path, "/") || path.Base(u.Path) == "/" || path.Base(u.Path) == "." || path.Base(u.Path) == ".." {
		return "", sdk.JobErrorf("Cannot download a directory for %s", spec.Key)
	}
	name := path.Base(u.Path)
	if decompresses(spec) {
		if i := strings.LastIndexByte(name, '.'); i > 0 {
			name = name[:i]
		}
	}
	return filepath.Join(destDir, spec.Key, name), nil
}

func checkKey(key string) error {
	if key == "" || key == "." || key == ".." || strings.ContainsAny(key, `/\`) {
		return sdk.JobErrorf("Invalid key %q", key)
	}
	return nil
}

func decompresses(spec Spec) bool {
	return spec.Key != "ramdisk" && decompressable[NormalizeCompression(spec.Compression)]
}

func checkSpec(spec Spec) error {
	switch NormalizeCompression(spec.Compression) {
	case "", "gz", "bz2", "xz", "zstd", "zip":
	default:
		return sdk.JobErrorf("Unknown 'compression' format '%s'", spec.Compression)
	}
	switch spec.Archive {
	case "", "tar":
	default:
		return sdk.JobErrorf("Unknown 'archive' format '%s'", spec.Archive)
	}
	return nil
}

// Fetch downloads spec into <destDir>/<key>/ (see Dest) and checks it, with
// opts' client, reporting to opts' Progress. The file appears under its final
// name only when the download, the size and the cachedSums are all good. With
// opts.CacheDir, http(s) URLs go through the artefact cache (see fetchCached).
func Fetch(ctx context.Context, spec Spec, destDir string, opts *Options) (Result, error) {
	dest, err := Dest(destDir, spec)
	if err != nil {
		return Result{}, err
	}
	if err := checkSpec(spec); err != nil {
		return Result{}, err
	}
	if spec.Archive != "tar" {
		if fi, err := os.Stat(dest); err == nil && fi.IsDir() {
			return Result{}, sdk.JobErrorf("Download '%s' is a directory, not a file", dest)
		}
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			return Result{}, sdk.InfraErrorf("Unable to create %s: %w", filepath.Dir(dest), err)
		}
	}

	began := time.Now()
	var res Result
	if c := opts.openCache(spec); c != nil {
		res, err = fetchCached(ctx, c, spec, dest, opts)
		c.Close()
	} else {
		res, err = fetchDirect(ctx, spec, dest, opts)
	}
	if err != nil {
		return Result{}, err
	}
	res.Duration = time.Since(began)
	return res, nil
}

// fetchDirect downloads spec into dest without the cache.
func fetchDirect(ctx context.Context, spec Spec, dest string, opts *Options) (Result, error) {
	body, expected, maxMode, err := open(ctx, opts.client(), spec)
	if err != nil {
		return Result{}, err
	}
	defer body.Close()
	return install(ctx, spec, dest, body, transfer{expected: expected, maxMode: maxMode, progress: opts.progress()})
}

// install copies body through the hashes and the decompressor into dest
// (through a temporary file renamed once every check has passed).
func install(ctx context.Context, spec Spec, dest string, body io.Reader, tr transfer) (Result, error) {
	if spec.Archive == "tar" {
		return installTree(ctx, spec, dest, body, tr)
	}
	src := newSource(ctx, body, tr)
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".part-*")
	if err != nil {
		return Result{}, sdk.InfraErrorf("Unable to open %s: %w", dest, err)
	}
	tmpName := tmp.Name()
	keep := false
	defer func() {
		if !keep {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()

	comp := ""
	if decompresses(spec) {
		comp = NormalizeCompression(spec.Compression)
	}
	var copyErr error
	if f, ok := body.(*os.File); ok && tr.trusted && comp == "" && tr.tee == nil {
		// A cached file the cache vouches for: copied in the kernel
		// (copy_file_range), nothing to hash.
		copyErr = kernelCopy(ctx, tmp, f, src)
	} else {
		copyErr = copyThrough(ctx, comp, src, tmp)
	}
	got, err := finishSource(ctx, spec, src, tr, copyErr)
	if err != nil {
		return Result{}, copyError(spec, err, tmpName, dest, comp)
	}
	if err := tmp.Chmod(0o644 & tr.maxMode); err != nil {
		return Result{}, sdk.InfraErrorf("Unable to write %s: %w", dest, err)
	}
	if err := tmp.Close(); err != nil {
		return Result{}, sdk.InfraErrorf("Unable to write %s: %w", dest, err)
	}
	if err := os.Rename(tmpName, dest); err != nil {
		return Result{}, sdk.InfraErrorf("Unable to write %s: %w", dest, err)
	}
	keep = true
	return Result{Key: spec.Key, Path: dest, Size: src.n, MD5: got.md5, SHA256: got.sha256, SHA512: got.sha512, Decompressed: comp != ""}, nil
}

// copyError words a consumerError of install: the file could not be
// written (Infrastructure), or the body could not be decompressed (Job).
func copyError(spec Spec, err error, tmpName, dest, comp string) error {
	var ce consumerError
	if !errors.As(err, &ce) {
		return err
	}
	var pathErr *fs.PathError
	if errors.As(ce.err, &pathErr) && pathErr.Path == tmpName {
		return sdk.InfraErrorf("Unable to write %s: %w", dest, ce.err)
	}
	return sdk.JobErrorf("Unable to decompress '%s' as %s: %v. Make sure the 'compression' is corresponding to the image file type.", spec.URL, comp, ce.err)
}

func sizeError(got, want int64) error {
	return sdk.InfraErrorf("Download finished (%d bytes) but was not expected size (%d bytes), check your networking.", got, want)
}

// ctxError reports a transfer stopped by its context: Canceled when cancelled,
// Infrastructure (LAVA's timeout type for downloads) when the deadline passed.
func ctxError(ctx context.Context, rawURL string) error {
	err := ctx.Err()
	if errors.Is(err, context.Canceled) {
		return &sdk.Error{Type: sdk.Canceled, Msg: fmt.Sprintf("download of '%s' canceled", rawURL), Err: err}
	}
	return &sdk.Error{Type: sdk.Infrastructure, Msg: fmt.Sprintf("download of '%s' timed out: %v", rawURL, err), Err: err}
}

// open starts the transfer and returns the body, the expected size and the
// widest mode the copy may have (a file's copy is never wider than the file).
func open(ctx context.Context, client *http.Client, spec Spec) (io.ReadCloser, int64, fs.FileMode, error) {
	u, err := parse(spec.URL)
	if err != nil {
		return nil, 0, 0, err
	}
	if u.Scheme == "file" {
		f, err := OpenFileURL(u.Path, spec.AllowedFileDirs)
		var typed *sdk.Error
		if errors.As(err, &typed) {
			return nil, 0, 0, err
		}
		if err != nil {
			return nil, 0, 0, sdk.InfraErrorf("Unable to read from %s: %w", u.Path, err)
		}
		fi, err := f.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			f.Close()
			return nil, 0, 0, sdk.JobErrorf("Image file '%s' does not exist or is not readable", u.Path)
		}
		size := spec.Size
		if size == 0 {
			size = fi.Size()
		}
		return f, size, fi.Mode().Perm(), nil
	}
	resp, err := get(ctx, client, spec, nil)
	if err != nil {
		return nil, 0, 0, err
	}
	size := spec.Size
	if size == 0 {
		size = resp.ContentLength
	}
	return resp.Body, size, 0o644, nil
}

// get sends GET for spec.URL with spec.Headers and extra, and returns the
// answer: 200, or 304 when extra makes the request conditional.
func get(ctx context.Context, client *http.Client, spec Spec, extra map[string]string) (*http.Response, error) {
	req, err := newRequest(ctx, http.MethodGet, spec.URL, spec.Headers)
	if err != nil {
		return nil, sdk.JobErrorf("Invalid url '%s': %v", spec.URL, err)
	}
	for k, v := range extra {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctxError(ctx, spec.URL)
		}
		return nil, sdk.InfraErrorf("Unable to download '%s': %w", spec.URL, err)
	}
	if resp.StatusCode != http.StatusOK && (resp.StatusCode != http.StatusNotModified || len(extra) == 0) {
		resp.Body.Close()
		return nil, sdk.InfraErrorf("Unable to download '%s' (%d)", spec.URL, resp.StatusCode)
	}
	return resp, nil
}
