package lab

import (
	"os"
	"path/filepath"
)

// QemuDevice is the lab's `qemu` device: boot "qemu" jobs (deploy tmpfs)
// run QEMU on the dispatcher host itself, under TCG (no KVM here), with
// user networking; it needs no board of the lab.
const QemuDevice = "qemu-01"

// QemuDeviceHCL is devices/qemu-01.hcl.
func QemuDeviceHCL() string {
	return `# written by lavacore lab up: QEMU started by the dispatcher itself (boot method qemu)
device "` + QemuDevice + `" {
  device_type = "qemu"
  vars {
    no_kvm            = true
    memory            = 256
    guestfs_size      = 16
    guestfs_interface = "virtio"
  }
}
`
}

// writeQemuDevice writes devices/qemu-01.hcl.
func (l *Lab) writeQemuDevice() error {
	return os.WriteFile(filepath.Join(l.path("devices"), QemuDevice+".hcl"), []byte(QemuDeviceHCL()), 0o644)
}
