# Cubietruck (armhf, Allwinner A20): U-Boot over TFTP (LAVA's cubietruck.jinja2).
device_type "cubietruck" {
  description = "Cubietruck, U-Boot over TFTP"
  arch        = "armhf"
  base        = "base-uboot"
}

variable "console_device" {
  default = "ttyS0"
}
# LAVA writes "sun7i# " unquoted into its YAML, which drops the space.
variable "bootloader_prompt" {
  default = "sun7i#"
}
variable "bootz_kernel_addr" {
  default = "0x42000000"
}
variable "bootz_ramdisk_addr" {
  default = "0x43300000"
}
variable "bootz_dtb_addr" {
  default = "0x43000000"
}
variable "uboot_mkimage_arch" {
  default = "arm"
}
