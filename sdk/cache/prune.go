package cache

import (
	"context"
	"fmt"
	"os"
	"path"
	"sort"
	"time"
)

// Pruned is what Prune did.
type Pruned struct {
	Removed      []Entry // one per object removed (with one of its URLs, if any)
	RemovedBytes int64
	Kept         int   // objects kept
	KeptBytes    int64 // their size
	InUse        int   // objects over the bound kept because they are in use
}

type object struct {
	sum      string
	size     int64
	lastUsed time.Time
	entry    Entry // one entry naming it (zero if none)
}

// Prune removes the least recently used objects until the cache holds at
// most maxBytes (0 removes everything that is not in use; < 0 is the cache's
// own bound), never an object in use (held by OpenObject) nor one of keep.
// Entries whose object is gone are removed too. It waits (until ctx ends) for
// any other Prune of the directory.
func (c *Cache) Prune(ctx context.Context, maxBytes int64, keep ...string) (Pruned, error) {
	if maxBytes < 0 {
		maxBytes = c.maxBytes
	}
	release, err := c.lockFile(ctx, path.Join(locksDir, "prune"), "the cache's prune lock")
	if err != nil {
		return Pruned{}, err
	}
	defer release()

	objs, total, err := c.objects()
	if err != nil {
		return Pruned{}, err
	}
	kept := map[string]bool{}
	for _, k := range keep {
		kept[k] = true
	}
	var res Pruned
	// Least recently used first.
	sort.SliceStable(objs, func(i, j int) bool { return objs[i].lastUsed.Before(objs[j].lastUsed) })
	for _, o := range objs {
		if total <= maxBytes {
			break
		}
		if kept[o.sum] {
			continue
		}
		removed, err := c.evict(o.sum)
		if err != nil {
			return res, err
		}
		if !removed {
			res.InUse++
			continue
		}
		total -= o.size
		res.RemovedBytes += o.size
		e := o.entry
		if e.SHA256 == "" {
			e = Entry{SHA256: o.sum, Size: o.size}
		}
		res.Removed = append(res.Removed, e)
	}
	c.dropDangling()
	remaining, total, err := c.objects()
	if err != nil {
		return res, err
	}
	res.Kept, res.KeptBytes = len(remaining), total
	return res, nil
}

// evict removes the object sum unless it is in use.
func (c *Cache) evict(sum string) (bool, error) {
	f, err := c.root.Open(objectName(sum))
	if isNotExist(err) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("cache: %w", err)
	}
	defer f.Close()
	ok, err := tryLockExclusive(f)
	if err != nil {
		return false, fmt.Errorf("cache: locking object %s: %w", sum, err)
	}
	if !ok {
		return false, nil
	}
	defer unlock(f)
	if err := c.root.Remove(objectName(sum)); err != nil && !isNotExist(err) {
		return false, fmt.Errorf("cache: %w", err)
	}
	return true, nil
}

// objects lists the objects with their size and last use (the latest of
// their entries', else the file's modification time) and the total size.
func (c *Cache) objects() ([]object, int64, error) {
	names, err := c.readDir(objectsDir)
	if err != nil {
		return nil, 0, err
	}
	entries, err := c.entries()
	if err != nil {
		return nil, 0, err
	}
	bySum := map[string]Entry{}
	for _, e := range entries {
		if prev, ok := bySum[e.SHA256]; !ok || e.LastUsed.After(prev.LastUsed) {
			bySum[e.SHA256] = e
		}
	}
	var out []object
	var total int64
	for _, n := range names {
		fi, err := c.root.Lstat(path.Join(objectsDir, n))
		if err != nil || !fi.Mode().IsRegular() || !validSum(n) {
			continue
		}
		o := object{sum: n, size: fi.Size(), lastUsed: fi.ModTime()}
		if e, ok := bySum[n]; ok {
			o.entry, o.lastUsed = e, e.LastUsed
		}
		out = append(out, o)
		total += o.size
	}
	return out, total, nil
}

// dropDangling removes the entries whose object is gone, each under its
// URL's lock (skipped when busy: a fetch is replacing it).
func (c *Cache) dropDangling() {
	entries, err := c.entries()
	if err != nil {
		return
	}
	for _, e := range entries {
		if _, ok := c.Lookup(e.URL); ok {
			continue
		}
		f, err := c.root.OpenFile(path.Join(locksDir, urlKey(e.URL)), os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			continue
		}
		if ok, _ := tryLockExclusive(f); ok {
			if _, still := c.Lookup(e.URL); !still {
				c.root.Remove(entryName(e.URL))
			}
			unlock(f)
		}
		f.Close()
	}
}
