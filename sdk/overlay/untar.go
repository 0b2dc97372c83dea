package overlay

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// SafeUntar extracts a tar stream (plain or gzip, told apart by its magic
// bytes) into dst, creating dst if needed. It refuses, with an error naming
// the member, every entry that would land outside dst: names with `..` that
// climb out, absolute names, symbolic links whose target is absolute or climbs
// out, hard links to outside, and writes through a symbolic link already in
// dst that leads out. Owners are kept when running as root; device nodes are
// created when possible and skipped otherwise.
func SafeUntar(r io.Reader, dst string) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var in io.Reader = br
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("untar: %w", err)
		}
		defer gz.Close()
		in = gz
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("untar: %w", err)
	}
	root, err := filepath.EvalSymlinks(dst)
	if err != nil {
		return fmt.Errorf("untar: %w", err)
	}
	root, _ = filepath.Abs(root)
	type dirTime struct {
		p string
		t time.Time
	}
	var dirs []dirTime
	tr := tar.NewReader(in)
	isRoot := os.Geteuid() == 0
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("untar: %w", err)
		}
		rel, err := memberPath(hdr.Name)
		if err != nil {
			return fmt.Errorf("untar: %q: %w", hdr.Name, err)
		}
		if rel == "." {
			continue
		}
		target := filepath.Join(root, filepath.FromSlash(rel))
		if err := within(root, filepath.Dir(target)); err != nil {
			return fmt.Errorf("untar: %q: %w", hdr.Name, err)
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return fmt.Errorf("untar: %q: %w", hdr.Name, err)
		}
		mode := fileMode(hdr.Mode)
		switch hdr.Typeflag {
		case tar.TypeDir:
			if fi, err := os.Lstat(target); err == nil && !fi.IsDir() {
				os.Remove(target)
			}
			if err := os.Mkdir(target, 0o755); err != nil && !os.IsExist(err) {
				return fmt.Errorf("untar: %q: %w", hdr.Name, err)
			}
			os.Chmod(target, mode)
			dirs = append(dirs, dirTime{target, hdr.ModTime})
		case tar.TypeReg, tar.TypeRegA:
			os.Remove(target)
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
			if err != nil {
				return fmt.Errorf("untar: %q: %w", hdr.Name, err)
			}
			if _, err := io.Copy(f, tr); err != nil {
				f.Close()
				return fmt.Errorf("untar: %q: %w", hdr.Name, err)
			}
			if err := f.Close(); err != nil {
				return fmt.Errorf("untar: %q: %w", hdr.Name, err)
			}
			if isRoot {
				os.Lchown(target, hdr.Uid, hdr.Gid)
			}
			os.Chmod(target, mode)
			os.Chtimes(target, hdr.ModTime, hdr.ModTime)
		case tar.TypeSymlink:
			if err := linkInside(rel, hdr.Linkname); err != nil {
				return fmt.Errorf("untar: %q -> %q: %w", hdr.Name, hdr.Linkname, err)
			}
			if realDir, err := filepath.EvalSymlinks(filepath.Dir(target)); err != nil || !under(root, filepath.Join(realDir, hdr.Linkname)) {
				return fmt.Errorf("untar: %q -> %q: symbolic link escapes the destination", hdr.Name, hdr.Linkname)
			}
			os.Remove(target)
			if err := os.Symlink(hdr.Linkname, target); err != nil {
				return fmt.Errorf("untar: %q: %w", hdr.Name, err)
			}
			if isRoot {
				os.Lchown(target, hdr.Uid, hdr.Gid)
			}
		case tar.TypeLink:
			lrel, err := memberPath(hdr.Linkname)
			if err != nil {
				return fmt.Errorf("untar: %q link to %q: %w", hdr.Name, hdr.Linkname, err)
			}
			old := filepath.Join(root, filepath.FromSlash(lrel))
			if err := within(root, old); err != nil {
				return fmt.Errorf("untar: %q link to %q: %w", hdr.Name, hdr.Linkname, err)
			}
			os.Remove(target)
			if err := os.Link(old, target); err != nil {
				return fmt.Errorf("untar: %q: %w", hdr.Name, err)
			}
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			os.Remove(target)
			m := uint32(mode.Perm())
			switch hdr.Typeflag {
			case tar.TypeChar:
				m |= syscall.S_IFCHR
			case tar.TypeBlock:
				m |= syscall.S_IFBLK
			default:
				m |= syscall.S_IFIFO
			}
			dev := (hdr.Devmajor&0xfff)<<8 | hdr.Devminor&0xff | (hdr.Devminor&^0xff)<<12
			if err := syscall.Mknod(target, m, int(dev)); err == nil && isRoot {
				os.Lchown(target, hdr.Uid, hdr.Gid)
			}
		default:
			// pax headers, sparse files of other kinds: nothing to create.
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		os.Chtimes(dirs[i].p, dirs[i].t, dirs[i].t)
	}
	return nil
}

func fileMode(m int64) os.FileMode {
	mode := os.FileMode(m).Perm()
	if m&04000 != 0 {
		mode |= os.ModeSetuid
	}
	if m&02000 != 0 {
		mode |= os.ModeSetgid
	}
	if m&01000 != 0 {
		mode |= os.ModeSticky
	}
	return mode
}

// memberPath cleans a member name ("./a/b", "a/b/") to a relative path, and
// refuses absolute names and names that climb out.
func memberPath(name string) (string, error) {
	if strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("absolute path refused")
	}
	p := path.Clean(name)
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", fmt.Errorf("path escapes the destination")
	}
	return p, nil
}

// linkInside refuses symbolic link targets that are absolute or that climb
// above the archive's root from the link's own directory.
func linkInside(rel, linkname string) error {
	if linkname == "" {
		return fmt.Errorf("empty link target")
	}
	if strings.HasPrefix(linkname, "/") {
		return fmt.Errorf("absolute symbolic link refused")
	}
	p := path.Clean(path.Join(path.Dir(rel), linkname))
	if p == ".." || strings.HasPrefix(p, "../") {
		return fmt.Errorf("symbolic link escapes the destination")
	}
	return nil
}

// within checks that p, once the symbolic links of its deepest existing
// ancestor are resolved, is root or below it.
func within(root, p string) error {
	existing, rest := p, ""
	for {
		if _, err := os.Lstat(existing); err == nil {
			break
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			break
		}
		rest = filepath.Join(filepath.Base(existing), rest)
		existing = parent
	}
	real, err := filepath.EvalSymlinks(existing)
	if err != nil {
		return err
	}
	if !under(root, filepath.Join(real, rest)) {
		return fmt.Errorf("path leads outside the destination through a symbolic link")
	}
	return nil
}

// ApplyToDir unpacks the overlay into root (an NFS root or an extracted
// ramdisk), with the same refusals as SafeUntar.
func (ov *Overlay) ApplyToDir(root string) error {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(ov.WriteTarGz(pw)) }()
	err := SafeUntar(pr, root)
	pr.CloseWithError(err)
	if err != nil {
		return fmt.Errorf("overlay: apply to %s: %w", root, err)
	}
	return nil
}

func under(root, p string) bool {
	return p == root || strings.HasPrefix(p, root+string(filepath.Separator))
}
