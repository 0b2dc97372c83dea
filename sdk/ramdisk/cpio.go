package ramdisk

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// File type bits of Header.Mode (st_mode).
const (
	TypeMask    = 0o170000
	TypeSocket  = 0o140000
	TypeSymlink = 0o120000
	TypeReg     = 0o100000
	TypeBlock   = 0o060000
	TypeDir     = 0o040000
	TypeChar    = 0o020000
	TypeFifo    = 0o010000
)

// Trailer is the name of the entry that ends a cpio archive.
const Trailer = "TRAILER!!!"

const (
	magicNewc    = "070701"
	magicNewcCRC = "070702"
	headerLen    = 110
	// MaxNameLen bounds an entry name (PATH_MAX), so a broken header cannot make the
	// reader allocate gigabytes.
	MaxNameLen = 4096
	// maxLinkLen bounds a symbolic link target read into Header.Linkname.
	maxLinkLen = 4096
)

// Header is one entry of a "newc" (SVR4, `cpio -H newc`) archive, the format of a
// Linux initramfs. Every field of the on-disk header is kept, so an archive can be
// read and written again without root privileges or fakeroot.
type Header struct {
	Name      string // as stored, e.g. "bin/sh" or "./bin/sh"
	Ino       uint32
	Mode      uint32 // st_mode: type bits | permission bits (setuid, setgid, sticky included)
	UID, GID  uint32
	Nlink     uint32
	Mtime     uint32 // seconds since the epoch
	Size      int64  // data bytes (the target's length for a symbolic link)
	DevMajor  uint32
	DevMinor  uint32
	RdevMajor uint32 // device nodes
	RdevMinor uint32
	Check     uint32 // the byte sum of the data, for "070702" archives
	// Linkname is the target of a symbolic link (its data), filled in by Reader.Next
	// and written by Writer.WriteHeader.
	Linkname string
}

// Type is the file type bits of Mode (TypeReg, TypeDir …).
func (h *Header) Type() uint32 { return h.Mode & TypeMask }

// Perm is the permission bits of Mode, setuid/setgid/sticky included.
func (h *Header) Perm() uint32 { return h.Mode & 0o7777 }

// Reader reads a newc archive entry by entry; it reads exactly up to the end of the
// trailer's name, so another archive or compressed stream can follow in r.
type Reader struct {
	r         io.Reader
	off       int64 // bytes consumed from r
	remaining int64 // data bytes of the current entry not yet read
	pad       int64 // padding after the current entry's data
	crc       bool
	sum, want uint32
	done      bool
	err       error
}

// NewReader reads a newc archive from r.
func NewReader(r io.Reader) *Reader { return &Reader{r: r} }

// Offset is the number of bytes consumed from the underlying reader.
func (r *Reader) Offset() int64 { return r.off }

func (r *Reader) readFull(b []byte) error {
	n, err := io.ReadFull(r.r, b)
	r.off += int64(n)
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return err
}

func (r *Reader) skip(n int64) error {
	if n <= 0 {
		return nil
	}
	m, err := io.CopyN(io.Discard, r.r, n)
	r.off += m
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	return nil
}

// Next advances to the next entry and returns its header; io.EOF after the trailer.
// A missing trailer is an error.
func (r *Reader) Next() (*Header, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.done {
		return nil, io.EOF
	}
	h, err := r.next()
	if err != nil {
		if err != io.EOF {
			r.err = err
		}
		return nil, err
	}
	return h, nil
}

func (r *Reader) next() (*Header, error) {
	if r.remaining > 0 {
		if r.crc {
			// Read through to check the sum.
			if _, err := io.Copy(io.Discard, r); err != nil {
				return nil, err
			}
		} else if err := r.skip(r.remaining); err != nil {
			return nil, r.errf("entry data: %w", err)
		}
		r.remaining = 0
	}
	if err := r.finishEntry(); err != nil {
		return nil, err
	}
	start := r.off
	var hb [headerLen]byte
	if err := r.readFull(hb[:]); err != nil {
		return nil, fmt.Errorf("cpio: offset %d: archive ends without %s: %w", start, Trailer, err)
	}
	magic := string(hb[:6])
	if magic != magicNewc && magic != magicNewcCRC {
		return nil, fmt.Errorf("cpio: offset %d: bad magic %q: not a newc archive (want %s)", start, hb[:6], magicNewc)
	}
	var f [13]uint32
	for i := range f {
		field := hb[6+8*i : 14+8*i]
		v, err := strconv.ParseUint(string(field), 16, 32)
		if err != nil {
			return nil, fmt.Errorf("cpio: offset %d: header field %d is not hex: %q", start, i, field)
		}
		f[i] = uint32(v)
	}
	h := &Header{Ino: f[0], Mode: f[1], UID: f[2], GID: f[3], Nlink: f[4], Mtime: f[5], Size: int64(f[6]),
		DevMajor: f[7], DevMinor: f[8], RdevMajor: f[9], RdevMinor: f[10], Check: f[12]}
	namesize := int64(f[11])
	if namesize < 1 || namesize > MaxNameLen+1 {
		return nil, fmt.Errorf("cpio: offset %d: bad name size %d", start, namesize)
	}
	name := make([]byte, namesize)
	if err := r.readFull(name); err != nil {
		return nil, fmt.Errorf("cpio: offset %d: name: %w", start, err)
	}
	if name[namesize-1] != 0 {
		return nil, fmt.Errorf("cpio: offset %d: name is not NUL-terminated", start)
	}
	name = name[:namesize-1]
	if bytes.IndexByte(name, 0) >= 0 {
		return nil, fmt.Errorf("cpio: offset %d: NUL inside name %q", start, name)
	}
	h.Name = string(name)
	if err := r.skip(pad4(headerLen + namesize)); err != nil {
		return nil, fmt.Errorf("cpio: offset %d: name padding: %w", start, err)
	}
	if h.Name == Trailer {
		r.done = true
		// The trailer's data (normally none) is not part of the next stream.
		if err := r.skip(h.Size + pad4(h.Size)); err != nil {
			return nil, fmt.Errorf("cpio: offset %d: trailer: %w", start, err)
		}
		return nil, io.EOF
	}
	r.remaining = h.Size
	r.pad = pad4(h.Size)
	r.crc = magic == magicNewcCRC && h.Type() == TypeReg
	r.sum, r.want = 0, h.Check
	if h.Type() == TypeSymlink {
		if h.Size > maxLinkLen {
			return nil, fmt.Errorf("cpio: offset %d: %s: symbolic link target of %d bytes", start, h.Name, h.Size)
		}
		target := make([]byte, h.Size)
		if _, err := io.ReadFull(r, target); err != nil {
			return nil, fmt.Errorf("cpio: offset %d: %s: link target: %w", start, h.Name, unexpected(err))
		}
		h.Linkname = string(target)
	}
	return h, nil
}

// finishEntry skips the padding after the data of the entry just read.
func (r *Reader) finishEntry() error {
	if r.pad > 0 {
		if err := r.skip(r.pad); err != nil {
			return r.errf("entry padding: %w", err)
		}
		r.pad = 0
	}
	return nil
}

func (r *Reader) errf(format string, a ...any) error {
	return fmt.Errorf("cpio: offset %d: "+format, append([]any{r.off}, a...)...)
}

// Read reads the data of the current entry.
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.remaining <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.remaining {
		p = p[:r.remaining]
	}
	n, err := r.r.Read(p)
	r.off += int64(n)
	r.remaining -= int64(n)
	if r.crc {
		for _, b := range p[:n] {
			r.sum += uint32(b)
		}
	}
	if r.remaining == 0 {
		if r.crc && r.sum != r.want {
			r.err = r.errf("checksum mismatch (%08x, header says %08x)", r.sum, r.want)
			return n, r.err
		}
		return n, nil
	}
	if err == io.EOF {
		r.err = r.errf("entry data: %w", io.ErrUnexpectedEOF)
		return n, r.err
	}
	if err != nil {
		r.err = err
	}
	return n, err
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func pad4(n int64) int64 { return (4 - n%4) % 4 }

// Writer writes a newc archive ("070701", no checksums), as `cpio -o -H newc` does.
type Writer struct {
	w         io.Writer
	n         int64
	remaining int64
	pad       int64
	closed    bool
}

// NewWriter writes a newc archive to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

var zeros [512]byte

func (w *Writer) write(b []byte) error {
	n, err := w.w.Write(b)
	w.n += int64(n)
	return err
}

// WriteHeader starts an entry. For a symbolic link, Linkname is written as the data
// and Size is set from it; a regular file's data follows with Write.
func (w *Writer) WriteHeader(h *Header) error {
	if w.closed {
		return errors.New("cpio: write after Close")
	}
	if w.remaining > 0 {
		return fmt.Errorf("cpio: previous entry is %d bytes short", w.remaining)
	}
	if err := w.write(zeros[:w.pad]); err != nil {
		return err
	}
	w.pad = 0
	if len(h.Name) > MaxNameLen || h.Name == "" || bytes.IndexByte([]byte(h.Name), 0) >= 0 {
		return fmt.Errorf("cpio: bad entry name %q", h.Name)
	}
	size := h.Size
	if h.Type() == TypeSymlink {
		size = int64(len(h.Linkname))
	} else if h.Type() != TypeReg && size != 0 {
		return fmt.Errorf("cpio: %s: only regular files and links have data", h.Name)
	}
	if size > 0xffffffff {
		return fmt.Errorf("cpio: %s: %d bytes is too large for newc (4 GiB)", h.Name, size)
	}
	nlink := h.Nlink
	if nlink == 0 {
		nlink = 1
	}
	namesize := int64(len(h.Name) + 1)
	var b bytes.Buffer
	b.Grow(headerLen + int(namesize) + 4)
	b.WriteString(magicNewc)
	for _, v := range []uint32{h.Ino, h.Mode, h.UID, h.GID, nlink, h.Mtime, uint32(size),
		h.DevMajor, h.DevMinor, h.RdevMajor, h.RdevMinor, uint32(namesize), 0} {
		fmt.Fprintf(&b, "%08x", v)
	}
	b.WriteString(h.Name)
	b.WriteByte(0)
	b.Write(zeros[:pad4(headerLen+namesize)])
	if err := w.write(b.Bytes()); err != nil {
		return err
	}
	w.remaining = size
	w.pad = pad4(size)
	if h.Type() == TypeSymlink {
		if _, err := w.Write([]byte(h.Linkname)); err != nil {
			return err
		}
	}
	return nil
}

// Write writes data of the current entry, at most its Size.
func (w *Writer) Write(p []byte) (int, error) {
	if int64(len(p)) > w.remaining {
		return 0, fmt.Errorf("cpio: write of %d bytes exceeds the entry's size (%d left)", len(p), w.remaining)
	}
	n, err := w.w.Write(p)
	w.n += int64(n)
	w.remaining -= int64(n)
	return n, err
}

// Close writes the trailer and pads the archive to a multiple of 512 bytes, as GNU
// cpio does. It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	if err := w.WriteHeader(&Header{Name: Trailer, Nlink: 1}); err != nil {
		return err
	}
	w.closed = true
	if p := (512 - w.n%512) % 512; p > 0 {
		return w.write(zeros[:p])
	}
	return nil
}
