# An arm64 board with U-Boot: QEMU's `virt` machine (cortex-a57, TCG) running
# Debian's u-boot-qemu build (/usr/lib/u-boot/qemu_arm64/u-boot.bin) -- the
# virtual lab's `arm-NN` boards (`lavacore lab up --arm-boards N`).
#
# It extends LAVA's base-uboot (_base-uboot.hcl: deploy tftp, boot u-boot
# with the same `commands` sets and LAVA's {PLACEHOLDERS}, U-Boot's
# constants -- interrupt, final message, error messages) with the values a
# QEMU virt board needs: booti load addresses inside its RAM (0x40000000 +
# 512 MiB), the PL011 console ttyAMA0. It is not LAVA's `qemu` type: that
# one is QEMU started by the dispatcher itself; this one is a board behind
# power and console commands, like a BeagleBone.
device_type "qemu-uboot-arm64" {
  description = "QEMU virt (arm64, TCG) with Debian's U-Boot, netbooting over TFTP (base-uboot)"
  arch        = "arm64"
  base        = "base-uboot"
}

variable "console_device" {
  default     = "ttyAMA0"
  description = "Kernel console device (QEMU virt's PL011)."
}
variable "booti_kernel_addr" {
  default     = "0x40400000"
  description = "Where booti's kernel (an arm64 Image) is loaded: U-Boot's kernel_addr_r on QEMU virt."
}
variable "booti_ramdisk_addr" {
  default     = "0x44000000"
  description = "Where the ramdisk is loaded: U-Boot's ramdisk_addr_r on QEMU virt."
}
variable "booti_dtb_addr" {
  default     = "0x4fe00000"
  description = "Where the device tree is loaded (above any ramdisk up to 190 MiB, below U-Boot's own copy near the top of RAM)."
}
