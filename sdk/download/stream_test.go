package download

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/cache"
)

// rootfsTarGz is a small root file system archive and its files.
func rootfsTarGz(t testing.TB, files int, size int) ([]byte, map[string][]byte) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	want := map[string][]byte{}
	for i := range files {
		name := filepath.Join("usr/lib", string(rune('a'+i%5)), strings.Repeat("f", 1+i%7)+string(rune('0'+i%10)))
		body := payload(size + i)
		if _, dup := want[name]; dup {
			continue
		}
		want[name] = body
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))})
		tw.Write(body)
	}
	tw.Close()
	return gz(t, buf.Bytes()), want
}

func checkTree(t *testing.T, dir string, want map[string][]byte) {
	t.Helper()
	for name, body := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("%s: %d bytes, %v; want %d bytes", name, len(got), err, len(body))
		}
	}
}

// The cache's guarantees hold for an archive streamed into its directory:
// a changed URL, a corrupted entry and a second run, each with the tree the
// server's file holds and no file besides it.
func TestFetchStream_Cache(t *testing.T) {
	for _, tc := range []struct {
		name string
		// between runs the first and the second fetch
		between   func(t *testing.T, srv *artefactServer, cacheDir string, data []byte) map[string][]byte
		wantFull  int64
		wantLines []string
	}{
		{"second run downloads nothing", nil, 1, []string{"cache hit: "}},
		{"changed on the server is fetched again", func(t *testing.T, srv *artefactServer, _ string, _ []byte) map[string][]byte {
			data, want := rootfsTarGz(t, 20, 3000)
			srv.set(data, 2)
			return want
		}, 2, []string{"cache: ", "cache miss: "}},
		{"corrupted entry is dropped and fetched again", func(t *testing.T, _ *artefactServer, cacheDir string, data []byte) map[string][]byte {
			obj := filepath.Join(cacheDir, "objects", sha256Hex(data))
			b := mustRead(t, obj)
			b[len(b)/2] ^= 0xff
			os.Chmod(obj, 0o644)
			if err := os.WriteFile(obj, b, 0o644); err != nil {
				t.Fatal(err)
			}
			return nil
		}, 2, []string{"cache: ", "cache miss: "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, want := rootfsTarGz(t, 30, 5000)
			srv, u := newArtefactServer(t, data)
			cacheDir, dest := t.TempDir(), t.TempDir()
			extract := filepath.Join(t.TempDir(), "nfs", "extract-nfsrootfs")
			spec := Spec{Key: "nfsrootfs", URL: u, Archive: "tar", ExtractDir: extract}
			var log logLines
			opts := &Options{CacheDir: cacheDir, CacheMaxBytes: 1 << 30, Log: log.add}
			res, err := Fetch(context.Background(), spec, dest, opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Path != "" || res.Dir != extract || res.SHA256 != sha256Hex(data) {
				t.Fatalf("res = %+v", res)
			}
			checkTree(t, extract, want)
			if tc.between != nil {
				if w := tc.between(t, srv, cacheDir, data); w != nil {
					want = w
				}
			}
			os.WriteFile(filepath.Join(extract, "left-over"), nil, 0o644)
			log = logLines{}
			if _, err := Fetch(context.Background(), spec, dest, opts); err != nil {
				t.Fatalf("second fetch: %v (log %q)", err, log.lines)
			}
			checkTree(t, extract, want)
			if _, err := os.Stat(filepath.Join(extract, "left-over")); err == nil {
				t.Error("the directory was not emptied first")
			}
			if got := srv.full.Load(); got != tc.wantFull {
				t.Errorf("full downloads = %d, want %d (log %q)", got, tc.wantFull, log.lines)
			}
			for _, l := range tc.wantLines {
				if !log.has(l) {
					t.Errorf("no %q line in %q", l, log.lines)
				}
			}
			if names, _ := os.ReadDir(dest); len(names) != 0 {
				t.Errorf("files kept besides the tree: %v", names)
			}
		})
	}
}

// A checksum that does not match fails with the artefact and the URL named,
// removes the tree, and (on a cache hit) drops the entry; a cold fetch
// keeps nothing in the cache.
func TestFetchStream_FailingChecksumRemovesTheTree(t *testing.T) {
	for _, warm := range []bool{false, true} {
		t.Run(map[bool]string{false: "cold", true: "cache hit"}[warm], func(t *testing.T) {
			data, _ := rootfsTarGz(t, 10, 2000)
			srv, u := newArtefactServer(t, data)
			cacheDir := t.TempDir()
			extract := filepath.Join(t.TempDir(), "x")
			opts := &Options{CacheDir: cacheDir, CacheMaxBytes: 1 << 30}
			if warm {
				if _, err := Fetch(context.Background(), Spec{Key: "nfsrootfs", URL: u, Archive: "tar", ExtractDir: extract}, t.TempDir(), opts); err != nil {
					t.Fatal(err)
				}
			}
			bad := strings.Repeat("cd", 32)
			_, err := Fetch(context.Background(), Spec{Key: "nfsrootfs", URL: u, Archive: "tar", ExtractDir: extract, SHA256: bad}, t.TempDir(), opts)
			var se *sdk.Error
			if !errors.As(err, &se) || se.Type != sdk.Job || !strings.HasPrefix(se.Msg, "sha256 for '"+u+"' does not match. (artefact nfsrootfs: expected "+bad+", got "+sha256Hex(data)+")") {
				t.Fatalf("err = %v", err)
			}
			if _, err := os.Stat(extract); !os.IsNotExist(err) {
				t.Errorf("the tree is still there: %v", err)
			}
			c, _ := cache.Open(cacheDir, 0, nil)
			defer c.Close()
			if _, ok := c.Lookup(u); ok {
				t.Error("the cache still has the entry")
			}
			if want := map[bool]int64{false: 1, true: 1}[warm]; srv.full.Load() != want {
				t.Errorf("full downloads = %d, want %d", srv.full.Load(), want)
			}
		})
	}
}

// Jobs streaming the same archive at once share one download, and each
// gets the whole tree.
func TestFetchStream_ConcurrentJobsDownloadOnce(t *testing.T) {
	data, want := rootfsTarGz(t, 40, 20000)
	srv, u := newArtefactServer(t, data)
	cacheDir := t.TempDir()
	const n = 4
	dirs := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		dirs[i] = filepath.Join(t.TempDir(), "tree")
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = Fetch(context.Background(), Spec{Key: "nfsrootfs", URL: u, Archive: "tar", ExtractDir: dirs[i], SHA256: sha256Hex(data)},
				t.TempDir(), &Options{CacheDir: cacheDir, CacheMaxBytes: 1 << 30})
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("job %d: %v", i, errs[i])
		}
		checkTree(t, dirs[i], want)
	}
	if got := srv.full.Load(); got != 1 {
		t.Errorf("full downloads = %d, want 1", got)
	}
}

// An entry stored by a download records the object's stamp: later hits
// use the object without hashing it again.
func TestFetchCached_StoredEntryIsVerified(t *testing.T) {
	data := payload(300 << 10)
	_, u := newArtefactServer(t, data)
	dir := t.TempDir()
	if _, err := cachedFetch(t, dir, u, Spec{}, nil); err != nil {
		t.Fatal(err)
	}
	c, _ := cache.Open(dir, 0, nil)
	defer c.Close()
	e, ok := c.Lookup(u)
	if !ok || e.Verified == nil || *e.Verified != *c.ObjectStamp(e.SHA256) {
		t.Fatalf("entry %+v has no stamp of its object", e)
	}
	obj, err := c.OpenObject(e.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	if !obj.Verified(e) {
		t.Error("an untouched object is not verified")
	}
	os.Chmod(filepath.Join(dir, "objects", e.SHA256), 0o444) // changes the ctime
	if obj.Verified(e) {
		t.Error("an object whose status changed is still verified")
	}
	res, err := cachedFetch(t, dir, u, Spec{SHA256: sha256Hex(data)}, nil)
	if err != nil || !bytes.Equal(mustRead(t, res.Path), data) {
		t.Fatalf("hit: %v", err)
	}
}
