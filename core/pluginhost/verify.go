package pluginhost

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
)

// A plugin binary is opened once, checked against its checksum through that
// open file, and executed from it (/proc/self/fd/N in the child): what runs
// is what was hashed, even if the file at the path is replaced (renamed over)
// between the check and the exec — go-plugin's SecureConfig hashes a path,
// then executes the path again.
//
// A plugin started again after a crash is not hashed again when its file is
// the one already checked: same device, inode, size, modification and
// change time (the kernel sets the change time on every write and no
// unprivileged process can set it back), and the check began at least
// ctimeMargin after that change time, so that a write in the same tick of a
// coarse file-system clock cannot keep it.

// execFD is the binary's descriptor in the plugin: after the TLS pipe (3).
const execFD = 4

// ctimeMargin: a check that began this long after the file's last change
// sees every later change as a new change time.
const ctimeMargin = time.Second

// fileID is what identifies a file's content without reading it.
type fileID struct {
	dev, ino     uint64
	size         int64
	mtime, ctime syscall.Timespec
}

func idOf(st *syscall.Stat_t) fileID {
	return fileID{dev: uint64(st.Dev), ino: st.Ino, size: st.Size, mtime: st.Mtim, ctime: st.Ctim}
}

// verified is a file whose content matched its checksum.
type verified struct {
	id      fileID
	trusted bool // the check began ctimeMargin after the change time
}

// openVerified opens b's binary and checks its content against sum, unless
// it is the file last verified (prev). The caller executes the returned
// file and closes it.
func openVerified(b Binary, sum []byte, prev *verified) (*os.File, *verified, error) {
	f, err := os.Open(b.Path)
	if err != nil {
		return nil, nil, err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
		}
	}()
	before, err := fstat(f)
	if err != nil {
		return nil, nil, err
	}
	if before.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return nil, nil, fmt.Errorf("%s is not a regular file", b.Path)
	}
	id := idOf(before)
	if prev != nil && prev.trusted && prev.id == id {
		ok = true
		return f, prev, nil
	}
	began := time.Now()
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, before.Size)); err != nil {
		return nil, nil, fmt.Errorf("checksum %s: %w", b.Path, err)
	}
	if subtle.ConstantTimeCompare(h.Sum(nil), sum) != 1 {
		return nil, nil, fmt.Errorf("checksum mismatch: %s is not the file %s%s names (sha256 %s)",
			b.Path, b.Path, ChecksumSuffix, hex.EncodeToString(h.Sum(nil)))
	}
	after, err := fstat(f)
	if err != nil {
		return nil, nil, err
	}
	if idOf(after) != id {
		return nil, nil, fmt.Errorf("%s changed while its checksum was checked", b.Path)
	}
	changed := time.Unix(id.ctime.Unix())
	ok = true
	return f, &verified{id: id, trusted: began.Sub(changed) >= ctimeMargin}, nil
}

func fstat(f *os.File) (*syscall.Stat_t, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return nil, fmt.Errorf("stat %s: %w", f.Name(), err)
	}
	return &st, nil
}
