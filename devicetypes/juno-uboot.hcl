# Arm Juno (arm64) with U-Boot (LAVA's juno-uboot.jinja2): kernel, ramdisk and
# DTB from the board's NOR flash (afs load), over TFTP, or from USB storage.
# Its body replaces base-uboot's: other methods, command sets and timeouts.
device_type "juno-uboot" {
  description = "Arm Juno, U-Boot from NOR flash, TFTP or USB"
  arch        = "arm64"
  base        = "base-uboot"
}

variable "console_device" {
  default = "ttyAMA0"
}
variable "baud_rate" {
  type    = any
  default = "115200"
}
variable "bootloader_prompt" {
  default = "VExpress64"
}
variable "boot_message" {
  default = "Linux version"
}
variable "load_commands" {
  type        = list(string)
  default     = null
  description = "Replace the afs load commands of the *-local command sets."
}
variable "booti_kernel_addr" {
  type    = string
  default = "0x80080000"
}
variable "booti_ramdisk_addr" {
  default = "0x84000000"
}
variable "booti_dtb_addr" {
  default = "0x83000000"
}
variable "board_id" {
  default = "0000000000"
}
variable "usb_vendor_id" {
  default = "0000"
}
variable "usb_product_id" {
  default = "0000"
}
variable "usb_filesystem_label" {
  default = "JUNO"
}
# Juno's deploy parameters are add_header and mkimage_arch only.
variable "append_dtb" {
  default = null
}
variable "use_xip" {
  default = null
}
variable "dtb_base_resize" {
  default = null
}
variable "uboot_allow_chain_load_grub" {
  default = false
}

locals {
  juno_kernel_args = "ip=dhcp rw rootwait earlycon=pl011,0x7ff80000 debug systemd.log_target=null user_debug=31 androidboot.hardware=juno loglevel=9"
  juno_console     = "console=${var.console_device},${var.baud_rate}n8"
  juno_commands    = concat(local.uboot_commands, ["setenv bootdelay 1", "setenv ethact smc911x-0"])
  juno_load = var.load_commands != null ? var.load_commands : [
    "setenv loadkernel 'afs load $${kernel_name} {KERNEL_ADDR}'",
    "setenv loadfdt 'afs load $${fdtfile} {DTB_ADDR} ; fdt addr {DTB_ADDR}; fdt resize'",
    "setenv loadinitrd 'afs load $${initrd_name} {RAMDISK_ADDR}; setenv initrd_param {RAMDISK_ADDR}'",
  ]
  juno_afs_names = ["setenv fdtfile board.dtb", "setenv initrd_name ramdisk.img", "setenv kernel_name norkern"]

  # Juno's parameters replace base-uboot's load addresses and media.
  booti = null
  media = {
    usb = {
      UUID-required   = true
      (var.usb_label) = { uuid = var.usb_uuid, device_id = format("%v", var.usb_device_id) }
    }
  }
}

parameters {
  booti = {
    kernel  = var.booti_kernel_addr
    ramdisk = var.booti_ramdisk_addr
    dtb     = var.booti_dtb_addr
  }
}

section_parameters "deploy" {
  mkimage_arch = "arm64"
  add_header   = "u-boot"
}

deploy "image" {
  enabled = false
}
deploy "overlay" {
  enabled = false
}
deploy "nbd" {
  enabled = false
}
deploy "nfs" {}

deploy "vemsd" {
  mcc_prompt      = "Cmd>"
  msd_mount_cmd   = "usb_on"
  flash_prompt    = "Flash>"
  flash_enter_cmd = "flash"
  flash_erase_cmd = "eraseall"
  flash_erase_msg = "Erasing Flash"
  flash_exit_cmd  = "exit"
  autorun_prompt  = "Press Enter to stop auto boot..."
}

boot "minimal" {
  enabled = false
}
boot "dfu" {
  enabled = false
}
boot "uuu" {
  enabled = false
}
test "docker" {
  enabled = false
}

boot "u-boot" {
  bootloader_prompt = var.bootloader_prompt
  boot_message      = var.boot_message
  mkimage_arch      = "arm64"

  commands "ramdisk-local" {
    lines = concat(local.juno_commands, local.juno_afs_names, local.juno_load, [
      "setenv bootargs '${local.juno_console} root=/dev/sda2 ${local.juno_kernel_args}'",
      local.uboot_bootcmd,
    ])
  }
  # LAVA's template ends these three without a boot command.
  commands "nfs-local" {
    lines = concat(local.juno_commands, local.juno_afs_names, local.juno_load, [
      "setenv bootargs '${local.juno_console} root=/dev/nfs ${local.nfsroot_args} ${local.juno_kernel_args}'",
    ])
  }
  commands "ramdisk-tftp" {
    lines = concat(local.juno_commands, local.uboot_tftp, [
      "setenv bootargs '${local.juno_console} root=/dev/nfs ${local.nfsroot_args} ${local.juno_kernel_args}'",
    ])
  }
  commands "ramdisk-tftp-usb" {
    lines = concat(local.juno_commands, local.uboot_tftp, [
      "setenv bootargs '${local.juno_console} root=/dev/sda2 ${local.juno_kernel_args}'",
    ])
  }
  commands "tftp-local-ramdisk-nfsroot" {
    lines = concat(local.uboot_commands, [
      "setenv initrd_name ramdisk.img",
      "setenv loadfdt 'tftp {DTB_ADDR} {DTB}'",
      "setenv loadkernel 'tftp {KERNEL_ADDR} {KERNEL}'",
      "setenv loadinitrd 'afs load ramdisk.img {RAMDISK_ADDR}; setenv initrd_param {RAMDISK_ADDR}'",
      "setenv bootargs '${local.juno_console} root=/dev/nfs ${local.nfsroot_args} ${local.juno_kernel_args}'",
    ])
  }
  commands "usb" {
    lines = concat(["usb start", "usb info"], local.uboot_commands, [
      "setenv kernel_addr_r '{KERNEL_ADDR}'",
      "setenv initrd_addr_r '{RAMDISK_ADDR}'",
      "setenv fdt_addr_r '{DTB_ADDR}'",
      "setenv loadkernel 'load usb 0:{ROOT_PART} $${kernel_addr_r} {KERNEL}'",
      "setenv loadinitrd 'load usb 0:{ROOT_PART} $${initrd_addr_r} {RAMDISK}; setenv initrd_size $${filesize}'",
      "setenv loadfdt 'load usb 0:{ROOT_PART} $${fdt_addr_r} {DTB}'",
      "setenv bootargs '${local.juno_console} root={ROOT} ${local.juno_kernel_args}'",
      local.uboot_bootcmd,
    ])
  }
  commands "use-defaults" {
    lines = ["boot"]
  }
}

# Juno's own timeouts; null drops one base-uboot sets.
timeouts {
  actions = {
    "dd-image"             = "20m"
    "download-retry"       = "5m"
    "http-download"        = "10m"
    "power-off"            = "5s"
    "u-boot-interrupt"     = "2m"
    "u-boot-commands"      = "2m"
    "auto-login-action"    = "5m"
    "flash-uboot-ums"      = null
    "musca-deploy"         = null
    "musca-boot"           = null
    "unmount-musca-usbmsd" = null
    "pdu-reboot"           = null
    "reset-device"         = null
  }
  connections = {
    "dd-image"               = "20m"
    "u-boot-interrupt"       = "2m"
    "uboot-commands"         = "3m"
    "u-boot-commands"        = "2m"
    "auto-login-action"      = "5m"
    "http-download"          = "10m"
    "lava-test-shell"        = null
    "lava-docker-test-shell" = null
  }
}

extra = {
  "board_id"                   = var.board_id
  "usb_vendor_id"              = var.usb_vendor_id
  "usb_product_id"             = var.usb_product_id
  "usb_filesystem_label"       = var.usb_filesystem_label
  "actions.deploy.connections" = { adb = null, serial = null }
  "actions.boot.connections"   = { adb = null, serial = null, ssh = null }
}
