package archive

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// maxParents bounds the directories an extractor keeps open (archives list
// their members directory by directory, so a few suffice).
const maxParents = 256

// parentDir is an open directory of the tree, reached through the os.Root
// once, that the members inside it are created in with *at system calls
// (never following a link in their own name): a member costs a few system
// calls instead of a walk from the root for every step. A directory is
// reached exactly as os.Root reaches a member's parent (links inside the
// tree followed, none leaving it), after the same resolve check as before.
type parentDir struct {
	f  *os.File
	fd int
}

// parent returns the open directory dir (a cleaned name relative to the
// root, "." for the root), checking and creating it the first time.
func (x *extractor) parent(dir string) (*parentDir, error) {
	if p, ok := x.parents[dir]; ok {
		return p, nil
	}
	f, err := x.openBelow(dir)
	if f == nil && err == nil {
		f, err = x.openDir(dir)
	}
	if err != nil {
		return nil, err
	}
	if x.parents == nil || len(x.parents) >= maxParents {
		x.closeParents()
		x.parents = map[string]*parentDir{}
	}
	p := &parentDir{f: f, fd: int(f.Fd())}
	x.parents[dir] = p
	return p, nil
}

// openDir reaches dir from the root: the resolve check, MkdirAll and Open
// of the os.Root.
func (x *extractor) openDir(dir string) (*os.File, error) {
	if dir != "." {
		if _, lerr := resolve(x.root, dir, true); lerr != nil {
			return nil, refused("%s", lerr.Error())
		}
		if err := x.root.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	f, err := x.root.Open(dir)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s: %w", dir, syscall.ENOTDIR)
	}
	return f, nil
}

// openBelow reaches dir from its open parent when dir's last component is
// a directory or nothing yet (made then): what openDir does, without the
// walk from the root. It returns nil, nil when it cannot (no open parent, a
// link in the way): openDir decides then.
func (x *extractor) openBelow(dir string) (*os.File, error) {
	if dir == "." {
		return nil, nil
	}
	up, base := split(dir)
	p, ok := x.parents[up]
	if !ok {
		return nil, nil
	}
	fi, err := p.lstat(base)
	switch {
	case err == nil && fi.IsDir():
	case err != nil && errors.Is(err, fs.ErrNotExist):
		if err := p.mkdir(base); err != nil {
			return nil, err
		}
	default:
		return nil, nil
	}
	fd, err := unix.Openat(p.fd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	return os.NewFile(uintptr(fd), dir), nil
}

// closeParents forgets every open directory: after anything in the tree was
// removed or replaced, a name may lead elsewhere than the directory opened.
func (x *extractor) closeParents() {
	for _, p := range x.parents {
		p.f.Close()
	}
	x.parents = nil
}

// lstat is fstatat(2) of base in p without following a link.
func (p *parentDir) lstat(base string) (fs.FileInfo, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(p.fd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return nil, &fs.PathError{Op: "lstat", Path: base, Err: err}
	}
	return statInfo{name: base, st: st}, nil
}

// remove removes base (a file, a link or an empty directory) from p.
func (p *parentDir) remove(base string) error {
	err := unix.Unlinkat(p.fd, base, 0)
	if err == unix.EISDIR || err == unix.EPERM {
		if derr := unix.Unlinkat(p.fd, base, unix.AT_REMOVEDIR); derr == nil || derr != unix.ENOTDIR {
			err = derr
		}
	}
	if err != nil {
		return &fs.PathError{Op: "remove", Path: base, Err: err}
	}
	return nil
}

func (p *parentDir) mkdir(base string) error {
	if err := unix.Mkdirat(p.fd, base, 0o755); err != nil {
		return &fs.PathError{Op: "mkdir", Path: base, Err: err}
	}
	return nil
}

func (p *parentDir) symlink(target, base string) error {
	if err := unix.Symlinkat(target, p.fd, base); err != nil {
		return &fs.PathError{Op: "symlink", Path: base, Err: err}
	}
	return nil
}

// create makes base a new empty file (O_EXCL: never an existing name, never
// through a link).
func (p *parentDir) create(base string) (*os.File, error) {
	fd, err := unix.Openat(p.fd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: base, Err: err}
	}
	return os.NewFile(uintptr(fd), base), nil
}

// lchown sets base's owner without following a link.
func (p *parentDir) lchown(base string, uid, gid int) error {
	if err := unix.Fchownat(p.fd, base, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &fs.PathError{Op: "lchown", Path: base, Err: err}
	}
	return nil
}

// statInfo is an fs.FileInfo of a Stat_t.
type statInfo struct {
	name string
	st   unix.Stat_t
}

func (s statInfo) Name() string       { return s.name }
func (s statInfo) Size() int64        { return s.st.Size }
func (s statInfo) ModTime() time.Time { return time.Unix(s.st.Mtim.Unix()) }
func (s statInfo) IsDir() bool        { return s.Mode().IsDir() }
func (s statInfo) Sys() any           { return &s.st }

func (s statInfo) Mode() fs.FileMode {
	m := fs.FileMode(s.st.Mode & 0o777)
	switch s.st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		m |= fs.ModeDir
	case unix.S_IFLNK:
		m |= fs.ModeSymlink
	case unix.S_IFIFO:
		m |= fs.ModeNamedPipe
	case unix.S_IFSOCK:
		m |= fs.ModeSocket
	case unix.S_IFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		m |= fs.ModeDevice
	}
	if s.st.Mode&unix.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	if s.st.Mode&unix.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if s.st.Mode&unix.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	return m
}

// split is a member name's parent and last component.
func split(name string) (string, string) { return path.Dir(name), path.Base(name) }
