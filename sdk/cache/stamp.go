package cache

import (
	"io/fs"
	"syscall"
)

// Stamp is an object file's status when its bytes were last hashed and
// found to be its sha256: inode, size, modification and change times. Any
// write, truncation, chmod, chown or link of the file changes its change
// time (which no user can set back), so an object whose status still equals
// its entry's Stamp holds the bytes that were hashed, and a hit may use them
// without hashing them again. (Bit rot below the file system is the file
// system's to detect.)
type Stamp struct {
	Ino   uint64 `json:"ino"`
	Size  int64  `json:"size"`
	Mtime int64  `json:"mtime_ns"`
	Ctime int64  `json:"ctime_ns"`
}

// stampOf is fi's Stamp, nil where the system does not give one.
func stampOf(fi fs.FileInfo) *Stamp {
	if fi == nil {
		return nil
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	return &Stamp{Ino: uint64(st.Ino), Size: st.Size,
		Mtime: st.Mtim.Sec*1e9 + st.Mtim.Nsec, Ctime: st.Ctim.Sec*1e9 + st.Ctim.Nsec}
}

// Verified reports whether the open object still is the file e's bytes were
// hashed in (e.Verified equals the file's status now).
func (o *Object) Verified(e Entry) bool {
	if e.Verified == nil {
		return false
	}
	fi, err := o.File.Stat()
	if err != nil {
		return false
	}
	now := stampOf(fi)
	return now != nil && *now == *e.Verified
}

// ObjectStamp is the Stamp of the object sum as it is now (nil if it cannot
// be had): what Record keeps once the object's bytes were hashed.
func (c *Cache) ObjectStamp(sum string) *Stamp {
	if !validSum(sum) {
		return nil
	}
	fi, err := c.root.Lstat(objectName(sum))
	if err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	return stampOf(fi)
}
