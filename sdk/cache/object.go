package cache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
)

// Object is an open cached file, held in use (a shared lock: Prune does not
// evict it) until Close.
type Object struct {
	*os.File
}

// Close releases the object.
func (o *Object) Close() error {
	unlock(o.File)
	return o.File.Close()
}

// OpenObject opens the object sum for reading and holds it in use.
func (c *Cache) OpenObject(sum string) (*Object, error) {
	if !validSum(sum) {
		return nil, fmt.Errorf("cache: %q is not a sha256", sum)
	}
	// A link planted in place of an object is not an object (the Root keeps
	// any link inside the directory; this keeps it from standing for another).
	if fi, err := c.root.Lstat(objectName(sum)); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("cache: object %s is missing or not a regular file", sum)
	}
	f, err := c.root.OpenFile(objectName(sum), os.O_RDONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("cache: object %s is not a regular file", sum)
	}
	if err := lockShared(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cache: locking object %s: %w", sum, err)
	}
	return &Object{f}, nil
}

// inUse reports whether someone holds the object sum open.
func (c *Cache) inUse(sum string) bool {
	f, err := c.root.OpenFile(objectName(sum), os.O_RDONLY, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	ok, err := tryLockExclusive(f)
	if err != nil {
		return false
	}
	if ok {
		unlock(f)
	}
	return !ok
}

// Writer is a new object being written (to a temporary file): Commit names
// it by its sha256, Abort removes it.
type Writer struct {
	c    *Cache
	f    *os.File
	name string
	n    int64
	err  error
}

// Create starts a new object.
func (c *Cache) Create() (*Writer, error) {
	f, name, err := c.createTemp()
	if err != nil {
		return nil, err
	}
	return &Writer{c: c, f: f, name: name}, nil
}

// Write appends p. After the first failure it writes nothing more and
// Commit fails with that error.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.f.Write(p)
	w.n += int64(n)
	if err != nil {
		w.err = err
	}
	return n, err
}

// Err is the first write error, if any.
func (w *Writer) Err() error { return w.err }

// Commit closes the object, checks it holds size bytes and stores it as
// objects/<sum> (read-only), replacing whatever was there (never following
// a link planted there).
func (w *Writer) Commit(sum string, size int64) error {
	if !validSum(sum) {
		w.Abort()
		return fmt.Errorf("cache: %q is not a sha256", sum)
	}
	err := w.err
	if err == nil && w.n != size {
		err = fmt.Errorf("cache: object %s has %d bytes, not %d", sum, w.n, size)
	}
	if err == nil {
		err = w.f.Chmod(0o444)
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = w.c.root.Rename(w.name, objectName(sum))
	}
	if err != nil {
		w.c.root.Remove(w.name)
		return fmt.Errorf("cache: storing %s: %w", sum, err)
	}
	return nil
}

// Abort drops the object.
func (w *Writer) Abort() {
	w.f.Close()
	w.c.root.Remove(w.name)
}

// LockURL takes url's lock (exclusive, shared with every process using the
// directory), waiting at most until ctx ends; the returned function releases it.
func (c *Cache) LockURL(ctx context.Context, url string) (func(), error) {
	return c.lockFile(ctx, path.Join(locksDir, urlKey(url)), "the cache lock of "+url)
}

// lockFile takes the exclusive lock of the lock file name.
func (c *Cache) lockFile(ctx context.Context, name, what string) (func(), error) {
	f, err := c.root.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("cache: lock %s is not a regular file", name)
	}
	if ok, err := tryLockExclusive(f); err != nil || ok {
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("cache: locking %s: %w", name, err)
		}
		return func() { unlock(f); f.Close() }, nil
	}
	// Someone else holds it: wait in a goroutine, give up when ctx ends (the
	// goroutine then releases the lock as soon as it gets it).
	got := make(chan error, 1)
	go func() { got <- lockExclusive(f) }()
	select {
	case err := <-got:
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("cache: locking %s: %w", name, err)
		}
		return func() { unlock(f); f.Close() }, nil
	case <-ctx.Done():
		go func() {
			if <-got == nil {
				unlock(f)
			}
			f.Close()
		}()
		return nil, fmt.Errorf("cache: waiting for %s: %w", what, ctx.Err())
	}
}

// isNotExist is errors.Is(err, fs.ErrNotExist).
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
