package archive

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
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
			continue
		}
		cand := path.Join(append(cur, c)...)
		if len(todo) == 0 && !followLast {
			cur = append(cur, c)
			break
		}
		fi, err := root.Lstat(cand)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			cur = append(cur, c)
			continue
		}
		target, err := root.Readlink(cand)
		if err != nil {
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
