device "qemu-01" {
  device_type = "qemu"
  vars {
    no_kvm = true
  }
}
