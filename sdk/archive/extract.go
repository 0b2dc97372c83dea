package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// extractor writes the members of one archive under root.
type extractor struct {
	ctx     context.Context
	root    *os.Root
	o       Options
	owners  bool
	res     Result
	claimed int64     // data of the members so far, as their headers say
	dirs    []dirMeta // directories written, for their modes and times at the end
	links   []string  // symbolic links written, checked again at the end
	buf     []byte
	parents map[string]*parentDir // open directories members are created in
}

type dirMeta struct {
	name  string
	mode  fs.FileMode
	mtime time.Time
}

func newExtractor(ctx context.Context, root *os.Root, o Options) *extractor {
	return &extractor{ctx: ctx, root: root, o: o, owners: os.Geteuid() == 0 && !o.NoOwners}
}

func (x *extractor) fail(member string, err error) error {
	return &Error{Archive: x.o.Name, Member: member, Err: err}
}

func (x *extractor) log(format string, a ...any) {
	if x.o.Log != nil {
		x.o.Log(x.o.Name + ": " + fmt.Sprintf(format, a...))
	}
}

// run extracts every member of the tar stream, then checks the links again and
// applies the directories' modes and times.
func (x *extractor) run(r io.Reader) error {
	defer x.closeParents()
	tr := tar.NewReader(r)
	for {
		if err := x.ctx.Err(); err != nil {
			return x.fail("", err)
		}
		h, err := tr.Next()
		if x.res.Entries == 0 && err != nil {
			// Not even one member (a valid but empty archive included).
			return x.fail("", fmt.Errorf("%w: %w", ErrNotArchive, err))
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return x.fail("", err)
		}
		x.res.Entries++
		if x.res.Entries > x.o.maxEntries() {
			return x.fail(h.Name, refused("the archive has more than %d members (the extraction's limit against archive bombs)", x.o.maxEntries()))
		}
		// Every member's data counts, written or skipped: skipping inflates it too.
		if h.Size < 0 || x.claimed+h.Size > x.o.maxBytes() {
			return x.fail(h.Name, refused("the archive holds more than %d bytes (the extraction's limit against decompression bombs)", x.o.maxBytes()))
		}
		x.claimed += h.Size
		if err := x.entry(h, tr); err != nil {
			return x.fail(h.Name, err)
		}
	}
	for _, l := range x.links {
		fi, err := x.root.Lstat(l)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			continue // replaced by a later member
		}
		if _, lerr := resolve(x.root, l, true); lerr != nil && !lerr.absolute && !lerr.loop {
			target, _ := x.root.Readlink(l)
			return x.fail(l, refused("symbolic link target %q leaves the extraction root (through %s)", target, lerr.Error()))
		}
	}
	if len(x.res.Skipped) > 0 {
		x.log("%d device nodes, fifos or unknown members skipped: they are not created on the dispatcher (first: %s)", len(x.res.Skipped), x.res.Skipped[0])
	}
	if len(x.res.Dropped) > 0 {
		x.log("setuid/setgid (or file sticky) bits dropped from %d members (first: %s)", len(x.res.Dropped), x.res.Dropped[0])
	}
	return x.finish()
}

// memberName cleans a member name ("./a/b/", "a//b") to a path relative to the
// root ("." for the root itself), after stripping components; "" means skip.
func (x *extractor) memberName(name string) (string, error) {
	if strings.HasPrefix(name, "/") {
		return "", refused("absolute member name")
	}
	parts := strings.Split(name, "/")
	for _, c := range parts {
		if c == ".." {
			return "", refused("member name climbs out of the extraction root with \"..\"")
		}
	}
	if n := x.o.StripComponents; n > 0 {
		var kept []string
		for _, c := range parts {
			if c != "" && c != "." {
				kept = append(kept, c)
			}
		}
		if len(kept) <= n {
			return "", nil
		}
		parts = kept[n:]
	}
	return path.Clean(strings.Join(parts, "/")), nil
}

// mode is the member's permission bits without setuid and setgid, and without
// the sticky bit except on directories.
func (x *extractor) mode(h *tar.Header, name string, dir bool) fs.FileMode {
	m := fs.FileMode(h.Mode) & fs.ModePerm
	if dir && h.Mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	if h.Mode&0o6000 != 0 || (!dir && h.Mode&0o1000 != 0) {
		x.res.Dropped = append(x.res.Dropped, name)
	}
	return m
}

func (x *extractor) entry(h *tar.Header, data io.Reader) error {
	switch h.Typeflag {
	case tar.TypeXHeader, tar.TypeXGlobalHeader, tar.TypeGNULongName, tar.TypeGNULongLink:
		return nil // read by archive/tar itself
	}
	name, err := x.memberName(h.Name)
	if err != nil || name == "" {
		return err
	}
	if name == "." {
		if h.Typeflag != tar.TypeDir {
			return refused("the archive's root is not a directory")
		}
		x.dirs = append(x.dirs, dirMeta{".", x.mode(h, ".", true), h.ModTime})
		return x.own(".", h)
	}
	switch h.Typeflag {
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		x.res.Skipped = append(x.res.Skipped, name)
		return nil
	case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse, tar.TypeCont, tar.TypeDir, tar.TypeSymlink, tar.TypeLink:
	default:
		x.res.Skipped = append(x.res.Skipped, name)
		return nil
	}
	// The parent directory: reached inside the tree, then created (once: it
	// stays open for the members that follow).
	dir, base := split(name)
	pd, err := x.parent(dir)
	if err != nil {
		return err
	}
	existing, err := pd.lstat(base)
	if err == nil {
		if h.Typeflag == tar.TypeDir {
			keep, err := x.keepDir(name, existing)
			if err != nil {
				return err
			}
			if keep && existing.IsDir() {
				x.dirs = append(x.dirs, dirMeta{name, x.mode(h, name, true), h.ModTime})
				return x.ownAt(pd, base, h)
			}
			if keep {
				return nil
			}
		}
		// Replace what is there (never write into it: it may be a hard link).
		// A name may now lead elsewhere: the open directories are forgotten.
		if err := pd.remove(base); err != nil {
			return fmt.Errorf("replace the existing %s: %w", existing.Mode().Type(), err)
		}
		x.closeParents()
		if pd, err = x.parent(dir); err != nil {
			return err
		}
	}
	switch h.Typeflag {
	case tar.TypeDir:
		if err := pd.mkdir(base); err != nil {
			return err
		}
		x.dirs = append(x.dirs, dirMeta{name, x.mode(h, name, true), h.ModTime})
		return x.ownAt(pd, base, h)
	case tar.TypeSymlink:
		return x.symlink(pd, name, h)
	case tar.TypeLink:
		return x.hardlink(name, h)
	}
	return x.file(pd, name, h, data)
}

// keepDir decides what a directory member does with what is already at its name:
// a directory is kept (its mode and time set at the end), and so is a symbolic
// link that leads to a directory inside the tree (GNU tar's
// --keep-directory-symlink: merged /usr). A link that leaves the tree is refused.
func (x *extractor) keepDir(name string, fi fs.FileInfo) (bool, error) {
	if fi.IsDir() {
		return true, nil
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		return false, nil
	}
	to, lerr := resolve(x.root, name, true)
	if lerr != nil {
		return false, refused("%s", lerr.Error())
	}
	if st, err := x.root.Lstat(to); err == nil && st.IsDir() {
		return true, nil
	}
	return false, nil
}

func (x *extractor) symlink(pd *parentDir, name string, h *tar.Header) error {
	if h.Linkname == "" {
		return refused("symbolic link with an empty target")
	}
	if !strings.HasPrefix(h.Linkname, "/") {
		if _, lerr := resolve(x.root, path.Dir(name)+"/"+h.Linkname, true); lerr != nil && !lerr.absolute && !lerr.loop {
			return refused("symbolic link target %q leaves the extraction root", h.Linkname)
		}
	}
	base := path.Base(name)
	if err := pd.symlink(h.Linkname, base); err != nil {
		return err
	}
	x.links = append(x.links, name)
	if err := x.ownAt(pd, base, h); err != nil {
		return err
	}
	t := unix.NsecToTimespec(h.ModTime.UnixNano())
	return unix.UtimesNanoAt(pd.fd, base, []unix.Timespec{t, t}, unix.AT_SYMLINK_NOFOLLOW)
}

func (x *extractor) hardlink(name string, h *tar.Header) error {
	old, err := x.memberName(h.Linkname)
	if err != nil {
		return fmt.Errorf("hard link to %q: %w", h.Linkname, err)
	}
	if old == "" || old == "." {
		return refused("hard link to %q, which is not a member of the tree", h.Linkname)
	}
	if dir := path.Dir(old); dir != "." {
		if _, lerr := resolve(x.root, dir, true); lerr != nil {
			return refused("hard link to %q: %s", h.Linkname, lerr.Error())
		}
	}
	fi, err := x.root.Lstat(old)
	if err != nil {
		return fmt.Errorf("hard link to %q: %w", h.Linkname, err)
	}
	if fi.IsDir() {
		return refused("hard link to the directory %q", h.Linkname)
	}
	// linkat(2) without AT_SYMLINK_FOLLOW: a link to a symbolic link is a link to the link.
	return x.root.Link(old, name)
}

func (x *extractor) file(pd *parentDir, name string, h *tar.Header, data io.Reader) error {
	f, err := pd.create(path.Base(name))
	if err != nil {
		return err
	}
	if x.buf == nil {
		x.buf = make([]byte, 256<<10)
	}
	n, err := io.CopyBuffer(writerOnly{f}, ctxReader{x.ctx, io.LimitReader(data, h.Size)}, x.buf)
	x.res.Bytes += n
	if err == nil && n != h.Size {
		err = io.ErrUnexpectedEOF
	}
	if err == nil && x.owners {
		err = f.Chown(h.Uid, h.Gid) // before the mode: chown may clear mode bits
	}
	if err == nil {
		err = f.Chmod(x.mode(h, name, false))
	}
	if err == nil {
		tv := unix.NsecToTimeval(h.ModTime.UnixNano())
		err = unix.Futimes(int(f.Fd()), []unix.Timeval{tv, tv})
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// own applies a member's owner (when root).
func (x *extractor) own(name string, h *tar.Header) error {
	if !x.owners {
		return nil
	}
	return x.root.Lchown(name, h.Uid, h.Gid)
}

// ownAt applies a member's owner (when root) to base in pd, never through a link.
func (x *extractor) ownAt(pd *parentDir, base string, h *tar.Header) error {
	if !x.owners {
		return nil
	}
	return pd.lchown(base, h.Uid, h.Gid)
}

// finish applies directory modes and times, deepest (latest) first.
func (x *extractor) finish() error {
	for i := len(x.dirs) - 1; i >= 0; i-- {
		d := x.dirs[i]
		if err := x.finishDir(d); err != nil {
			return x.fail(d.name, err)
		}
	}
	return nil
}

// finishDir sets a directory's mode and time, if it is still a directory
// (a later member may have replaced it).
func (x *extractor) finishDir(d dirMeta) error {
	if d.name == "." {
		if fi, err := x.root.Lstat("."); err != nil || !fi.IsDir() {
			return nil
		}
		if err := x.root.Chmod(".", d.mode); err != nil {
			return err
		}
		return x.root.Chtimes(".", d.mtime, d.mtime)
	}
	up, base := split(d.name)
	if _, ok := x.parents[up]; !ok {
		// never made here: only a directory that is still there is opened
		if fi, err := x.root.Stat(up); err != nil || !fi.IsDir() {
			return nil
		}
	}
	pd, err := x.parent(up)
	if err != nil {
		return nil // not there any more
	}
	if fi, err := pd.lstat(base); err != nil || !fi.IsDir() {
		return nil
	}
	mode := uint32(d.mode.Perm())
	if d.mode&fs.ModeSticky != 0 {
		mode |= unix.S_ISVTX
	}
	if err := unix.Fchmodat(pd.fd, base, mode, 0); err != nil {
		return &fs.PathError{Op: "chmod", Path: d.name, Err: err}
	}
	t := unix.NsecToTimespec(d.mtime.UnixNano())
	if err := unix.UtimesNanoAt(pd.fd, base, []unix.Timespec{t, t}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &fs.PathError{Op: "chtimes", Path: d.name, Err: err}
	}
	return nil
}

// writerOnly hides ReadFrom so CopyBuffer uses the extractor's buffer.
type writerOnly struct{ io.Writer }

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
