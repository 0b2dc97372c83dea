package ramdisk

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strings"
)

// UBootHeaderLen is the size of a u-boot legacy image header.
const UBootHeaderLen = 64

// UBootMagic starts a u-boot legacy image.
const UBootMagic = 0x27051956

// UBootHeader is a u-boot legacy image header (`mkimage -T ramdisk`), big-endian.
type UBootHeader struct {
	HeaderCRC uint32
	Time      uint32
	Size      uint32 // data bytes after the header
	Load      uint32
	Entry     uint32
	DataCRC   uint32
	OS        uint8 // 5: linux
	Arch      uint8 // see UBootArch
	Type      uint8 // 3: ramdisk
	Comp      uint8 // 0: none
	Name      string
}

// u-boot's image type, OS and compression numbers used here.
const (
	ubootOSLinux     = 5
	ubootTypeRamdisk = 3
	ubootCompNone    = 0
)

// ubootArch maps mkimage -A names to u-boot's IH_ARCH numbers.
var ubootArch = map[string]uint8{
	"alpha": 1, "arm": 2, "x86": 3, "i386": 3, "ia64": 4, "mips": 5, "mips64": 6,
	"powerpc": 7, "ppc": 7, "s390": 8, "sh": 9, "sparc": 10, "sparc64": 11, "m68k": 12,
	"microblaze": 14, "nios2": 15, "blackfin": 16, "avr32": 17, "st200": 18,
	"sandbox": 19, "nds32": 20, "or1k": 21, "arm64": 22, "arc": 23, "x86_64": 24,
	"xtensa": 25, "riscv": 26,
}

// UBootArch returns u-boot's number for an mkimage -A name (arm, arm64, x86_64, riscv …).
func UBootArch(name string) (uint8, error) {
	a, ok := ubootArch[strings.ToLower(name)]
	if !ok {
		return 0, fmt.Errorf("unknown u-boot architecture %q (mkimage -A: arm, arm64, x86, x86_64, riscv, mips, powerpc …)", name)
	}
	return a, nil
}

func isUBoot(b []byte) bool {
	return len(b) >= 4 && binary.BigEndian.Uint32(b) == UBootMagic
}

// ParseUBootHeader decodes and checks (magic, header CRC) a u-boot header.
func ParseUBootHeader(b []byte) (UBootHeader, error) {
	if len(b) < UBootHeaderLen {
		return UBootHeader{}, fmt.Errorf("u-boot header: %d bytes, want %d", len(b), UBootHeaderLen)
	}
	if !isUBoot(b) {
		return UBootHeader{}, fmt.Errorf("u-boot header: bad magic %08x", binary.BigEndian.Uint32(b))
	}
	be := binary.BigEndian
	h := UBootHeader{
		HeaderCRC: be.Uint32(b[4:]), Time: be.Uint32(b[8:]), Size: be.Uint32(b[12:]),
		Load: be.Uint32(b[16:]), Entry: be.Uint32(b[20:]), DataCRC: be.Uint32(b[24:]),
		OS: b[28], Arch: b[29], Type: b[30], Comp: b[31],
		Name: strings.TrimRight(string(b[32:64]), "\x00"),
	}
	var c [UBootHeaderLen]byte
	copy(c[:], b[:UBootHeaderLen])
	be.PutUint32(c[4:], 0)
	if crc := crc32.ChecksumIEEE(c[:]); crc != h.HeaderCRC {
		return h, fmt.Errorf("u-boot header: header CRC %08x, computed %08x", h.HeaderCRC, crc)
	}
	return h, nil
}

// Marshal encodes the header, computing HeaderCRC (Size and DataCRC must be set).
func (h UBootHeader) Marshal() ([]byte, error) {
	if len(h.Name) > 32 {
		return nil, fmt.Errorf("u-boot header: name %q longer than 32 bytes", h.Name)
	}
	b := make([]byte, UBootHeaderLen)
	be := binary.BigEndian
	be.PutUint32(b[0:], UBootMagic)
	be.PutUint32(b[8:], h.Time)
	be.PutUint32(b[12:], h.Size)
	be.PutUint32(b[16:], h.Load)
	be.PutUint32(b[20:], h.Entry)
	be.PutUint32(b[24:], h.DataCRC)
	b[28], b[29], b[30], b[31] = h.OS, h.Arch, h.Type, h.Comp
	copy(b[32:], h.Name)
	be.PutUint32(b[4:], crc32.ChecksumIEEE(b))
	return b, nil
}

func crc32IEEE(b []byte) uint32 { return crc32.ChecksumIEEE(b) }
