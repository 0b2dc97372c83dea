// Package cache is the dispatcher's artefact cache: downloaded files stored by
// content (objects/<sha256>), indexed by URL (entries/<sha256 of the URL>.json)
// with the validators the server gave (ETag, Last-Modified, size) and the sums
// of the bytes (md5, sha256, sha512), so a later job can revalidate with a
// conditional request instead of downloading again.
//
// One directory is shared by every job and sub-job of a dispatcher, in one
// process or several:
//
//   - every write goes to a fresh file under tmp/ (created O_EXCL) and is
//     renamed into place, so no reader ever sees a torn object or entry;
//   - a per-URL lock (flock on locks/<sha256 of the URL>) is held while a URL
//     is looked up, revalidated and downloaded, so concurrent fetches of one
//     URL download it once;
//   - a reader holds a shared lock on the object it copies from (OpenObject);
//     eviction takes the object's lock without waiting and keeps what it
//     cannot lock, so an entry in use is never evicted;
//   - the directory is reached through an os.Root: a symbolic link planted in
//     it never leads a read or a write outside of it, and writes never follow
//     one (temporary files are created exclusively, then renamed over the name).
//
// The cache is bounded: Prune removes the least recently used objects until
// the total size is under a bound. Package download uses it; plugins reach it
// through sdk.Dispatcher.CacheDir.
package cache

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"time"
)

// The sub-directories of a cache directory.
const (
	objectsDir = "objects"
	entriesDir = "entries"
	locksDir   = "locks"
	tmpDir     = "tmp"
)

// DefaultMaxBytes is the size bound when a lab sets none (20 GiB).
const DefaultMaxBytes int64 = 20 << 30

// Cache is one opened cache directory. Several Caches (in one process or in
// several) may share a directory. A Cache is safe for concurrent use.
type Cache struct {
	dir      string
	root     *os.Root
	maxBytes int64
	now      func() time.Time
}

// Entry is what the cache knows about one URL.
type Entry struct {
	URL string `json:"url"`
	// SHA256 names the object (objects/<SHA256>); MD5 and SHA512 are the
	// other sums of the same bytes.
	SHA256 string `json:"sha256"`
	MD5    string `json:"md5,omitempty"`
	SHA512 string `json:"sha512,omitempty"`
	Size   int64  `json:"size"`
	// ETag and LastModified are the server's validators ("" when it gave none).
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// Verified is the object's file status when its bytes were hashed (nil:
	// never; every hit hashes them again).
	Verified *Stamp    `json:"verified,omitempty"`
	Stored   time.Time `json:"stored"`
	LastUsed time.Time `json:"last_used"`
	Hits     int64     `json:"hits"`
}

// Options are Open's optional settings.
type Options struct {
	// Now is the clock (nil: time.Now); tests pass a fake one.
	Now func() time.Time
}

// Open opens (creating it if needed) the cache directory dir, bounded to
// maxBytes (<= 0: DefaultMaxBytes).
func Open(dir string, maxBytes int64, opts *Options) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("cache: no directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	for _, d := range []string{objectsDir, entriesDir, locksDir, tmpDir} {
		if err := root.Mkdir(d, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			root.Close()
			return nil, fmt.Errorf("cache: %s: %w", dir, err)
		}
		fi, err := root.Lstat(d)
		if err != nil || !fi.IsDir() {
			root.Close()
			return nil, fmt.Errorf("cache: %s/%s is not a directory", dir, d)
		}
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	c := &Cache{dir: dir, root: root, maxBytes: maxBytes, now: time.Now}
	if opts != nil && opts.Now != nil {
		c.now = opts.Now
	}
	return c, nil
}

// Dir is the cache's directory.
func (c *Cache) Dir() string { return c.dir }

// MaxBytes is the cache's size bound.
func (c *Cache) MaxBytes() int64 { return c.maxBytes }

// Close releases the directory.
func (c *Cache) Close() error { return c.root.Close() }

// urlKey names a URL's entry and lock files.
func urlKey(url string) string {
	s := sha256.Sum256([]byte(url))
	return hex.EncodeToString(s[:])
}

// validSum reports whether s is a lowercase hex sha256 (an object name).
func validSum(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

func objectName(sum string) string { return path.Join(objectsDir, sum) }

func entryName(url string) string { return path.Join(entriesDir, urlKey(url)+".json") }

// Lookup returns url's entry if the cache has one whose object is present.
// An entry that cannot be read is no entry.
func (c *Cache) Lookup(url string) (Entry, bool) {
	e, err := c.readEntry(entryName(url))
	if err != nil || e.URL != url || !validSum(e.SHA256) {
		return Entry{}, false
	}
	fi, err := c.root.Lstat(objectName(e.SHA256))
	if err != nil || !fi.Mode().IsRegular() {
		return Entry{}, false
	}
	return e, true
}

func (c *Cache) readEntry(name string) (Entry, error) {
	fi, err := c.root.Lstat(name)
	if err != nil {
		return Entry{}, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > 1<<20 {
		return Entry{}, fmt.Errorf("cache: %s is not an entry", name)
	}
	data, err := c.root.ReadFile(name)
	if err != nil {
		return Entry{}, err
	}
	var e Entry
	if err := json.Unmarshal(data, &e); err != nil {
		return Entry{}, fmt.Errorf("cache: %s: %w", name, err)
	}
	return e, nil
}

// Record writes e as its URL's entry (replacing the previous one). The
// caller holds the URL's lock (LockURL).
func (c *Cache) Record(e Entry) error {
	if !validSum(e.SHA256) {
		return fmt.Errorf("cache: %q is not a sha256", e.SHA256)
	}
	data, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	return c.writeFile(entryName(e.URL), data, 0o644)
}

// Hit records a use of url's entry e: one more hit, used now.
func (c *Cache) Hit(e Entry) (Entry, error) {
	e.Hits++
	e.LastUsed = c.now()
	return e, c.Record(e)
}

// Drop removes url's entry and its object (a corrupted file): the object
// is removed even when in use (its readers keep their open file).
func (c *Cache) Drop(e Entry) error {
	var errs []error
	if err := c.root.Remove(entryName(e.URL)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, err)
	}
	if validSum(e.SHA256) {
		if err := c.root.Remove(objectName(e.SHA256)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// writeFile writes name through a fresh temporary file renamed over it: a
// link planted at name is replaced, never followed.
func (c *Cache) writeFile(name string, data []byte, mode fs.FileMode) error {
	f, tmp, err := c.createTemp()
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = c.root.Chmod(tmp, mode)
	}
	if err == nil {
		err = c.root.Rename(tmp, name)
	}
	if err != nil {
		c.root.Remove(tmp)
		return fmt.Errorf("cache: writing %s: %w", name, err)
	}
	return nil
}

// createTemp creates a new file under tmp/ (O_EXCL: never an existing file or link).
func (c *Cache) createTemp() (*os.File, string, error) {
	var b [12]byte
	for range 10 {
		if _, err := rand.Read(b[:]); err != nil {
			return nil, "", err
		}
		name := path.Join(tmpDir, hex.EncodeToString(b[:])+".part")
		f, err := c.root.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("cache: %w", err)
		}
		return f, name, nil
	}
	return nil, "", errors.New("cache: no free temporary name")
}

// Listed is an entry of List, with whether its object is in use.
type Listed struct {
	Entry
	InUse bool
}

// List returns every entry whose object is present, most recently used first.
func (c *Cache) List() ([]Listed, error) {
	entries, err := c.entries()
	if err != nil {
		return nil, err
	}
	var out []Listed
	for _, e := range entries {
		fi, err := c.root.Lstat(objectName(e.SHA256))
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		out = append(out, Listed{Entry: e, InUse: c.inUse(e.SHA256)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].LastUsed.After(out[j].LastUsed) })
	return out, nil
}

// entries reads every entry file (those that cannot be read are skipped).
func (c *Cache) entries() ([]Entry, error) {
	names, err := c.readDir(entriesDir)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, n := range names {
		if !strings.HasSuffix(n, ".json") {
			continue
		}
		e, err := c.readEntry(path.Join(entriesDir, n))
		if err != nil || !validSum(e.SHA256) || urlKey(e.URL)+".json" != n {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

func (c *Cache) readDir(dir string) ([]string, error) {
	d, err := c.root.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("cache: %s: %w", dir, err)
	}
	sort.Strings(names)
	return names, nil
}

// Now is the cache's clock.
func (c *Cache) Now() time.Time { return c.now() }
