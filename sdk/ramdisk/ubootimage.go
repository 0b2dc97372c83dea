package ramdisk

import (
	"fmt"
	"io"
	"os"
	"time"
)

// u-boot's image types for WrapUBoot (IH_TYPE_*).
const (
	UBootTypeKernel  uint8 = 2
	UBootTypeRamdisk uint8 = ubootTypeRamdisk
)

// WrapOptions say what WrapUBoot's header holds, as mkimage's options do.
type WrapOptions struct {
	Arch  string // mkimage -A (arm, arm64 …)
	Type  uint8  // UBootTypeKernel or UBootTypeRamdisk (-T)
	Load  uint32 // -a
	Entry uint32 // -e
	Name  string // -n (at most 32 bytes)
	Time  time.Time
}

// WrapUBoot writes in with a u-boot legacy header in front to out (through a
// temporary file), as `mkimage -A arch -O linux -T type -C none -a load -e
// entry -d in out` does: LAVA's uImage conversion of a kernel and its
// add_header: u-boot on a ramdisk.
func WrapUBoot(in, out string, o WrapOptions) error {
	arch, err := UBootArch(o.Arch)
	if err != nil {
		return fmt.Errorf("ramdisk: %w", err)
	}
	t := o.Time
	if t.IsZero() {
		t = time.Now()
	}
	f, err := os.Open(in)
	if err != nil {
		return fmt.Errorf("ramdisk: %w", err)
	}
	defer f.Close()
	uh := &UBootHeader{Time: uint32(t.Unix()), OS: ubootOSLinux, Arch: arch, Type: o.Type, Comp: ubootCompNone,
		Load: o.Load, Entry: o.Entry, Name: o.Name}
	return writeOut(out, uh, func(w io.Writer) error {
		_, err := io.Copy(w, f)
		return err
	})
}
