# STMicroelectronics B2260 (96Boards, armhf): U-Boot over TFTP, the MAC
# address set from U-Boot (LAVA's b2260.jinja2).
device_type "b2260" {
  description = "ST B2260, U-Boot over TFTP"
  arch        = "armhf"
  base        = "base-uboot"
}

variable "console_device" {
  default = "ttyAS1"
}
variable "bootm_kernel_addr" {
  default = "0x60000000"
}
variable "bootm_ramdisk_addr" {
  default = "0x45000000"
}
variable "bootm_dtb_addr" {
  default = "0x47000000"
}
variable "base_ip_args" {
  type    = string
  default = "ip=::::stiH410::dhcp kmac=dev:eth0,addr:$${ethaddr}"
}
variable "uboot_mkimage_arch" {
  default = "arm"
}
variable "uboot_set_mac" {
  default = true
}

locals {
  # The board's own arguments come first; a device's extra_kernel_args follow.
  kernel_args = trimspace("consoleblank=0 mem=992M@0x40000000 vmalloc=256m clk_ignore_unused earlyprintk ${var.extra_kernel_args}")
}

timeouts {
  actions = {
    "power-off" = "15s"
  }
}
