package lab

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// NFSTmpfsSource is the source name of the tmpfs `lab up` mounts on the lab's
// nfs/ directory (the ganesha export), so that `lab down` and a later `lab up`
// recognise it as theirs in the mount table.
const NFSTmpfsSource = "lavacore-lab-nfs"

// nfsTmpfsMax bounds the export's tmpfs: a job's NFS root (the lab's Debian
// one is 316 MB unpacked) and LAVA's tmp directory fit many times over.
const nfsTmpfsMax = 8 << 30

// nfsTmpfsSize is the size limit of the export's tmpfs on a machine with
// memTotal bytes of RAM: min(8 GiB, half of RAM). tmpfs takes memory only for
// what is stored in it.
func nfsTmpfsSize(memTotal uint64) uint64 {
	return min(uint64(nfsTmpfsMax), memTotal/2)
}

// memTotal reads MemTotal from /proc/meminfo, in bytes.
func memTotal() (uint64, error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	return parseMemTotal(b)
}

func parseMemTotal(b []byte) (uint64, error) {
	for line := range bytes.Lines(b) {
		f := strings.Fields(string(line))
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/meminfo: MemTotal %q: %w", f[1], err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("/proc/meminfo: no MemTotal line")
}

// mountAt is what is mounted on a directory: the top-most mount of the mount
// table on exactly that path.
type mountAt struct {
	FSType, Source string
}

// mountedAt finds the top-most mount on dir in a /proc/self/mountinfo table
// (mount point: field 5, octal-escaped; file system type and source after the
// " - " separator).
func mountedAt(r io.Reader, dir string) (mountAt, bool, error) {
	var (
		m     mountAt
		found bool
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		f, g := strings.Fields(pre), strings.Fields(post)
		if len(f) < 5 || len(g) < 2 {
			continue
		}
		if unescapeMountinfo(f[4]) == dir {
			m, found = mountAt{FSType: g[0], Source: unescapeMountinfo(g[1])}, true
		}
	}
	if err := sc.Err(); err != nil {
		return mountAt{}, false, fmt.Errorf("mountinfo: %w", err)
	}
	return m, found, nil
}

// unescapeMountinfo undoes mountinfo's \ooo escapes (space, tab, newline, backslash).
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// nfsDir is the export directory with its symbolic links resolved, as the
// mount table names it.
func (l *Lab) nfsDir() string {
	d := l.path("nfs")
	if r, err := filepath.EvalSymlinks(d); err == nil {
		return r
	}
	return d
}

// nfsMount is what is mounted on the export directory now.
func (l *Lab) nfsMount() (mountAt, bool, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return mountAt{}, false, err
	}
	defer f.Close()
	return mountedAt(f, l.nfsDir())
}

// mountNFS prepares the export directory before ganesha starts: a tmpfs of
// nfsTmpfsSize (onDisk: none, the directory on the lab's own file system). A
// tmpfs of ours left by a lab that was not brought down is replaced by a
// fresh one (reused if something still holds it); a mount that is not ours
// is left as it is.
func (l *Lab) mountNFS(onDisk bool) error {
	dir := l.nfsDir()
	m, ok, err := l.nfsMount()
	if err != nil {
		return fmt.Errorf("nfs export %s: %w", dir, err)
	}
	if ok && m.Source != NFSTmpfsSource {
		l.logf("nfs export %s: already a mount (%s %s), kept as it is", dir, m.FSType, m.Source)
		return nil
	}
	if ok {
		if err := syscall.Unmount(dir, 0); err != nil {
			if onDisk {
				return fmt.Errorf("nfs export %s: unmounting the tmpfs of an earlier lab (--nfs-on-disk): %w", dir, err)
			}
			l.logf("nfs export %s: the tmpfs of an earlier lab is still in use (%v), reused", dir, err)
			return nil
		}
		l.logf("nfs export %s: the tmpfs of an earlier lab unmounted", dir)
	}
	if onDisk {
		l.logf("nfs export %s: on disk (--nfs-on-disk)", dir)
		return nil
	}
	total, err := memTotal()
	if err != nil {
		return fmt.Errorf("nfs export %s: %w", dir, err)
	}
	size := nfsTmpfsSize(total)
	if err := syscall.Mount(NFSTmpfsSource, dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV,
		fmt.Sprintf("size=%d,mode=0755", size)); err != nil {
		return fmt.Errorf("nfs export %s: mounting a tmpfs (--nfs-on-disk keeps it on disk): %w", dir, err)
	}
	l.logf("nfs export %s: tmpfs of %d MiB (in memory; --nfs-on-disk keeps it on disk)", dir, size>>20)
	return nil
}

// unmountNFS removes the export's tmpfs (lab down): what the jobs left in it
// goes with it. A tmpfs still held by something (a bind mount from inside it,
// a process's working directory) is detached lazily and freed when released.
func (l *Lab) unmountNFS() error {
	dir := l.nfsDir()
	m, ok, err := l.nfsMount()
	if err != nil {
		return fmt.Errorf("nfs export %s: %w", dir, err)
	}
	if !ok || m.Source != NFSTmpfsSource {
		return nil
	}
	if err := syscall.Unmount(dir, 0); err != nil {
		if derr := syscall.Unmount(dir, syscall.MNT_DETACH); derr != nil {
			return fmt.Errorf("nfs export %s: unmounting its tmpfs: %w", dir, derr)
		}
		l.logf("nfs export %s: its tmpfs is still in use (%v): detached, freed when released", dir, err)
		return nil
	}
	l.logf("nfs export %s: tmpfs unmounted", dir)
	return nil
}
