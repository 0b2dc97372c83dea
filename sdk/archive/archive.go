// Package archive extracts tar archives that come from untrusted places (a job's
// nfsrootfs, modules and test definition tarballs) into a directory on the
// dispatcher, without ever writing outside it. It is the only tar extractor of
// lavacore: deploy methods, the overlay and downloads all use it.
//
// The archive's directory is the device's file system seen from the dispatcher,
// so the rules are those of core/ramdisk:
//
//   - Every write is resolved inside the directory with an os.Root: member names,
//     parents created on the way, hard link sources, and writes into a tree that
//     already exists on disk (the modules after the nfsrootfs). A symbolic link
//     inside the tree is followed inside the tree (merged /usr: `lib -> usr/lib`,
//     then `lib/modules/…`), one that leaves it never is.
//   - Absolute member names and names with a ".." component are refused.
//   - Symbolic links are kept as they are written. An absolute target
//     (`etc/localtime -> /usr/share/zoneinfo/UTC`) is the device's path: it is
//     kept verbatim and never followed here, so writing through it is refused. A
//     relative target that climbs above the root, directly or through other links
//     of the tree, is refused when the link is extracted, even if nothing is ever
//     written through it; links are checked again once the whole archive is out,
//     so a later member cannot turn an earlier link into an escape.
//   - Hard links must name a member inside the tree, reached without leaving it.
//   - Device nodes, fifos and sockets are never created on the dispatcher (where
//     an NFS or TFTP server, or a local user, could use them): they are skipped,
//     counted in the log and listed in Result.Skipped. The device's kernel (devtmpfs) makes
//     its own /dev.
//   - setuid and setgid bits are dropped (logged, counted in Result.Dropped); the
//     sticky bit is kept on directories (it only restricts: /tmp) and dropped on
//     files.
//   - As GNU tar `--numeric-owner -p`: owners are the numeric ids of the archive,
//     applied when running as root; modes and modification times are kept;
//     directories get theirs once their content is written.
//   - A budget against decompression bombs: Options.MaxBytes of file content and
//     Options.MaxEntries members. Both are checked while streaming, before the
//     data is read, so a small compressed file claiming gigabytes is refused at
//     once.
//
// Compression is detected by magic bytes: gzip (github.com/klauspost/pgzip,
// inflating ahead on its own goroutine), bzip2 (Go's standard library), xz
// (github.com/ulikunitz/xz) and zstd (github.com/klauspost/compress, on
// several goroutines), all in process. Errors name the archive and the member:
//
//	modules.tar.xz: lib/modules/x: refused: symbolic link target "../../.." leaves the extraction root
package archive

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Budget defaults. A full Debian desktop root file system is about 10 GiB in
// about 400,000 files; the largest root file systems LAVA labs boot over NFS are
// a few times that. 64 GiB and 4 million members leave room for those while
// stopping a bomb long before it fills a dispatcher's disk or its inodes
// (a 256 GiB ext4 disk has about 16 million). Callers that know their archive is
// small (modules, test definitions) pass a tighter budget.
const (
	DefaultMaxBytes   int64 = 64 << 30
	DefaultMaxEntries       = 4_000_000
)

// ErrRefused is wrapped by every error about an archive member that lavacore will
// not extract (errors.Is(err, ErrRefused)).
var ErrRefused = errors.New("refused")

// ErrNotArchive is wrapped by the error of a stream whose first member cannot be
// read: it is not a tar archive (plain or compressed) at all.
var ErrNotArchive = errors.New("not a tar archive")

// Options tune an extraction. The zero value is the default.
type Options struct {
	// Name is the archive's name in errors and logs (ExtractFile: the file's base name).
	Name string
	// MaxBytes is the budget of file content, in bytes (0: DefaultMaxBytes).
	MaxBytes int64
	// MaxEntries is the budget of members (0: DefaultMaxEntries).
	MaxEntries int
	// StripComponents drops that many leading components from member names and
	// hard link targets (GNU tar's --strip-components); shorter members are skipped.
	StripComponents int
	// NoOwners leaves files owned by the extracting user even when it is root.
	NoOwners bool
	// Log receives a line about skipped members and one about dropped mode bits.
	Log func(msg string)
}

func (o Options) maxBytes() int64 {
	if o.MaxBytes > 0 {
		return o.MaxBytes
	}
	return DefaultMaxBytes
}

func (o Options) maxEntries() int {
	if o.MaxEntries > 0 {
		return o.MaxEntries
	}
	return DefaultMaxEntries
}

// Result describes a finished extraction.
type Result struct {
	Compression string // "", gz, bz2, xz, zstd
	Entries     int    // members read
	Bytes       int64  // file content written
	// Skipped lists members that were not created: device nodes, fifos, sockets.
	Skipped []string
	// Dropped lists members whose setuid, setgid or (files) sticky bits were dropped.
	Dropped []string
}

// Error is an error about an archive, or one of its members.
type Error struct {
	Archive string
	Member  string // "" when the error is about the archive as a whole
	Err     error
}

func (e *Error) Error() string {
	if e.Member == "" {
		return e.Archive + ": " + e.Err.Error()
	}
	return e.Archive + ": " + e.Member + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// refused is an ErrRefused error with a reason.
func refused(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrRefused, fmt.Sprintf(format, a...))
}

// ExtractFile extracts the tar archive at path (plain or compressed) into dir,
// which is created if needed and may already hold a tree.
func ExtractFile(ctx context.Context, path, dir string, o Options) (Result, error) {
	if o.Name == "" {
		o.Name = filepath.Base(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return Result{}, &Error{Archive: o.Name, Err: err}
	}
	defer f.Close()
	return Extract(ctx, f, dir, o)
}

// Extract extracts the tar stream r (plain or compressed) into dir, which is
// created if needed and may already hold a tree.
func Extract(ctx context.Context, r io.Reader, dir string, o Options) (Result, error) {
	if o.Name == "" {
		o.Name = "archive"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Result{}, &Error{Archive: o.Name, Err: err}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return Result{}, &Error{Archive: o.Name, Err: err}
	}
	defer root.Close()
	br := bufio.NewReaderSize(r, 64<<10)
	comp, in, err := decompress(br)
	if err != nil {
		return Result{Compression: comp}, &Error{Archive: o.Name, Err: err}
	}
	defer in.Close()
	x := newExtractor(ctx, root, o)
	x.res.Compression = comp
	err = x.run(in)
	return x.res, err
}
