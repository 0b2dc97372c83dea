# TI AM57xx EVM "x15" (armhf): U-Boot over TFTP, or from eMMC; fastboot is
# reached through U-Boot (LAVA's x15.jinja2).
device_type "x15" {
  description = "TI x15 (AM57xx), U-Boot over TFTP or eMMC, fastboot through U-Boot"
  arch        = "armhf"
  base        = "base-uboot"
}

variable "console_device" {
  default = "ttyS2"
}
variable "bootm_kernel_addr" {
  default = "0x82000000"
}
variable "bootm_ramdisk_addr" {
  default = "0x88080000"
}
variable "bootm_dtb_addr" {
  default = "0x88000000"
}
variable "bootz_kernel_addr" {
  default = "0x82000000"
}
variable "bootz_ramdisk_addr" {
  default = "0x88080000"
}
variable "bootz_dtb_addr" {
  default = "0x88000000"
}
variable "uboot_mkimage_arch" {
  default = "arm"
}
variable "uboot_extra_error_message" {
  type    = string
  default = "Invalid partition"
}
# LAVA's x15 default keeps the quotes in the value ("'0000000000'").
variable "fastboot_serial_number" {
  type    = string
  default = "'0000000000'"
}
variable "adb_serial_number" {
  default = "'0000000000'"
}
variable "fastboot_deploy_uboot_commands" {
  type    = list(string)
  default = ["fastboot 1"]
}
variable "fastboot_sequence" {
  type        = list(string)
  default     = ["reboot"]
  description = "Boot method fastboot's sequence."
}

boot "fastboot" {}

boot "u-boot" {
  bootloader_prompt = var.bootloader_prompt
  interrupt_prompt  = var.interrupt_prompt
  interrupt_char    = var.interrupt_char
  needs_interrupt   = var.uboot_needs_interrupt
  lava_mac          = var.uboot_set_mac ? var.uboot_mac_addr : null

  # Boot what is on the eMMC (fastboot flashed it).
  commands "mmc" {
    lines = ["run findfdt", "setenv console ttyS2,115200n8", "setenv mmcdev 1", "setenv bootpart 1:e", "run mmcboot"]
  }
  commands "ums" {
    lines = local.uboot_ums_commands
  }
  commands "nfs" {
    lines = local.uboot_nfs_commands
  }
  commands "nbd" {
    lines = local.uboot_nbd_commands
  }
  commands "ramdisk" {
    lines = local.uboot_ramdisk_commands
  }
  commands "usb" {
    lines = local.uboot_usb_commands
  }
  commands "sata" {
    lines = local.uboot_sata_commands
  }
}

extra = {
  "device_info"                   = var.device_info != null ? var.device_info : [{ board_id = var.fastboot_serial_number }]
  "actions.boot.methods.fastboot" = var.fastboot_sequence
}
