package tftp

import (
	"encoding/binary"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// memoryRamdiskMax bounds the ramdisks unpacked in memory: an image whose
// unpacked size may exceed it is unpacked on disk, under the work directory.
const memoryRamdiskMax int64 = 256 << 20

// memoryDir is the memory file system (tmpfs) ramdisks are unpacked in.
const memoryDir = "/dev/shm"

// ramdiskDir is where the ramdisk image at path is unpacked: a directory
// of the memory file system when the unpacked tree fits in
// memoryRamdiskMax (and twice that is free there), else <work_dir>/ramdisk-<job>.
// Unpack, modules, overlay and repack are the same code either way (the
// same checks, the same bytes out); in memory the tree costs no disk writes.
func ramdiskDir(workDir, jobID, image string) string {
	onDisk := filepath.Join(workDir, "ramdisk-"+jobID)
	est := unpackedEstimate(image)
	if est <= 0 || est > memoryRamdiskMax {
		return onDisk
	}
	var st unix.Statfs_t
	if err := unix.Statfs(memoryDir, &st); err != nil || st.Type != unix.TMPFS_MAGIC ||
		int64(st.Bavail)*int64(st.Bsize) < 2*est {
		return onDisk
	}
	return filepath.Join(memoryDir, "lavacore-ramdisk-"+jobID)
}

// unpackedEstimate is an upper estimate of the unpacked size of a ramdisk
// image: a gzip image's own record of its size (its last 4 bytes, ISIZE),
// else ten times the image (0: unknown).
func unpackedEstimate(image string) int64 {
	f, err := os.Open(image)
	if err != nil {
		return 0
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() < 18 {
		return 0
	}
	est := 10 * fi.Size()
	var head [2]byte
	var tail [4]byte
	if _, err := f.ReadAt(head[:], 0); err == nil && head == [2]byte{0x1f, 0x8b} {
		if _, err := f.ReadAt(tail[:], fi.Size()-4); err == nil {
			// ISIZE is modulo 4 GiB and counts only the last member: an
			// image whose ISIZE is under its own size is not believed.
			if n := int64(binary.LittleEndian.Uint32(tail[:])); n >= fi.Size() {
				est = n + fi.Size()
			}
		}
	}
	return est
}
