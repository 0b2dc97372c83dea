package ramdisk

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lavacore/lavacore/sdk/download"
)

// RepackOptions tune RepackWith.
type RepackOptions struct {
	// Compression of the archive: gz (the default, LAVA's usual), xz, bz2, zstd, or
	// none.
	Compression string
	// UBootHeader adds a u-boot legacy header as `mkimage -A <UBootArch> -T ramdisk
	// -C none` does (LAVA: the device's add_header: u-boot, mkimage_arch).
	UBootHeader bool
	UBootArch   string
	// UBootTime is the header's timestamp (zero: now).
	UBootTime time.Time
	// Meta is Info.Meta from Unpack: the device nodes it records are written back
	// (where their directory still exists), and, without root, the owners it records
	// replace those on disk (files it does not know become root's, as under fakeroot).
	Meta map[string]Header
}

// Repack writes the tree at dir as a newc archive to out, compressed with
// compression (gz if ""). It knows only what is on disk: to re-pack an unpacked
// image with its device nodes, use RepackWith with Info.Meta. A u-boot header needs
// the device's architecture: use RepackWith with UBootArch.
func Repack(dir, out string, compression string, ubootHeader bool) error {
	if ubootHeader {
		return errors.New("ramdisk: a u-boot header needs the device's mkimage_arch: use RepackWith(ctx, dir, out, RepackOptions{UBootHeader: true, UBootArch: …})")
	}
	return RepackWith(context.Background(), dir, out, RepackOptions{Compression: compression})
}

// RepackWith writes the tree at dir as a newc archive to out (created through a
// temporary file, renamed into place when complete), like LAVA's compress-ramdisk:
// `find . | cpio -H newc -o`, compressed, optionally with a u-boot header.
// Entries are sorted by name; hard links share an inode number and the last one
// carries the data; the root directory is written as "." only when that is safe
// (see keepRoot).
func RepackWith(ctx context.Context, dir, out string, o RepackOptions) error {
	comp := download.NormalizeCompression(o.Compression)
	if comp == "" {
		comp = "gz"
	}
	var uh *UBootHeader
	if o.UBootHeader {
		arch, err := UBootArch(o.UBootArch)
		if err != nil {
			return fmt.Errorf("ramdisk: %w", err)
		}
		t := o.UBootTime
		if t.IsZero() {
			t = time.Now()
		}
		uh = &UBootHeader{Time: uint32(t.Unix()), OS: ubootOSLinux, Arch: arch, Type: ubootTypeRamdisk, Comp: ubootCompNone}
	}
	return writeOut(out, uh, func(w io.Writer) error {
		return writeTree(ctx, dir, comp, o.Meta, w)
	})
}

// writeOut writes out via a temporary file; with a header, the data's size and CRC
// are taken while writing and the header is filled in at the end.
func writeOut(out string, uh *UBootHeader, body func(w io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-*")
	if err != nil {
		return fmt.Errorf("ramdisk: %w", err)
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	var w io.Writer = bw
	var crc hash.Hash32
	var n countWriter
	if uh != nil {
		if _, err := bw.Write(make([]byte, UBootHeaderLen)); err != nil {
			return fmt.Errorf("ramdisk: %w", err)
		}
		crc = crc32.NewIEEE()
		w = io.MultiWriter(bw, crc, &n)
	}
	if err := body(w); err != nil {
		return fmt.Errorf("ramdisk: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("ramdisk: %w", err)
	}
	if uh != nil {
		if n.n > 0xffffffff {
			return fmt.Errorf("ramdisk: %d bytes is too large for a u-boot image", n.n)
		}
		uh.Size, uh.DataCRC = uint32(n.n), crc.Sum32()
		hb, err := uh.Marshal()
		if err != nil {
			return fmt.Errorf("ramdisk: %w", err)
		}
		if _, err := f.WriteAt(hb, 0); err != nil {
			return fmt.Errorf("ramdisk: %w", err)
		}
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("ramdisk: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("ramdisk: %w", err)
	}
	if err := os.Rename(f.Name(), out); err != nil {
		return fmt.Errorf("ramdisk: %w", err)
	}
	done = true
	return nil
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// treeEntry is a file found in the tree, in the order it will be written.
type treeEntry struct {
	name string // "." or "bin/sh"
	h    Header
	path string // on disk, "" for entries from Meta only
}

// writeTree writes dir as one compressed newc archive.
func writeTree(ctx context.Context, dir, comp string, meta map[string]Header, w io.Writer) error {
	entries, err := scanTree(dir, meta)
	if err != nil {
		return err
	}
	zw, err := download.Compress(ctx, comp, w)
	if err != nil {
		return err
	}
	cw := NewWriter(zw)
	buf := make([]byte, 256<<10)
	for i := range entries {
		if err := ctx.Err(); err != nil {
			zw.Close()
			return err
		}
		e := &entries[i]
		if err := cw.WriteHeader(&e.h); err != nil {
			zw.Close()
			return err
		}
		if e.h.Type() == TypeReg && e.h.Size > 0 {
			if err := copyFile(cw, e.path, e.h.Size, buf); err != nil {
				zw.Close()
				return err
			}
		}
	}
	if err := cw.Close(); err != nil {
		zw.Close()
		return err
	}
	return zw.Close()
}

func copyFile(w io.Writer, path string, size int64, buf []byte) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.CopyBuffer(w, io.LimitReader(f, size), buf)
	if err == nil && n != size {
		err = fmt.Errorf("%s changed size while being archived", path)
	}
	return err
}

// scanTree lists dir like `find .` (sorted), with hard links numbered so that the
// last link carries the data, as GNU cpio writes them.
func scanTree(dir string, meta map[string]Header) ([]treeEntry, error) {
	asRoot := canChown
	var entries []treeEntry
	type inode struct{ dev, ino uint64 }
	groups := map[inode][]int{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("%s: no stat data", p)
		}
		h := Header{Name: rel, Mode: st.Mode, UID: st.Uid, GID: st.Gid, Nlink: 1, Mtime: clampTime(st.Mtim.Sec)}
		switch h.Type() {
		case TypeReg:
			h.Size = st.Size
		case TypeSymlink:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			h.Linkname = target
		case TypeChar, TypeBlock:
			h.RdevMajor, h.RdevMinor = unix.Major(st.Rdev), unix.Minor(st.Rdev)
		case TypeDir:
			h.Nlink = 2
		}
		if !asRoot && meta != nil {
			if m, ok := meta[rel]; ok && m.Type() == h.Type() {
				h.UID, h.GID = m.UID, m.GID
			} else {
				h.UID, h.GID = 0, 0
			}
		}
		if rel == "." && !keepRoot(meta, st.Mode) {
			return nil
		}
		if h.Type() == TypeReg && st.Nlink > 1 {
			k := inode{st.Dev, st.Ino}
			groups[k] = append(groups[k], len(entries))
		}
		entries = append(entries, treeEntry{name: rel, h: h, path: p})
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Device nodes (never created by Unpack) come from Meta.
	if meta != nil {
		have := map[string]bool{".": true}
		for _, e := range entries {
			have[e.name] = true
		}
		var extra []treeEntry
		for name, m := range meta {
			switch m.Type() {
			case TypeChar, TypeBlock, TypeSocket:
				if !have[name] && have[parentOf(name)] {
					m.Name, m.Size, m.Nlink, m.Ino, m.DevMajor, m.DevMinor = name, 0, 1, 0, 0, 0
					extra = append(extra, treeEntry{name: name, h: m})
				}
			}
		}
		entries = append(entries, extra...)
		sort.SliceStable(entries, func(i, j int) bool { return lessPath(entries[i].name, entries[j].name) })
		// Group indexes moved: rebuild them.
		groups = map[inode][]int{}
		for i, e := range entries {
			if e.path == "" || e.h.Type() != TypeReg {
				continue
			}
			if fi, err := os.Lstat(e.path); err == nil {
				if st := fi.Sys().(*syscall.Stat_t); st.Nlink > 1 {
					k := inode{st.Dev, st.Ino}
					groups[k] = append(groups[k], i)
				}
			}
		}
	}
	ino := uint32(0)
	for i := range entries {
		ino++
		entries[i].h.Ino = ino
	}
	for _, idx := range groups {
		if len(idx) < 2 {
			continue
		}
		shared := entries[idx[0]].h.Ino
		size := entries[idx[0]].h.Size
		for k, i := range idx {
			entries[i].h.Ino = shared
			entries[i].h.Nlink = uint32(len(idx))
			if k < len(idx)-1 {
				entries[i].h.Size = 0
			} else {
				entries[i].h.Size = size
			}
		}
	}
	return entries, nil
}

// keepRoot decides whether the tree's root goes into the archive as ".": the kernel
// applies that entry's mode to the device's /, so a root others cannot enter (a
// mkdtemp directory) would lock them out. With Meta, "." is written when the
// original image had it; without, when the directory is world-searchable.
func keepRoot(meta map[string]Header, mode uint32) bool {
	if meta != nil {
		_, ok := meta["."]
		return ok
	}
	return mode&0o005 == 0o005
}

func parentOf(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[:i]
	}
	return "."
}

// lessPath orders like WalkDir: "." first, then lexically by path components.
func lessPath(a, b string) bool {
	if a == "." || b == "." {
		return a == "." && b != "."
	}
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if as[i] != bs[i] {
			return as[i] < bs[i]
		}
	}
	return len(as) < len(bs)
}

func clampTime(s int64) uint32 {
	if s < 0 {
		return 0
	}
	if s > 0xffffffff {
		return 0xffffffff
	}
	return uint32(s)
}

// Append writes to out the ramdisk at ramdiskPath followed by a gzip-compressed newc
// archive of extraDir: the kernel unpacks concatenated archives in order, so the
// extra files land on top of the original ones without unpacking it. A u-boot header
// is kept (same architecture, name and load address) with its size and CRCs
// recomputed; a u-boot image whose data is itself compressed by u-boot is refused.
func Append(ramdiskPath string, extraDir string, out string) error {
	src, err := os.Open(ramdiskPath)
	if err != nil {
		return fmt.Errorf("ramdisk: %w", err)
	}
	defer src.Close()
	head := make([]byte, UBootHeaderLen)
	n, _ := io.ReadFull(src, head)
	var uh *UBootHeader
	if isUBoot(head[:n]) {
		h, err := ParseUBootHeader(head[:n])
		if err != nil {
			return fmt.Errorf("ramdisk: %s: %w", ramdiskPath, err)
		}
		if h.Comp != ubootCompNone {
			return fmt.Errorf("ramdisk: %s: appending to a u-boot image compressed by u-boot (type %d) is not supported", ramdiskPath, h.Comp)
		}
		h.Time = uint32(time.Now().Unix())
		uh = &h
	} else if _, err := src.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("ramdisk: %w", err)
	}
	return writeOut(out, uh, func(w io.Writer) error {
		var body io.Reader = src
		if uh != nil {
			body = io.LimitReader(src, int64(uh.Size))
		}
		m, err := io.Copy(w, body)
		if err != nil {
			return err
		}
		if uh != nil && m != int64(uh.Size) {
			return fmt.Errorf("%s: u-boot header says %d bytes, the file has %d", ramdiskPath, uh.Size, m)
		}
		if p := pad4(m); p > 0 {
			if _, err := w.Write(zeros[:p]); err != nil {
				return err
			}
		}
		return writeTree(context.Background(), extraDir, "gz", nil, w)
	})
}
