# An arm64 board with U-Boot: QEMU's `virt` machine (cortex-a57, TCG) running
# Debian's u-boot-qemu build (/usr/lib/u-boot/qemu_arm64/u-boot.bin) -- the
# virtual lab's `arm-NN` boards (`lavacore lab up --arm-boards N`).
#
# It follows LAVA's base-uboot.jinja2 (deploy tftp, boot u-boot with the same
# `commands` sets and LAVA's {PLACEHOLDERS}, filled in by the dispatcher at
# run time) with the values of base-uboot's variables a QEMU virt board needs:
# booti load addresses inside its RAM (0x40000000 + 512 MiB), the PL011
# console ttyAMA0. It is not LAVA's `qemu` type: that one is QEMU started by
# the dispatcher itself; this one is a board behind power and console
# commands, like a BeagleBone.
#
# The loader has one shared base (_base.hcl, LAVA's base.jinja2); a shared
# _base-uboot.hcl would need bases of bases, so base-uboot's defaults live here.
device_type "qemu-uboot-arm64" {
  description = "QEMU virt (arm64, TCG) with Debian's U-Boot, netbooting over TFTP (base-uboot)"
  arch        = "arm64"
  job_context = [
    "baud_rate",
    "boot_character_delay",
    "bootloader_prompt",
    "console_device",
    "extra_kernel_args",
    "extra_nfsroot_args",
    "interrupt_char",
    "interrupt_prompt",
  ]
}

# Variables: no default = every device must set it.
variable "connection_command" {
  type        = string
  description = "Attach to the serial console (the lab: socat to the board's console relay)."
}
variable "hard_reset_command" {
  description = "Power-cycle the board (a command, or a list of commands)."
}
variable "power_off_command" {
  default     = null
  description = "Switch the board off (a command, or a list of commands)."
}
variable "power_on_command" {
  default     = null
  description = "Switch the board on (a command, or a list of commands)."
}
variable "console_device" {
  default     = "ttyAMA0"
  description = "Kernel console device (QEMU virt's PL011)."
}
variable "baud_rate" {
  default     = 115200
  description = "Kernel console speed."
}
variable "extra_kernel_args" {
  default     = ""
  description = "Appended to the kernel command line (LAVA's base_kernel_args)."
}
variable "extra_nfsroot_args" {
  default     = ""
  description = "Appended to the nfsroot= argument (e.g. \",vers=3\")."
}
variable "bootloader_prompt" {
  default     = "=>"
  description = "The U-Boot prompt."
}
variable "interrupt_prompt" {
  default     = "Hit any key to stop autoboot"
  description = "U-Boot text to wait for before sending interrupt_char."
}
variable "interrupt_char" {
  default     = ""
  description = "Sent (with a newline) to stop U-Boot's autoboot; LAVA's base-uboot sends an empty line."
}
variable "uboot_ipaddr_cmd" {
  default     = "dhcp"
  description = "How U-Boot gets its address (LAVA's uboot_ipaddr_cmd)."
}
variable "uboot_ramdisk_format" {
  default     = "u-boot"
  description = "deploy add_header: u-boot (mkimage a legacy header onto the ramdisk) or raw ({BOOTX} passes RAMDISK_ADDR:$${initrd_size})."
}
variable "uboot_mkimage_arch" {
  default     = "arm64"
  description = "mkimage -A when adding the U-Boot header."
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
variable "boot_character_delay" {
  type        = any
  default     = 0
  description = "Delay between characters sent to U-Boot: QEMU's serial port takes input only as fast as the guest reads it, so none is needed."
}
variable "ssh_user" {
  default     = "root"
  description = "User for secondary (ssh guest) connections."
}
variable "ssh_port" {
  default     = 22
  description = "Port for secondary (ssh guest) connections."
}
variable "ssh_identity_file" {
  default     = "dynamic_vm_keys/lava"
  description = "Private key for secondary (ssh guest) connections."
}
variable "ssh_options" {
  type        = list(string)
  default     = ["-o", "Compression=yes", "-o", "PasswordAuthentication=no", "-o", "LogLevel=FATAL"]
  description = "Extra ssh options for secondary connections."
}

locals {
  # base-uboot's uboot_common_cmds: base_uboot_commands, the high limits,
  # the dhcp command, then the tftp loads (a line whose placeholder has no
  # value -- {TEE} without a tee -- is dropped by the dispatcher, as LAVA does)
  common = [
    "setenv autoload no",
    "setenv initrd_high 0xffffffff",
    "setenv fdt_high 0xffffffff",
    var.uboot_ipaddr_cmd,
    "setenv serverip {SERVER_IP}",
    "tftp {KERNEL_ADDR} {KERNEL}",
    "tftp {RAMDISK_ADDR} {RAMDISK}",
    "tftp {TEE_ADDR} {TEE}",
    "setenv initrd_size $${filesize}",
    "tftp {DTB_ADDR} {DTB}",
  ]
  console     = "console=${var.console_device},${var.baud_rate}n8"
  ip_args     = "ip=dhcp"
  nfsroot     = "nfsroot={NFS_SERVER_IP}:{NFSROOTFS},tcp,hard${var.extra_nfsroot_args}"
  kernel_args = var.extra_kernel_args == "" ? "" : " ${var.extra_kernel_args}"
  addrs = {
    kernel  = var.booti_kernel_addr
    ramdisk = var.booti_ramdisk_addr
    dtb     = var.booti_dtb_addr
    tee     = "0x83000000"
    dtbo    = "0x93c00000"
  }
}

connection "serial" {
  primary = true
  command = var.connection_command
  tags    = ["telnet"]
}

power {
  hard_reset = var.hard_reset_command
  power_off  = var.power_off_command
  power_on   = var.power_on_command
}

character_delays {
  boot = var.boot_character_delay
}

# base-uboot's `parameters`: the booti (and image) load addresses, the
# dispatcher's {KERNEL_ADDR}, {RAMDISK_ADDR}, {DTB_ADDR} and {BOOTX}.
parameters {
  image           = local.addrs
  booti           = local.addrs
  dtb_base_resize = 1048576
}

section_parameters "deploy" {
  add_header   = var.uboot_ramdisk_format
  mkimage_arch = var.uboot_mkimage_arch
  append_dtb   = false
  use_xip      = false
}

deploy "tftp" {}
deploy "overlay" {}

deploy "ssh" {
  host          = ""
  user          = var.ssh_user
  port          = var.ssh_port
  identity_file = var.ssh_identity_file
  options       = var.ssh_options
}

boot "minimal" {}
boot "ssh" {}

boot "u-boot" {
  bootloader_prompt = var.bootloader_prompt
  interrupt_prompt  = var.interrupt_prompt
  interrupt_char    = var.interrupt_char
  needs_interrupt   = true

  commands "ramdisk" {
    lines = concat(local.common, [
      "setenv bootargs '${local.console} root=/dev/ram0${local.kernel_args} ${local.ip_args}'",
      "{BOOTX}",
    ])
  }

  commands "nfs" {
    lines = concat(local.common, [
      "setenv bootargs '${local.console} root=/dev/nfs rw ${local.nfsroot}${local.kernel_args} ${local.ip_args}'",
      "{BOOTX}",
    ])
  }

  commands "nbd" {
    lines = concat(local.common, [
      "setenv bootargs '${local.console} rw nbd.server={NBDSERVERIP} nbd.port={NBDSERVERPORT} root=/dev/ram0 ramdisk_size=16384 rootdelay=7${local.kernel_args} ${local.ip_args} verbose earlyprintk systemd.log_color=false $${extraargs} rw'",
      "{BOOTX}",
    ])
  }

  commands "ums" {
    lines = ["ums 0 mmc 0"]
  }
}

timeouts {
  actions = {
    "power-off"           = "20s"
    "bootloader-commands" = "3m"
    "auto-login-action"   = "2m"
  }
  connections = {
    "bootloader-commands" = "30s"
    "lava-test-shell"     = "10s"
  }
}
