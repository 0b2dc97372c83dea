package download

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/cache"
)

// artefactServer serves one mutable file with an ETag and a Last-Modified,
// answering conditional requests, and counts full bodies and 304s.
type artefactServer struct {
	mu       sync.Mutex
	data     []byte
	etag     string
	lastMod  string
	noETag   bool
	full     atomic.Int64
	notMod   atomic.Int64
	requests atomic.Int64
}

func (s *artefactServer) set(data []byte, version int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data = data
	sum := sha256.Sum256(data)
	s.etag = `"` + hex.EncodeToString(sum[:8]) + `"`
	s.lastMod = fmt.Sprintf("Mon, 0%d Jan 2024 10:00:00 GMT", version)
}

func (s *artefactServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	s.mu.Lock()
	data, etag, lastMod := s.data, s.etag, s.lastMod
	s.mu.Unlock()
	if !s.noETag {
		w.Header().Set("ETag", etag)
	}
	w.Header().Set("Last-Modified", lastMod)
	inm, ims := r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since")
	if (inm != "" && !s.noETag && inm == etag) || (inm == "" && ims != "" && ims == lastMod) {
		s.notMod.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodGet {
		s.full.Add(1)
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(data)))
	w.Write(data)
}

func newArtefactServer(t testing.TB, data []byte) (*artefactServer, string) {
	s := &artefactServer{}
	s.set(data, 1)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL + "/images/rootfs.ext4"
}

type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) add(s string) { l.mu.Lock(); l.lines = append(l.lines, s); l.mu.Unlock() }
func (l *logLines) has(prefix string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.lines {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func cachedFetch(t testing.TB, cacheDir, rawURL string, spec Spec, log *logLines) (Result, error) {
	spec.Key, spec.URL = "rootfs", rawURL
	opts := &Options{CacheDir: cacheDir, CacheMaxBytes: 1 << 30}
	if log != nil {
		opts.Log = log.add
	}
	return Fetch(context.Background(), spec, t.TempDir(), opts)
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func urlKeyOf(u string) string { return sha256Hex([]byte(u)) }

func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFetchCached_SecondRunDownloadsNothing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		noETag bool // revalidated by Last-Modified only
	}{{"etag", false}, {"last-modified only", true}} {
		t.Run(tc.name, func(t *testing.T) {
			data := payload(300 << 10)
			srv, u := newArtefactServer(t, data)
			srv.noETag = tc.noETag
			dir := t.TempDir()
			first, err := cachedFetch(t, dir, u, Spec{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var log logLines
			second, err := cachedFetch(t, dir, u, Spec{SHA256: sha256Hex(data)}, &log)
			if err != nil {
				t.Fatal(err)
			}
			if got := srv.full.Load(); got != 1 {
				t.Errorf("full downloads = %d, want 1 (the second run must only revalidate)", got)
			}
			if got := srv.notMod.Load(); got != 1 {
				t.Errorf("304 answers = %d, want 1", got)
			}
			if !bytes.Equal(mustRead(t, second.Path), data) || second.SHA256 != first.SHA256 || second.MD5 != first.MD5 || second.SHA512 != first.SHA512 {
				t.Errorf("cached result differs: %+v vs %+v", second, first)
			}
			if !log.has("cache hit: " + u + " (sha256 " + sha256Hex(data)) {
				t.Errorf("no cache hit line in %q", log.lines)
			}
		})
	}
}

func TestFetchCached_ChangedOnServerIsFetchedAgain(t *testing.T) {
	for _, tc := range []struct {
		name   string
		noETag bool
		next   []byte
	}{
		{"new etag, same size", false, payload(64 << 10)[1:]},
		{"new last-modified, no etag", true, append(payload(64<<10), 'x')},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := append([]byte("v1"), payload(64 << 10)[2:]...)
			srv, u := newArtefactServer(t, old)
			srv.noETag = tc.noETag
			dir := t.TempDir()
			if _, err := cachedFetch(t, dir, u, Spec{}, nil); err != nil {
				t.Fatal(err)
			}
			srv.set(tc.next, 2)
			var log logLines
			res, err := cachedFetch(t, dir, u, Spec{}, &log)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(mustRead(t, res.Path), tc.next) {
				t.Fatal("the job got the old file")
			}
			if got := srv.full.Load(); got != 2 {
				t.Errorf("full downloads = %d, want 2", got)
			}
			if !log.has("cache: " + u + " changed on the server") {
				t.Errorf("no changed line in %q", log.lines)
			}
			// The new file is what is cached now.
			if res, err = cachedFetch(t, dir, u, Spec{}, nil); err != nil || !bytes.Equal(mustRead(t, res.Path), tc.next) || srv.full.Load() != 2 {
				t.Errorf("third fetch: %v, full downloads %d", err, srv.full.Load())
			}
		})
	}
}

func TestFetchCached_CorruptedEntryIsDroppedAndFetchedAgain(t *testing.T) {
	for _, tc := range []struct {
		name        string
		compression string
		corrupt     func([]byte) []byte
	}{
		{"byte flipped", "", func(b []byte) []byte { b[len(b)/2] ^= 0xff; return b }},
		{"truncated", "", func(b []byte) []byte { return b[:len(b)/2] }},
		{"gzip byte flipped (decompressor fails first)", "gz", func(b []byte) []byte { b[len(b)/3] ^= 0xff; return b }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := payload(200 << 10)
			served := data
			if tc.compression == "gz" {
				served = gz(t, data)
			}
			srv, u := newArtefactServer(t, served)
			dir := t.TempDir()
			if _, err := cachedFetch(t, dir, u, Spec{Compression: tc.compression}, nil); err != nil {
				t.Fatal(err)
			}
			obj := filepath.Join(dir, "objects", sha256Hex(served))
			b := tc.corrupt(mustRead(t, obj))
			os.Chmod(obj, 0o644)
			if err := os.WriteFile(obj, b, 0o644); err != nil {
				t.Fatal(err)
			}
			var log logLines
			res, err := cachedFetch(t, dir, u, Spec{Compression: tc.compression}, &log)
			if err != nil {
				t.Fatalf("fetch after corruption: %v (log %q)", err, log.lines)
			}
			if !bytes.Equal(mustRead(t, res.Path), data) {
				t.Fatal("the job got the corrupted file")
			}
			if got := srv.full.Load(); got != 2 {
				t.Errorf("full downloads = %d, want 2", got)
			}
			if !bytes.Equal(mustRead(t, obj), served) {
				t.Error("the corrupted entry was not replaced")
			}
			if !log.has("cache: " + u + ": the cached file") {
				t.Errorf("no corruption line in %q", log.lines)
			}
		})
	}
}

func TestFetchCached_JobChecksumMismatchIsJobErrorAndCachesNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec Spec
		algo string
	}{
		{"sha256", Spec{SHA256: strings.Repeat("ab", 32)}, "sha256"},
		{"md5", Spec{MD5: strings.Repeat("ab", 16)}, "md5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, u := newArtefactServer(t, payload(50<<10))
			dir := t.TempDir()
			_, err := cachedFetch(t, dir, u, tc.spec, nil)
			var se *sdk.Error
			// LAVA's sentence, then the artefact and both sums.
			want := fmt.Sprintf("%s for '%s' does not match. (artefact rootfs: expected %s, got ", tc.algo, u, strings.ToLower(tc.spec.SHA256+tc.spec.MD5))
			if !errors.As(err, &se) || se.Type != sdk.Job || !strings.HasPrefix(se.Msg, want) {
				t.Fatalf("err = %v, want the Job error %q…", err, want)
			}
			for _, sub := range []string{"objects", "entries", "tmp"} {
				if names, _ := os.ReadDir(filepath.Join(dir, sub)); len(names) != 0 {
					t.Errorf("%s/ holds %d file(s) after a failed checksum", sub, len(names))
				}
			}
			// A right job afterwards downloads (nothing wrong was kept).
			if _, err := cachedFetch(t, dir, u, Spec{}, nil); err != nil || srv.full.Load() != 2 {
				t.Errorf("next fetch: %v, full downloads %d, want 2", err, srv.full.Load())
			}
		})
	}
}

func TestFetchCached_ConcurrentJobsDownloadOnceNoTornFile(t *testing.T) {
	data := payload(2 << 20)
	srv, u := newArtefactServer(t, data)
	dir := t.TempDir()
	const n = 8
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, n)
	paths := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			// Each fetch opens its own Cache on the shared directory.
			res, err := cachedFetch(t, dir, u, Spec{SHA256: sha256Hex(data)}, nil)
			errs[i], paths[i] = err, res.Path
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("job %d: %v", i, errs[i])
		}
		if !bytes.Equal(mustRead(t, paths[i]), data) {
			t.Fatalf("job %d got a torn file", i)
		}
	}
	if got := srv.full.Load(); got != 1 {
		t.Errorf("full downloads = %d, want 1 for %d concurrent jobs", got, n)
	}
	c, err := cache.Open(dir, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	list, _ := c.List()
	if len(list) != 1 || list[0].Hits != n-1 {
		t.Errorf("list = %+v, want one entry with %d hits", list, n-1)
	}
}

func TestFetchCached_PlantedSymlinkInCacheDirIsNotWrittenThrough(t *testing.T) {
	data := payload(20 << 10)
	for _, tc := range []struct {
		name  string
		plant func(u string) string // the cache-relative name to replace by a link
	}{
		{"object", func(string) string { return filepath.Join("objects", sha256Hex(data)) }},
		{"entry", func(u string) string { return filepath.Join("entries", urlKeyOf(u)+".json") }},
		{"url lock", func(u string) string { return filepath.Join("locks", urlKeyOf(u)) }},
		{"objects dir", func(string) string { return "objects" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, u := newArtefactServer(t, data)
			dir := t.TempDir()
			for _, d := range []string{"objects", "entries", "locks", "tmp"} {
				os.MkdirAll(filepath.Join(dir, d), 0o755)
			}
			outside := t.TempDir()
			victim := filepath.Join(outside, "victim")
			if err := os.WriteFile(victim, []byte("precious"), 0o644); err != nil {
				t.Fatal(err)
			}
			name := filepath.Join(dir, tc.plant(u))
			target := victim
			if tc.name == "objects dir" {
				target = outside
			}
			os.RemoveAll(name)
			if err := os.Symlink(target, name); err != nil {
				t.Fatal(err)
			}
			res, err := cachedFetch(t, dir, u, Spec{SHA256: sha256Hex(data)}, nil)
			if err != nil {
				t.Fatalf("fetch: %v", err)
			}
			if !bytes.Equal(mustRead(t, res.Path), data) {
				t.Fatal("wrong file")
			}
			if got := string(mustRead(t, victim)); got != "precious" {
				t.Fatalf("the file outside the cache was written through a planted link: %q", got)
			}
			if names, _ := os.ReadDir(outside); len(names) != 1 {
				t.Fatalf("the cache wrote %d file(s) outside its directory", len(names)-1)
			}
		})
	}
}

func TestFetchCached_FileURLIsNotCached(t *testing.T) {
	src := t.TempDir()
	file := filepath.Join(src, "kernel")
	if err := os.WriteFile(file, payload(1000), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := Fetch(context.Background(), Spec{Key: "kernel", URL: "file://" + file, AllowedFileDirs: []string{src}},
		t.TempDir(), &Options{CacheDir: dir}); err != nil {
		t.Fatal(err)
	}
	if names, _ := os.ReadDir(dir); len(names) != 0 {
		t.Errorf("the cache directory was used for a file:// URL: %v", names)
	}
	// allowed_file_dirs still rules.
	_, err := Fetch(context.Background(), Spec{Key: "kernel", URL: "file://" + file}, t.TempDir(), &Options{CacheDir: dir})
	if err == nil || !strings.Contains(err.Error(), AllowedFileDirsSetting) {
		t.Errorf("file:// outside allowed_file_dirs: %v", err)
	}
}

func TestFetchCached_SizeBoundEvictsLeastRecentlyUsed(t *testing.T) {
	dir := t.TempDir()
	var urls []string
	for i := range 3 {
		_, u := newArtefactServer(t, payload(100<<10+i))
		urls = append(urls, u)
	}
	opts := func() *Options { return &Options{CacheDir: dir, CacheMaxBytes: 250 << 10} }
	for _, u := range urls {
		if _, err := Fetch(context.Background(), Spec{Key: "k", URL: u}, t.TempDir(), opts()); err != nil {
			t.Fatal(err)
		}
	}
	c, _ := cache.Open(dir, 0, nil)
	defer c.Close()
	if _, ok := c.Lookup(urls[0]); ok {
		t.Error("the least recently used file is still cached over the bound")
	}
	for _, u := range urls[1:] {
		if _, ok := c.Lookup(u); !ok {
			t.Errorf("%s was evicted", u)
		}
	}
}
