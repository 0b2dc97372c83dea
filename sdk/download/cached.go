package download

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/cache"
)

// OptionsFor returns the options a method's download action uses: the
// dispatcher's cache, progress lines at debug level and the cache's lines at
// info level in host's log.
func OptionsFor(d sdk.Dispatcher, host sdk.Host) *Options {
	return &Options{
		Progress:      Progress(func(s string) { _ = host.Log(sdk.LevelDebug, s) }),
		Log:           func(s string) { _ = host.Log(sdk.LevelInfo, s) },
		CacheDir:      d.CacheDir,
		CacheMaxBytes: d.CacheMaxBytes,
	}
}

func (o *Options) logf(format string, a ...any) {
	if o != nil && o.Log != nil {
		o.Log(fmt.Sprintf(format, a...))
	}
}

// openCache opens the cache for spec, or returns nil: no cache configured,
// a file:// URL (local already: never cached), or a cache that cannot be
// opened (logged; the download goes on without it).
func (o *Options) openCache(spec Spec) *cache.Cache {
	if o == nil || o.CacheDir == "" {
		return nil
	}
	if u, err := url.Parse(spec.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil
	}
	c, err := cache.Open(o.CacheDir, o.CacheMaxBytes, nil)
	if err != nil {
		o.logf("%v (downloading without the cache)", err)
		return nil
	}
	return c
}

// urlLock is a URL's cache lock, released once.
type urlLock struct{ release func() }

func (l *urlLock) Release() {
	if l.release != nil {
		l.release()
		l.release = nil
	}
}

// errGone is a cache entry whose object went away before it could be opened.
var errGone = errors.New("cached file is gone")

// fetchCached is Fetch through the cache c. Under the URL's lock (so that
// concurrent fetches of one URL download it once): an entry for the URL is
// revalidated with a conditional GET (If-None-Match / If-Modified-Since);
// 304, or a 200 with the entry's strong ETag and size, is a hit: the cached
// bytes go to dest (or into the extractor) through the same checks as a
// download; an object whose file changed since it was hashed (its Stamp) is
// hashed again on the way, and one that no longer has its sha256 is dropped
// and downloaded again. A job's checksum that the cached file does not have
// fails the job and drops the entry. Anything else is a miss: the body is downloaded into
// dest and, when every check passed, kept in the cache.
func fetchCached(ctx context.Context, c *cache.Cache, spec Spec, dest string, opts *Options) (Result, error) {
	lock, err := lockURL(ctx, c, spec.URL)
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, ctxError(ctx, spec.URL)
		}
		opts.logf("%v (downloading without the cache)", err)
		return fetchDirect(ctx, spec, dest, opts)
	}
	defer lock.Release()

	var fresh *http.Response // a 200 answer to the conditional GET: the new file
	if e, ok := c.Lookup(spec.URL); ok {
		hit, resp, why, err := revalidate(ctx, opts.client(), spec, e)
		if err != nil {
			return Result{}, err
		}
		if hit {
			res, useErr := useEntry(ctx, c, spec, dest, e, lock, opts)
			if errors.Is(useErr, errMismatch) {
				// The job's checksum is not the cached file's: the deploy
				// fails, and the entry goes (the next run downloads again).
				if l, err := lockURL(ctx, c, spec.URL); err == nil {
					if cur, ok := c.Lookup(spec.URL); ok && cur.SHA256 == e.SHA256 {
						_ = c.Drop(cur)
						opts.logf("cache: %s: dropped (sha256 %s), the job's checksum does not match it", spec.URL, e.SHA256)
					}
					l.Release()
				}
				return res, useErr
			}
			if !errors.Is(useErr, errCorrupt) && !errors.Is(useErr, errGone) {
				return res, useErr
			}
			if lock, err = lockURL(ctx, c, spec.URL); err != nil {
				if ctx.Err() != nil {
					return Result{}, ctxError(ctx, spec.URL)
				}
				opts.logf("%v (downloading without the cache)", err)
				return fetchDirect(ctx, spec, dest, opts)
			}
			defer lock.Release()
			if cur, ok := c.Lookup(spec.URL); ok && cur.SHA256 == e.SHA256 && errors.Is(useErr, errCorrupt) {
				_ = c.Drop(cur)
			}
		} else {
			fresh = resp
			opts.logf("cache: %s changed on the server (%s): downloading it again", spec.URL, why)
		}
	}
	return miss(ctx, c, spec, dest, opts, fresh)
}

func lockURL(ctx context.Context, c *cache.Cache, rawURL string) (*urlLock, error) {
	release, err := c.LockURL(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	return &urlLock{release: release}, nil
}

// revalidate asks the server whether e is still url's file. It returns hit,
// or the server's 200 answer (nil when no request was made: the entry has no
// validators) and why the entry is stale.
func revalidate(ctx context.Context, client *http.Client, spec Spec, e cache.Entry) (bool, *http.Response, string, error) {
	if spec.Size > 0 && spec.Size != e.Size {
		return false, nil, fmt.Sprintf("size %d, cached %d", spec.Size, e.Size), nil
	}
	if e.ETag == "" && e.LastModified == "" {
		// Nothing to revalidate with: only the job's own sha256 can vouch for it.
		if spec.SHA256 != "" && strings.EqualFold(strings.TrimSpace(spec.SHA256), e.SHA256) {
			return true, nil, "", nil
		}
		return false, nil, "the server gave no ETag nor Last-Modified", nil
	}
	cond := map[string]string{}
	if e.ETag != "" {
		cond["If-None-Match"] = e.ETag
	}
	if e.LastModified != "" {
		cond["If-Modified-Since"] = e.LastModified
	}
	resp, err := get(ctx, client, spec, cond)
	if err != nil {
		return false, nil, "", err
	}
	if resp.StatusCode == http.StatusNotModified {
		resp.Body.Close()
		return true, nil, "", nil
	}
	etag := resp.Header.Get("ETag")
	if etag != "" && etag == e.ETag && !strings.HasPrefix(etag, "W/") && resp.ContentLength == e.Size {
		// A server that ignores conditional requests but names the same file.
		resp.Body.Close()
		return true, nil, "", nil
	}
	var why []string
	if etag != e.ETag {
		why = append(why, fmt.Sprintf("ETag %s, cached %s", orNone(etag), orNone(e.ETag)))
	}
	if lm := resp.Header.Get("Last-Modified"); lm != e.LastModified {
		why = append(why, fmt.Sprintf("Last-Modified %s, cached %s", orNone(lm), orNone(e.LastModified)))
	}
	if resp.ContentLength >= 0 && resp.ContentLength != e.Size {
		why = append(why, fmt.Sprintf("size %d, cached %d", resp.ContentLength, e.Size))
	}
	if len(why) == 0 {
		why = append(why, "the server sent it again")
	}
	return false, resp, strings.Join(why, "; "), nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// useEntry copies the cached object of e into dest, releasing lock once the
// object is held (in use: never evicted while copied).
func useEntry(ctx context.Context, c *cache.Cache, spec Spec, dest string, e cache.Entry, lock *urlLock, opts *Options) (Result, error) {
	obj, err := c.OpenObject(e.SHA256)
	if err != nil {
		opts.logf("cache: %s: %v: downloading it again", spec.URL, err)
		lock.Release()
		return Result{}, errGone
	}
	defer obj.Close()
	if _, err := c.Hit(e); err != nil {
		opts.logf("cache: %s: %v", spec.URL, err)
	}
	lock.Release()
	// An object unchanged since it was hashed is used as it is: copied
	// in the kernel, or streamed into the extractor, without hashing it again.
	trusted := obj.Verified(e)
	opts.logf("cache hit: %s (sha256 %s, %s)", spec.URL, e.SHA256, cache.FormatSize(e.Size))
	res, err := install(ctx, spec, dest, obj.File, transfer{expected: e.Size, maxMode: 0o644, progress: opts.progress(),
		known: &cachedSums{md5: e.MD5, sha256: e.SHA256, sha512: e.SHA512}, trusted: trusted})
	if errors.Is(err, errCorrupt) {
		opts.logf("cache: %s: the cached file (sha256 %s) fails its checksum: dropped, downloading it again", spec.URL, e.SHA256)
	}
	return res, err
}

// miss downloads spec (fresh is the server's answer already received, or
// nil) into dest, keeping the bytes in the cache when every check passed.
func miss(ctx context.Context, c *cache.Cache, spec Spec, dest string, opts *Options, fresh *http.Response) (Result, error) {
	resp := fresh
	if resp == nil {
		var err error
		if resp, err = get(ctx, opts.client(), spec, nil); err != nil {
			return Result{}, err
		}
	}
	defer resp.Body.Close()
	expected := spec.Size
	if expected == 0 {
		expected = resp.ContentLength
	}
	var w *cache.Writer
	note := ""
	if expected > c.MaxBytes() {
		note = fmt.Sprintf(" (not cached: %s is over the cache's bound of %s)", cache.FormatSize(expected), cache.FormatSize(c.MaxBytes()))
	} else if cw, err := c.Create(); err != nil {
		note = fmt.Sprintf(" (not cached: %v)", err)
	} else {
		w = cw
	}
	tr := transfer{expected: expected, maxMode: 0o644, progress: opts.progress()}
	if w != nil {
		tr.tee = w
	}
	opts.logf("cache miss: %s%s", spec.URL, note)
	res, err := install(ctx, spec, dest, resp.Body, tr)
	if w == nil {
		return res, err
	}
	if err != nil {
		w.Abort() // nothing that failed a check is kept
		return res, err
	}
	if err := w.Commit(res.SHA256, res.Size); err != nil {
		opts.logf("cache: %s not stored: %v", spec.URL, err)
		return res, nil
	}
	now := c.Now()
	e := cache.Entry{URL: spec.URL, SHA256: res.SHA256, MD5: res.MD5, SHA512: res.SHA512, Size: res.Size,
		ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"), Stored: now, LastUsed: now,
		Verified: c.ObjectStamp(res.SHA256)}
	if err := c.Record(e); err != nil {
		opts.logf("cache: %s not stored: %v", spec.URL, err)
		return res, nil
	}
	opts.logf("cache: stored %s (sha256 %s, %s)", spec.URL, res.SHA256, cache.FormatSize(res.Size))
	if p, err := c.Prune(ctx, -1, res.SHA256); err != nil {
		opts.logf("cache: pruning: %v", err)
	} else if len(p.Removed) > 0 {
		opts.logf("cache: evicted %d least recently used file(s) (%s) to stay under %s", len(p.Removed), cache.FormatSize(p.RemovedBytes), cache.FormatSize(c.MaxBytes()))
	}
	return res, nil
}
