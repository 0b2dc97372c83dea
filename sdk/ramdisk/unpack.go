// Package ramdisk unpacks and re-packs Linux initramfs images the way LAVA's
// extract-overlay-ramdisk and compress-ramdisk actions do, in Go: a newc cpio reader
// and writer, u-boot legacy headers (mkimage -T ramdisk), multi-part images (an
// uncompressed early-microcode cpio followed by a compressed main one), compression
// detected by magic bytes (gz 1f8b, xz fd377a585a00, bz2 BZh, zstd 28b52ffd).
//
// Extraction is confined to its directory (os.Root): names that are absolute or have
// a ".." component are refused, nothing is ever written through a symbolic link that
// leaves the directory, and symbolic links whose relative target climbs above the
// image's root are refused. Absolute link targets (/proc/mounts, /usr/bin/busybox)
// are kept as they are: they mean the device's root, and lavacore never follows them.
//
// Owners, modes and times come from the cpio headers. Run as root, owners are applied
// to the files (no fakeroot needed); otherwise Info.Meta keeps them. Character and
// block device nodes are never created on the dispatcher: Info.Meta keeps them too.
// Pass Info.Meta to RepackWith so the re-packed image has them all back.
package ramdisk

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"golang.org/x/sys/unix"

	"github.com/lavacore/lavacore/sdk/download"
)

// Options tune UnpackWith.
type Options struct {
	// UBootHeader strips a 64-byte u-boot header (LAVA: `header: u-boot`). A header
	// with the u-boot magic is stripped even without it.
	UBootHeader bool
}

// Part is one concatenated archive of the image.
type Part struct {
	Offset      int64  // in the file, after any u-boot header
	Compression string // "", gz, xz, bz2, zstd
	Entries     int
}

// Info describes an unpacked image.
type Info struct {
	UBoot       *UBootHeader // the stripped header, nil if there was none
	Parts       []Part
	Compression string // of the last (main) part
	Entries     int
	// Meta is the header of every entry by cleaned name ("." for the root), the
	// record RepackWith uses for what the file system could not keep.
	Meta map[string]Header
	// Skipped lists entries kept in Meta only (device nodes, sockets).
	Skipped []string
}

// canChown is whether extraction applies owners (and Repack trusts them on disk).
var canChown = os.Geteuid() == 0

// Unpack extracts the ramdisk at path into dir (created if needed).
func Unpack(path, dir string) (Info, error) {
	return UnpackWith(context.Background(), path, dir, Options{})
}

// Magic bytes of the compressions LAVA recognises.
var magics = []struct {
	comp  string
	magic []byte
}{
	{"gz", []byte{0x1f, 0x8b}},
	{"xz", []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}},
	{"bz2", []byte("BZh")},
	{"zstd", []byte{0x28, 0xb5, 0x2f, 0xfd}},
}

// DetectCompression names the compression of data by its magic bytes: "cpio" for an
// uncompressed newc archive, "" if unknown.
func DetectCompression(head []byte) string {
	if bytes.HasPrefix(head, []byte(magicNewc)) || bytes.HasPrefix(head, []byte(magicNewcCRC)) {
		return "cpio"
	}
	for _, m := range magics {
		if bytes.HasPrefix(head, m.magic) {
			return m.comp
		}
	}
	return ""
}

// UnpackWith extracts the ramdisk at path into dir. ctx bounds the xz and zstd
// decompressor children.
func UnpackWith(ctx context.Context, path, dir string, o Options) (Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return Info{}, fmt.Errorf("ramdisk: %w", err)
	}
	defer f.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Info{}, fmt.Errorf("ramdisk: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return Info{}, fmt.Errorf("ramdisk: %w", err)
	}
	defer root.Close()
	x := &extractor{ctx: ctx, root: root, meta: map[string]Header{}, links: map[[3]uint32]string{}}
	info := Info{Meta: x.meta}

	cr := &countReader{r: f}
	br := bufio.NewReaderSize(cr, 1<<20)
	head, _ := br.Peek(UBootHeaderLen)
	if o.UBootHeader || isUBoot(head) {
		if len(head) < UBootHeaderLen {
			return info, fmt.Errorf("ramdisk: %s: too short for a u-boot header", path)
		}
		h, err := ParseUBootHeader(head)
		if err != nil && !o.UBootHeader {
			return info, fmt.Errorf("ramdisk: %s: %w", path, err)
		}
		if err == nil {
			info.UBoot = &h
		}
		br.Discard(UBootHeaderLen)
	}
	base := cr.n - int64(br.Buffered())
	offset := func() int64 { return cr.n - int64(br.Buffered()) - base }

	for {
		if err := skipZeros(br); err != nil {
			if err == io.EOF {
				break
			}
			return info, fmt.Errorf("ramdisk: %s: %w", path, err)
		}
		start := offset()
		head, _ := br.Peek(6)
		comp := DetectCompression(head)
		part := Part{Offset: start, Compression: comp}
		switch comp {
		case "cpio":
			part.Compression = ""
			n, err := x.archive(br)
			part.Entries = n
			if err != nil {
				return info, fmt.Errorf("ramdisk: %s: part at offset %d: %w", path, start, err)
			}
		case "gz":
			// One gzip member at a time, so an uncompressed part may follow it.
			zr, err := gzip.NewReader(br)
			if err != nil {
				return info, fmt.Errorf("ramdisk: %s: offset %d: %w", path, start, err)
			}
			zr.Multistream(false)
			n, err := x.archives(bufio.NewReaderSize(zr, 256<<10))
			part.Entries = n
			if err == nil {
				_, err = io.Copy(io.Discard, zr) // up to the member's checksum
			}
			if err != nil {
				return info, fmt.Errorf("ramdisk: %s: gz part at offset %d: %w", path, start, err)
			}
		case "xz", "bz2", "zstd":
			// These run to the end of the file.
			dr, err := download.Decompress(ctx, comp, br)
			if err != nil {
				return info, fmt.Errorf("ramdisk: %s: %w", path, err)
			}
			n, err := x.archives(bufio.NewReaderSize(dr, 256<<10))
			if err == nil {
				_, err = io.Copy(io.Discard, dr)
			}
			dr.Close()
			part.Entries = n
			if err != nil {
				return info, fmt.Errorf("ramdisk: %s: %s part at offset %d: %w", path, comp, start, err)
			}
		default:
			return info, fmt.Errorf("ramdisk: %s: offset %d: unknown data % x: not a cpio archive, nor gz, xz, bz2 or zstd", path, start, head)
		}
		info.Parts = append(info.Parts, part)
		info.Entries += part.Entries
	}
	if len(info.Parts) == 0 {
		return info, fmt.Errorf("ramdisk: %s: no cpio archive in it", path)
	}
	info.Compression = info.Parts[len(info.Parts)-1].Compression
	info.Skipped = x.skipped
	if err := x.finish(); err != nil {
		return info, fmt.Errorf("ramdisk: %s: %w", path, err)
	}
	return info, nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// skipZeros drops the NUL padding between concatenated archives; io.EOF at the end.
func skipZeros(br *bufio.Reader) error {
	for {
		b, err := br.Peek(br.Size())
		if len(b) == 0 {
			if err == nil || err == io.EOF || errors.Is(err, bufio.ErrBufferFull) {
				return io.EOF
			}
			return err
		}
		i := 0
		for i < len(b) && b[i] == 0 {
			i++
		}
		br.Discard(i)
		if i < len(b) {
			return nil
		}
	}
}

// extractor writes entries under root.
type extractor struct {
	ctx     context.Context
	root    *os.Root
	meta    map[string]Header
	links   map[[3]uint32]string // (dev major, dev minor, ino) → first name, for hard links
	dirs    []string             // directories, for modes and times at the end
	skipped []string
	buf     []byte
}

// archives extracts every archive in a decompressed stream.
func (x *extractor) archives(r *bufio.Reader) (int, error) {
	total := 0
	for {
		if err := skipZeros(r); err != nil {
			if err == io.EOF {
				return total, nil
			}
			return total, err
		}
		head, _ := r.Peek(6)
		if DetectCompression(head) != "cpio" {
			return total, fmt.Errorf("unknown data % x after the archive", head)
		}
		n, err := x.archive(r)
		total += n
		if err != nil {
			return total, err
		}
	}
}

// archive extracts one archive, up to its trailer.
func (x *extractor) archive(r io.Reader) (int, error) {
	cr := NewReader(r)
	n := 0
	for {
		if err := x.ctx.Err(); err != nil {
			return n, err
		}
		h, err := cr.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if err := x.entry(h, cr); err != nil {
			return n, err
		}
		n++
	}
}

// cleanName checks an entry name and returns it relative to the root ("." for the root).
func cleanName(name string) (string, error) {
	if strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("entry %q: absolute name refused", name)
	}
	for _, c := range strings.Split(name, "/") {
		if c == ".." {
			return "", fmt.Errorf("entry %q: name with .. refused", name)
		}
	}
	return path.Clean(name), nil
}

// linkEscapes reports whether a relative symlink target, resolved from the link's
// directory, climbs above the image's root.
func linkEscapes(name, target string) bool {
	if strings.HasPrefix(target, "/") {
		return false
	}
	depth := strings.Count(path.Dir(name), "/") + 1
	if path.Dir(name) == "." {
		depth = 0
	}
	for _, c := range strings.Split(target, "/") {
		switch c {
		case "", ".":
		case "..":
			depth--
			if depth < 0 {
				return true
			}
		default:
			depth++
		}
	}
	return false
}

func (x *extractor) entry(h *Header, data io.Reader) error {
	name, err := cleanName(h.Name)
	if err != nil {
		return err
	}
	x.meta[name] = *h
	typ := h.Type()
	if name == "." {
		if typ != TypeDir {
			return fmt.Errorf("entry %q: the root must be a directory", h.Name)
		}
		x.dirs = append(x.dirs, name)
		return x.own(name, h)
	}
	if dir := path.Dir(name); dir != "." {
		if err := x.root.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("entry %q: %w", h.Name, err)
		}
	}
	// Replace what is there, except a directory by a directory.
	if fi, err := x.root.Lstat(name); err == nil {
		if fi.IsDir() && typ == TypeDir {
			x.dirs = append(x.dirs, name)
			return x.own(name, h)
		}
		if err := x.root.Remove(name); err != nil {
			return fmt.Errorf("entry %q: replace existing: %w", h.Name, err)
		}
	}
	switch typ {
	case TypeDir:
		if err := x.root.Mkdir(name, 0o700); err != nil {
			return fmt.Errorf("entry %q: %w", h.Name, err)
		}
		x.dirs = append(x.dirs, name)
		return x.own(name, h)
	case TypeSymlink:
		if linkEscapes(name, h.Linkname) {
			return fmt.Errorf("entry %q: symbolic link to %q leaves the image", h.Name, h.Linkname)
		}
		if err := x.root.Symlink(h.Linkname, name); err != nil {
			return fmt.Errorf("entry %q: %w", h.Name, err)
		}
		if canChown {
			if err := x.root.Lchown(name, int(h.UID), int(h.GID)); err != nil {
				return fmt.Errorf("entry %q: %w", h.Name, err)
			}
		}
		return x.atParent(name, func(fd int, base string) error {
			t := unix.NsecToTimespec(int64(h.Mtime) * 1e9)
			return unix.UtimesNanoAt(fd, base, []unix.Timespec{t, t}, unix.AT_SYMLINK_NOFOLLOW)
		})
	case TypeReg:
		return x.file(name, h, data)
	case TypeChar, TypeBlock, TypeSocket:
		// Device nodes are data for the device, never made on the dispatcher (where
		// a tftp or NFS server could hand them out): Info.Meta keeps them and
		// RepackWith writes them back.
		x.skipped = append(x.skipped, name)
		return nil
	case TypeFifo:
		if err := x.atParent(name, func(fd int, base string) error {
			return unix.Mkfifoat(fd, base, h.Perm()&0o777)
		}); err != nil {
			return fmt.Errorf("entry %q: mkfifo: %w", h.Name, err)
		}
		if err := x.own(name, h); err != nil {
			return err
		}
		return x.root.Chtimes(name, time.Unix(int64(h.Mtime), 0), time.Unix(int64(h.Mtime), 0))
	}
	return fmt.Errorf("entry %q: unknown file type %06o", h.Name, typ)
}

// file writes a regular file; newc hard links share (dev, ino) and the data travels
// with one of them (GNU cpio: the last), so a later link opens the first name's inode.
func (x *extractor) file(name string, h *Header, data io.Reader) error {
	key := [3]uint32{h.DevMajor, h.DevMinor, h.Ino}
	if h.Nlink > 1 {
		if first, ok := x.links[key]; ok {
			if err := x.root.Link(first, name); err != nil {
				return fmt.Errorf("entry %q: hard link to %q: %w", h.Name, first, err)
			}
			if h.Size == 0 {
				return nil
			}
		} else {
			x.links[key] = name
		}
	}
	f, err := x.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("entry %q: %w", h.Name, err)
	}
	if x.buf == nil {
		x.buf = make([]byte, 256<<10)
	}
	_, err = io.CopyBuffer(onlyWriter{f}, io.LimitReader(data, h.Size), x.buf)
	if err == nil {
		err = x.ownFile(f, h)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("entry %q: %w", h.Name, err)
	}
	mt := time.Unix(int64(h.Mtime), 0)
	return x.root.Chtimes(name, mt, mt)
}

type onlyWriter struct{ io.Writer }

// ownFile sets owner then mode (chown clears setuid bits, so the order matters).
func (x *extractor) ownFile(f *os.File, h *Header) error {
	if canChown {
		if err := f.Chown(int(h.UID), int(h.GID)); err != nil {
			return err
		}
	}
	return unix.Fchmod(int(f.Fd()), h.Perm())
}

func (x *extractor) own(name string, h *Header) error {
	if canChown {
		if err := x.root.Lchown(name, int(h.UID), int(h.GID)); err != nil {
			return fmt.Errorf("entry %q: %w", h.Name, err)
		}
	}
	if h.Type() == TypeDir {
		return nil // mode and time at the end, so children can still be written
	}
	return x.atParent(name, func(fd int, base string) error {
		return unix.Fchmodat(fd, base, h.Perm(), 0)
	})
}

// atParent runs fn with a descriptor of name's directory (resolved inside the root).
func (x *extractor) atParent(name string, fn func(fd int, base string) error) error {
	d, err := x.root.Open(path.Dir(name))
	if err != nil {
		return err
	}
	defer d.Close()
	return fn(int(d.Fd()), path.Base(name))
}

// finish applies directory modes and times, deepest first.
func (x *extractor) finish() error {
	for i := len(x.dirs) - 1; i >= 0; i-- {
		name := x.dirs[i]
		h := x.meta[name]
		fi, err := x.root.Lstat(name)
		if err != nil || !fi.IsDir() {
			continue // replaced later in the archive
		}
		if err := x.root.Chmod(name, fs.FileMode(h.Perm()&0o777)|modeBits(h.Perm())); err != nil {
			return err
		}
		mt := time.Unix(int64(h.Mtime), 0)
		if err := x.root.Chtimes(name, mt, mt); err != nil {
			return err
		}
	}
	return nil
}

// modeBits converts setuid/setgid/sticky bits to fs.FileMode bits.
func modeBits(perm uint32) fs.FileMode {
	var m fs.FileMode
	if perm&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if perm&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if perm&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}
