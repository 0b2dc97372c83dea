# BeagleBone Black (armhf, AM335x): U-Boot loads kernel, DTB and ramdisk over
# TFTP (LAVA's beaglebone-black.jinja2).
device_type "beaglebone-black" {
  description = "BeagleBone Black, U-Boot over TFTP"
  arch        = "armhf"
  base        = "base-uboot"
}

variable "console_device" {
  default = "ttyO0"
}
variable "boot_character_delay" {
  type    = any
  default = 10
}
variable "bootloader_prompt" {
  default = "U-Boot"
}
variable "bootz_kernel_addr" {
  default = "0x82000000"
}
variable "bootz_ramdisk_addr" {
  default = "0x83000000"
}
variable "bootz_dtb_addr" {
  default = "0x88000000"
}
variable "bootm_kernel_addr" {
  default = "0x82000000"
}
variable "bootm_ramdisk_addr" {
  default = "0x83000000"
}
variable "bootm_dtb_addr" {
  default = "0x88000000"
}
variable "usb_device_id" {
  type    = any
  default = ""
}
variable "uboot_mkimage_arch" {
  default = "arm"
}
