package archive

import (
	"fmt"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// maxHops is how many symbolic links one resolution follows (Linux's MAXSYMLINKS).
const maxHops = 40

// linkError is a symbolic link met while resolving a path inside the tree that
// lavacore will not follow.
type linkError struct {
	link, target string // the link (relative to the root) and its target
	absolute     bool   // the target is absolute (else: it climbs above the root)
	loop         bool   // too many links: the kernel would not resolve it either
}

func (e *linkError) Error() string {
	switch {
	case e.loop:
		return fmt.Sprintf("too many levels of symbolic links at %s", e.link)
	case e.absolute:
		return fmt.Sprintf("%s is a symbolic link to the device's absolute path %q, never followed on the dispatcher", e.link, e.target)
	case e.link == "":
		return "the path climbs above the extraction root"
	}
	return fmt.Sprintf("%s is a symbolic link to %q, which leaves the extraction root", e.link, e.target)
}

// resolve follows p (slash-separated, relative to the root) through the tree as
// the device's kernel would, and returns the path it reaches, without symbolic
// links in it. Components that do not exist yet are taken as they are. With
// followLast false a link in the last component is not followed. A link with an
// absolute target, a ".." above the root and a loop stop it with a *linkError.
func resolve(root *os.Root, p string, followLast bool) (string, *linkError) {
	w := walker{root: root}
	defer w.close()
	todo := strings.Split(p, "/")
	var cur []string
	hops := 0
	via, viaTarget := "", ""
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(cur) == 0 {
				return "", &linkError{link: via, target: viaTarget}
			}
			cur = cur[:len(cur)-1]
			w.up(len(cur))
			continue
		}
		cand := path.Join(append(cur, c)...)
		if len(todo) == 0 && !followLast {
			cur = append(cur, c)
			break
		}
		target, isLink := w.link(len(cur), cur, c)
		if !isLink {
			cur = append(cur, c)
			continue
		}
		if hops++; hops > maxHops {
			return "", &linkError{link: cand, target: target, loop: true}
		}
		if strings.HasPrefix(target, "/") {
			return "", &linkError{link: cand, target: target, absolute: true}
		}
		via, viaTarget = cand, target
		todo = append(strings.Split(target, "/"), todo...)
	}
	if len(cur) == 0 {
		return ".", nil
	}
	return path.Join(cur...), nil
}

// walker looks at one path's components from their open parent directories
// (what root.Lstat and root.Readlink of every prefix found, without a walk
// from the root for each). Its path never holds a link: resolve replaces
// every link by its target.
type walker struct {
	root *os.Root
	fds  []int // fds[i]: the directory cur[:i] (-1: none there)
	base *os.File
}

// dir returns the open directory of cur[:depth], opening what is missing.
func (w *walker) dir(depth int, cur []string) int {
	if w.base == nil {
		f, err := w.root.Open(".")
		if err != nil {
			return -1
		}
		w.base = f
		w.fds = []int{int(f.Fd())}
	}
	for len(w.fds) <= depth {
		i := len(w.fds)
		fd := -1
		if up := w.fds[i-1]; up >= 0 {
			if d, err := unix.Openat(up, cur[i-1], unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0); err == nil {
				fd = d
			}
		}
		w.fds = append(w.fds, fd)
	}
	return w.fds[depth]
}

// up forgets the directories below cur[:depth].
func (w *walker) up(depth int) {
	for len(w.fds) > depth+1 {
		if fd := w.fds[len(w.fds)-1]; fd >= 0 {
			unix.Close(fd)
		}
		w.fds = w.fds[:len(w.fds)-1]
	}
}

// link reports whether c in cur[:depth] is a symbolic link, and its target.
func (w *walker) link(depth int, cur []string, c string) (string, bool) {
	w.up(depth)
	fd := w.dir(depth, cur)
	if fd < 0 {
		return "", false
	}
	var st unix.Stat_t
	if err := unix.Fstatat(fd, c, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil || st.Mode&unix.S_IFMT != unix.S_IFLNK {
		return "", false
	}
	buf := make([]byte, 4096)
	n, err := unix.Readlinkat(fd, c, buf)
	if err != nil {
		return "", false
	}
	return string(buf[:n]), true
}

func (w *walker) close() {
	w.up(0)
	if w.base != nil {
		w.base.Close()
	}
}

// Resolve returns the path that rel (a relative, slash-separated path) reaches
// inside dir, following the tree's symbolic links inside the tree, or an error
// when it would leave dir or pass through a link with an absolute target. It is
// for paths a job names inside an extracted tree (an nfsrootfs `prefix:`).
func Resolve(dir, rel string) (string, error) {
	if strings.HasPrefix(rel, "/") {
		return "", refused("%q is an absolute path", rel)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return "", err
	}
	defer root.Close()
	p, lerr := resolve(root, rel, true)
	if lerr != nil {
		return "", fmt.Errorf("%q: %w", rel, refused("%s", lerr.Error()))
	}
	return p, nil
}
