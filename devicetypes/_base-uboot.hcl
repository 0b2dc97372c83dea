# Shared base of the U-Boot boards (LAVA's base-uboot.jinja2, with the values
# of base.jinja2 that _base.hcl does not hold). A type extends it with
# `device_type "NAME" { base = "base-uboot" }`; it is evaluated after
# _base.hcl and before the type's file, which may redeclare any variable to
# change its default and override any block by name.
#
# Variables carry the names of LAVA's device dictionary variables, so a
# device file sets what its dictionary sets. The command sets are locals
# (local.uboot_nfs_commands …) that a type's own boot "u-boot" block reuses.

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

# --- console and power (base.jinja2 commands) -------------------------------
variable "connection_command" {
  type        = string
  default     = null
  description = "Attach to the serial console (commands.connect), e.g. \"telnet localhost 7000\"."
}
variable "connection_list" {
  type        = list(string)
  default     = []
  description = "Named connections (when connection_command is not set), e.g. [\"uart0\"]."
}
variable "connection_commands" {
  type        = map(string)
  default     = {}
  description = "Command of each named connection, e.g. { uart0 = \"telnet localhost 7001\" }."
}
variable "connection_tags" {
  type        = map(list(string))
  default     = {}
  description = "Tags of each named connection; \"primary\" marks the primary one."
}
variable "hard_reset_command" {
  default     = null
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
variable "pre_power_command" {
  default     = null
  description = "Run by a job's `command: {name: pre_power_command}`."
}
variable "pre_os_command" {
  default     = null
  description = "Run by a job's `command: {name: pre_os_command}`."
}
variable "soft_reboot_command" {
  default     = null
  description = "LAVA's commands.soft_reboot (kept, not used by lavacore yet)."
}
variable "recovery_mode_command" {
  default     = null
  description = "LAVA's commands.recovery_mode (kept, not used by lavacore yet)."
}
variable "recovery_exit_command" {
  default     = null
  description = "LAVA's commands.recovery_exit (kept, not used by lavacore yet)."
}
variable "must_use_connection" {
  default     = null
  description = "LAVA's commands.must_use_connection (kept, not used by lavacore yet)."
}
variable "boot_character_delay" {
  type        = any
  default     = 0
  description = "Delay between characters sent to U-Boot: milliseconds, or a duration."
}

# --- kernel command line -----------------------------------------------------
variable "console_device" {
  type        = string
  default     = null
  description = "Kernel console device (console=DEVICE,BAUDn8); null: no console= argument."
}
variable "baud_rate" {
  type        = any
  default     = 115200
  description = "Kernel console speed."
}
variable "console_parity" {
  default     = "n"
  description = "Kernel console parity."
}
variable "console_databits" {
  default     = "8"
  description = "Kernel console data bits."
}
variable "extra_kernel_args" {
  default     = ""
  description = "Added to the kernel command line."
}
variable "extra_nfsroot_args" {
  default     = ""
  description = "Appended to the nfsroot= argument (e.g. \",vers=3\")."
}
variable "base_ip_args" {
  type        = string
  default     = null
  description = "The ip= argument (null: ip=dhcp, or the static_* values when all four are set)."
}
variable "static_ip" { default = null }
variable "static_gateway" { default = null }
variable "static_netmask" { default = null }
variable "static_dns" { default = null }

# --- U-Boot --------------------------------------------------------------------
variable "bootloader_prompt" {
  default     = "=>"
  description = "The U-Boot prompt."
}
variable "interrupt_prompt" {
  default     = "Hit any key to stop autoboot"
  description = "U-Boot text to wait for before interrupting it."
}
variable "interrupt_char" {
  default     = ""
  description = "Sent to interrupt U-Boot."
}
variable "uboot_needs_interrupt" {
  default     = true
  description = "false: only wait for the prompt."
}
variable "base_uboot_commands" {
  type        = list(string)
  default     = []
  description = "Commands sent before \"setenv autoload no\" in every command set."
}
variable "base_high_limits" {
  default     = true
  description = "Send setenv initrd_high / fdt_high."
}
variable "uboot_initrd_high" { default = "0xffffffff" }
variable "uboot_fdt_high" { default = "0xffffffff" }
variable "uboot_ipaddr_cmd" {
  default     = "dhcp"
  description = "How U-Boot gets its address."
}
variable "append_dtb" {
  type        = bool
  default     = false
  description = "The DTB is appended to the kernel (no separate tftp of it); deploy's append_dtb."
}
variable "uboot_load_fdt" {
  default     = "tftp {DTB_ADDR} {DTB}"
  description = "Loads the device tree."
}
variable "uboot_tftp_commands" {
  type        = list(string)
  default     = null
  description = "Replace the tftp commands (kernel, ramdisk, tee, initrd_size, dtb)."
}
variable "enable_dtbo_support" {
  default     = false
  description = "Apply device tree overlays after loading the DTB."
}
variable "apply_dtbo_commands" {
  type    = list(string)
  default = ["tftp {DTBO_ADDR} {DTBO}", "fdt apply {DTBO_ADDR}"]
}
variable "uboot_fdt_extra_commands" {
  type        = list(string)
  default     = []
  description = "Sent after \"fdt addr {DTB_ADDR}\" once the DTB is loaded."
}
variable "uboot_bootcmd" {
  type        = string
  default     = null
  description = "The boot command (null: uboot_bootx_cmd)."
}
variable "uboot_bootx_cmd" { default = "{BOOTX}" }
variable "uboot_needs_pci" { default = false }
variable "uboot_pci_commands" {
  type    = list(string)
  default = ["pci enum"]
}
variable "uboot_needs_usb" { default = false }
variable "uboot_usb_commands" {
  type    = list(string)
  default = ["usb start"]
}
variable "uboot_mac_addr" {
  default     = ""
  description = "MAC address U-Boot sets (with uboot_set_mac)."
}
variable "uboot_set_mac" {
  default     = false
  description = "Send setenv ethaddr and pass lava_mac to the u-boot method."
}
variable "ums_command" { default = "ums 0 mmc 0" }
variable "uboot_altbank" { default = null }
variable "uboot_altbank_cmd" { default = "reset" }
variable "uboot_allow_chain_load_grub" {
  default     = true
  description = "Offer boot methods grub and grub-efi (chain-loaded by U-Boot)."
}

# constants.u-boot
variable "uboot_autoboot_prompt" { default = "Hit any key to stop autoboot" }
variable "uboot_interrupt_character" { default = " " }
variable "interrupt_ctrl_list" {
  type    = list(string)
  default = []
}
variable "uboot_interrupt_newline" { default = true }
variable "uboot_final_message" { default = "Starting kernel" }
variable "uboot_error_messages" {
  type        = list(string)
  default     = null
  description = "Replace U-Boot's error messages."
}
variable "uboot_extra_error_message" {
  type        = string
  default     = null
  description = "Added to U-Boot's error messages."
}

# --- load addresses (parameters) and deploy parameters -------------------------
variable "bootz_kernel_addr" {
  type        = string
  default     = null
  description = "bootz/zimage load addresses are set when this is."
}
variable "bootz_ramdisk_addr" { default = "0x82000000" }
variable "bootz_dtb_addr" { default = "0x81000000" }
variable "bootz_tee_addr" { default = "0x83000000" }
variable "bootz_dtbo_addr" { default = "0x93c00000" }
variable "bootm_kernel_addr" {
  type        = string
  default     = null
  description = "bootm/uimage load addresses are set when this is."
}
variable "bootm_ramdisk_addr" { default = "0x82000000" }
variable "bootm_dtb_addr" { default = "0x81000000" }
variable "bootm_tee_addr" { default = "0x83000000" }
variable "bootm_dtbo_addr" { default = "0x93c00000" }
variable "booti_kernel_addr" {
  type        = string
  default     = null
  description = "booti/image load addresses are set when this is."
}
variable "booti_ramdisk_addr" { default = "0x82000000" }
variable "booti_dtb_addr" { default = "0x81000000" }
variable "booti_tee_addr" { default = "0x83000000" }
variable "booti_dtbo_addr" { default = "0x93c00000" }
variable "text_offset" { default = null }
variable "dtb_base_resize" {
  type    = number
  default = 1048576
}
variable "uboot_ramdisk_format" {
  default     = "u-boot"
  description = "deploy's add_header: \"u-boot\" adds a U-Boot header to the ramdisk (\"raw\": none)."
}
variable "uboot_mkimage_arch" {
  default     = "arm64"
  description = "mkimage -A for U-Boot headers."
}
variable "use_xip" {
  type    = bool
  default = false
}
variable "allow_test_services" { default = null }
variable "device_ip" { default = null }
variable "device_mac" { default = null }

# --- media (parameters.media) ------------------------------------------------
variable "usb_uuid" {
  default     = ""
  description = "/dev/disk/by-id/ name of the USB mass storage (empty: none)."
}
variable "usb_label" { default = "SanDisk_Ultra" }
variable "usb_device_id" {
  type        = any
  default     = 0
  description = "U-Boot's device number of the USB storage."
}
variable "sata_uuid" { default = null }
variable "sata_label" { default = "ST160LM003" }
variable "sata_id" { default = 0 }
variable "sata_interface" { default = null }
variable "uuid_required" { default = true }
variable "boot_part" { default = 1 }
variable "sd_uuid" { default = null }
variable "sd_label" { default = null }
variable "sd_device_id" { default = null }

# --- fastboot through U-Boot, device information --------------------------------
variable "fastboot_serial_number" { default = null }
variable "adb_serial_number" { default = "0000000000" }
variable "fastboot_options" {
  type    = list(string)
  default = []
}
variable "fastboot_deploy_uboot_commands" {
  type        = list(string)
  default     = null
  description = "U-Boot commands that enter fastboot (adds deploy fastboot and u-boot)."
}
variable "flash_cmds_order" {
  type    = list(string)
  default = ["update", "ptable", "partition", "hyp", "modem", "rpm", "sbl1", "sbl2", "sec", "tz", "aboot", "boot", "rootfs", "vendor", "system", "cache", "userdata"]
}
variable "flasher_deploy_commands" {
  type        = list(string)
  default     = null
  description = "Commands of deploy \"flasher\"."
}
variable "device_info" { default = null }
variable "static_info" { default = null }
variable "storage_info" { default = null }
variable "environment" {
  type    = map(string)
  default = null
}

# --- ssh guests, docker test shell ---------------------------------------------
variable "ssh_host" { default = "" }
variable "ssh_port" { default = 22 }
variable "ssh_user" { default = "root" }
variable "ssh_identity_file" { default = "dynamic_vm_keys/lava" }
variable "docker_shell_global_arguments" { default = null }
variable "docker_shell_extra_arguments" { default = null }

locals {
  console      = var.console_device == null ? "" : "console=${var.console_device},${var.baud_rate}${var.console_parity}${var.console_databits}"
  kernel_args  = var.extra_kernel_args
  nfsroot_args = "nfsroot={NFS_SERVER_IP}:{NFSROOTFS},tcp,hard${var.extra_nfsroot_args}"
  nbdroot_args = "nbd.server={NBDSERVERIP} nbd.port={NBDSERVERPORT} root=/dev/ram0 ramdisk_size=16384 rootdelay=7 "
  static_ip    = var.static_ip != null && var.static_gateway != null && var.static_netmask != null && var.static_dns != null
  ip_args      = var.base_ip_args != null ? var.base_ip_args : (local.static_ip ? "ip=${var.static_ip}::${var.static_gateway}:${var.static_netmask}:::off:${var.static_dns}:" : "ip=dhcp")

  uboot_commands    = concat(var.base_uboot_commands, ["setenv autoload no"])
  uboot_high_limits = ["setenv initrd_high ${var.uboot_initrd_high}", "setenv fdt_high ${var.uboot_fdt_high}"]
  uboot_dhcp        = [var.uboot_ipaddr_cmd, "setenv serverip {SERVER_IP}"]
  uboot_load_fdt    = var.append_dtb == true ? [] : [var.uboot_load_fdt]
  uboot_tftp = concat(
    var.uboot_tftp_commands != null ? var.uboot_tftp_commands : concat(["tftp {KERNEL_ADDR} {KERNEL}", "tftp {RAMDISK_ADDR} {RAMDISK}", "tftp {TEE_ADDR} {TEE}", "setenv initrd_size $${filesize}"], local.uboot_load_fdt),
    var.enable_dtbo_support ? ["fdt addr {DTB_BASE_ADDR}", "fdt resize {DTB_BASE_RESIZE}", "{APPLY_DTBO_COMMANDS}"] : [],
    length(var.uboot_fdt_extra_commands) > 0 ? concat(["fdt addr {DTB_ADDR}"], var.uboot_fdt_extra_commands) : [],
  )
  uboot_bootcmd = var.uboot_bootcmd != null ? var.uboot_bootcmd : var.uboot_bootx_cmd
  uboot_set_mac = var.uboot_mac_addr != "" ? "setenv ethaddr ${var.uboot_mac_addr}" : "setenv ethaddr"
  uboot_common = concat(
    var.uboot_needs_pci ? var.uboot_pci_commands : [],
    var.uboot_needs_usb ? var.uboot_usb_commands : [],
    local.uboot_commands,
    var.base_high_limits ? local.uboot_high_limits : [],
    var.uboot_set_mac ? [local.uboot_set_mac] : [],
    local.uboot_dhcp,
    local.uboot_tftp,
  )

  # The named command sets of boot "u-boot" (a type's own u-boot block reuses them).
  uboot_nfs_commands = concat(local.uboot_common, [
    "setenv bootargs '${local.console} root=/dev/nfs rw ${local.nfsroot_args} ${local.kernel_args} ${local.ip_args}'",
    local.uboot_bootcmd,
  ])
  uboot_nbd_commands = concat(local.uboot_common, [
    "setenv bootargs '${local.console} rw ${local.nbdroot_args} ${local.kernel_args} ${local.ip_args} verbose earlyprintk systemd.log_color=false $${extraargs} rw'",
    local.uboot_bootcmd,
  ])
  uboot_ramdisk_commands = concat(local.uboot_common, [
    "setenv bootargs '${local.console} root=/dev/ram0 ${local.kernel_args} ${local.ip_args}'",
    local.uboot_bootcmd,
  ])
  uboot_usb_commands = concat(var.uboot_usb_commands, local.uboot_commands, [
    "load usb ${var.usb_device_id}:{ROOT_PART} {KERNEL_ADDR} {KERNEL}",
    "load usb ${var.usb_device_id}:{ROOT_PART} {RAMDISK_ADDR} {RAMDISK}",
    "setenv initrd_size $${filesize}",
    "load usb ${var.usb_device_id}:{ROOT_PART} {DTB_ADDR} {DTB}",
    "${local.console} root={ROOT} ${local.kernel_args} ${local.ip_args}",
    local.uboot_bootcmd,
  ])
  uboot_sata_commands = concat(["scsi scan"], local.uboot_commands, [
    "load scsi {ROOT_PART} {KERNEL_ADDR} {KERNEL}",
    "load scsi {ROOT_PART} {RAMDISK_ADDR} {RAMDISK}; setenv initrd_size $${filesize}",
    "load scsi {ROOT_PART} {DTB_ADDR} {DTB}",
    "setenv bootargs '${local.console} root={ROOT} ${local.kernel_args} ${local.ip_args}'",
    local.uboot_bootcmd,
  ])
  uboot_ums_commands = [var.ums_command]

  uboot_error_messages = concat(var.uboot_error_messages != null ? var.uboot_error_messages : [
    "Resetting CPU",
    "Must RESET board to recover",
    "TIMEOUT",
    "Retry count exceeded",
    "Retry time exceeded; starting again",
    "The remote end did not respond in time.",
    "File not found",
    "Bad Linux ARM64 Image magic!",
    "Wrong Ramdisk Image Format",
    "Ramdisk image is corrupt or invalid",
    "ERROR: Failed to allocate",
    "TFTP error: trying to overwrite reserved memory",
    "Bad Linux RISCV Image magic!",
    "Wrong Image Format for boot",
    "ERROR: Did not find a cmdline Flattened Device Tree",
    "ERROR: RD image overlaps OS image",
    "kernel_comp_addr_r or kernel_comp_size is not provided",
    "zimage: Bad magic",
  ], var.uboot_extra_error_message != null ? [var.uboot_extra_error_message] : [])

  # parameters.media (base.jinja2): only when some storage is named.
  media = var.sata_uuid == null && var.sd_uuid == null && var.usb_uuid == "" ? null : {
    sata = var.sata_uuid == null ? null : {
      UUID-required = var.uuid_required
      (var.sata_label) = {
        uuid            = var.sata_uuid
        device_id       = var.sata_id
        uboot_interface = var.sata_interface != null ? var.sata_interface : "scsi"
        grub_interface  = var.sata_interface != null ? var.sata_interface : "hd0"
        boot_part       = var.boot_part
      }
    }
    sd = var.sd_uuid == null ? null : {
      (var.sd_label) = { uuid = var.sd_uuid, device_id = format("%v", var.sd_device_id) }
    }
    usb = var.usb_uuid == "" ? null : {
      (var.usb_label) = { uuid = var.usb_uuid, device_id = format("%v", var.usb_device_id) }
    }
  }
  bootz = var.bootz_kernel_addr == null ? null : {
    kernel = var.bootz_kernel_addr, ramdisk = var.bootz_ramdisk_addr, dtb = var.bootz_dtb_addr, tee = var.bootz_tee_addr, dtbo = var.bootz_dtbo_addr
  }
  bootm = var.bootm_kernel_addr == null ? null : {
    kernel = var.bootm_kernel_addr, ramdisk = var.bootm_ramdisk_addr, dtb = var.bootm_dtb_addr, tee = var.bootm_tee_addr, dtbo = var.bootm_dtbo_addr
  }
  booti = var.booti_kernel_addr == null ? null : {
    kernel = var.booti_kernel_addr, ramdisk = var.booti_ramdisk_addr, dtb = var.booti_dtb_addr, tee = var.booti_tee_addr, dtbo = var.booti_dtbo_addr
  }
  fastboot_via_uboot = var.fastboot_deploy_uboot_commands != null
}

dynamic "connection" {
  for_each = var.connection_command == null ? [] : [var.connection_command]
  labels   = ["serial"]
  content {
    primary = true
    command = connection.value
  }
}

# LAVA's connection_list: one connection per name, "primary" among its tags.
dynamic "connection" {
  for_each = var.connection_command != null ? [] : var.connection_list
  labels   = [connection.value]
  content {
    command = var.connection_commands[connection.value]
    primary = contains(lookup(var.connection_tags, connection.value, []), "primary")
    tags    = [for t in lookup(var.connection_tags, connection.value, []) : t if t != "primary"]
  }
}

power {
  hard_reset        = var.hard_reset_command
  power_off         = var.power_off_command
  power_on          = var.power_on_command
  pre_power_command = var.pre_power_command
  pre_os_command    = var.pre_os_command
}

character_delays {
  boot = var.boot_character_delay
}

environment = var.environment

constants {
  barebox {
    interrupt-prompt    = "Hit m for menu or any other key to stop autoboot"
    interrupt-character = " " # LAVA's "\n" in single quotes, which YAML folds to a space
    final-message       = "Starting kernel"
    error-messages      = ["### ERROR ### Please RESET the board ###", "ERROR: .*", ".*: Out of memory"]
  }
  u-boot {
    interrupt-prompt    = var.uboot_autoboot_prompt
    interrupt-character = var.uboot_interrupt_character
    interrupt_ctrl_list = var.interrupt_ctrl_list
    interrupt-newline   = var.uboot_interrupt_newline
    final-message       = var.uboot_final_message
    error-messages      = local.uboot_error_messages
    dfu-download        = "DOWNLOAD \\.\\.\\. OK\\r\\nCtrl\\+C to exit \\.\\.\\."
  }
  grub-efi {
    error-messages = [
      "Undefined OpCode Exception PC at",
      "Synchronous Exception at",
      "error: missing (.*) symbol.",
      "error: couldn't send network packet",
      "error: destination unreachable",
      "error: couldn't autoconfigure",
      "error: timeout reading",
      "error: you need to load the kernel first.",
      "error: file '(.*)' not found",
      "error: no such device",
      "error: disk '(.*)' not found",
      "error: unknown filesystem",
    ]
  }
  ipxe {
    interrupt-prompt    = "Press Ctrl-B for the iPXE command line"
    interrupt_ctrl_list = ["b"]
    error-messages      = ["No configuration methods succeeded", "Connection timed out"]
  }
  depthcharge {
    final-message = "Starting kernel"
    error-messages = [
      "Tftp failed.",
      "Dhcp release failed.",
      "No space left for ramdisk",
      "TFTP failed for ramdisk.",
      "Dhcp release failed.",
      "Out of space adding TFTP server IP to the command line.",
      "No network device.",
      "Error code \\d+( \\([\\w\\s]+\\))?\\r\\n",
    ]
  }
}

parameters {
  allow_test_services = var.allow_test_services
  interfaces = var.device_ip == null && var.device_mac == null ? null : {
    target = { ip = var.device_ip != null ? var.device_ip : "", mac = var.device_mac != null ? var.device_mac : "" }
  }
  media           = local.media
  text_offset     = var.text_offset
  image           = local.booti
  booti           = local.booti
  uimage          = local.bootm
  bootm           = local.bootm
  zimage          = local.bootz
  bootz           = local.bootz
  dtb_base_resize = var.dtb_base_resize
}

section_parameters "deploy" {
  add_header   = var.uboot_ramdisk_format
  mkimage_arch = var.uboot_mkimage_arch
  append_dtb   = var.append_dtb
  use_xip      = var.use_xip
}

deploy "image" {}
deploy "overlay" {}
deploy "usb" {}
deploy "tftp" {}
deploy "nbd" {}

deploy "ssh" {
  host          = var.ssh_host
  port          = var.ssh_port
  user          = var.ssh_user
  identity_file = var.ssh_identity_file
  options       = ["-o", "Compression=yes", "-o", "PasswordAuthentication=no", "-o", "LogLevel=FATAL"]
}

deploy "flasher" {
  enabled  = var.flasher_deploy_commands != null
  commands = var.flasher_deploy_commands
}

# Fastboot through U-Boot (x15): interrupt U-Boot and send these commands.
deploy "fastboot" {
  enabled = local.fastboot_via_uboot
}
deploy "u-boot" {
  enabled           = local.fastboot_via_uboot
  bootloader_prompt = var.bootloader_prompt
  interrupt_prompt  = var.interrupt_prompt
  interrupt_char    = var.interrupt_char
  fastboot          = { commands = var.fastboot_deploy_uboot_commands }
}

boot "minimal" {}
boot "ssh" {}

boot "dfu" {
  implementation = "u-boot"
  reset_works    = false
  command        = "dfu-util"
}

boot "u-boot" {
  bootloader_prompt   = var.bootloader_prompt
  interrupt_prompt    = var.interrupt_prompt
  interrupt_char      = var.interrupt_char
  needs_interrupt     = var.uboot_needs_interrupt
  apply_dtbo_commands = var.enable_dtbo_support ? var.apply_dtbo_commands : null
  uboot_altbank       = var.uboot_altbank
  uboot_altbank_cmd   = var.uboot_altbank != null ? var.uboot_altbank_cmd : null
  lava_mac            = var.uboot_set_mac ? var.uboot_mac_addr : null

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

# LAVA renders uuu's options with every value unset (nulls are left out).
boot "uuu" {
  options = {
    docker_image                    = ""
    remote_options                  = ""
    bcu_board_name                  = ""
    bcu_board_id                    = ""
    has_bcu_commands                = ""
    additional_bcu_cleanup_commands = []
  }
}

boot "grub" {
  enabled           = var.uboot_allow_chain_load_grub
  bootloader_prompt = "grub>"
  needs_interrupt   = true
}
boot "grub-efi" {
  enabled           = var.uboot_allow_chain_load_grub
  bootloader_prompt = "grub>"
  needs_interrupt   = true
}

test "docker" {
  global_options = [var.docker_shell_global_arguments]
  options        = [var.docker_shell_extra_arguments]
}

timeouts {
  actions = {
    "apply-overlay-image"  = "2m"
    "dd-image"             = "10m"
    "download-retry"       = "15m"
    "http-download"        = "5m"
    "lava-test-shell"      = "3m"
    "nfs-deploy"           = "10m"
    "power-off"            = "10s"
    "bootloader-commands"  = "3m"
    "bootloader-interrupt" = "30s"
    "u-boot-interrupt"     = "30s"
    "umount-retry"         = "45s"
    "auto-login-action"    = "2m"
    "bootloader-action"    = "3m"
    "uboot-action"         = "3m"
    "uboot-commands"       = "3m"
    "bootloader-retry"     = "3m"
    "boot-qemu-image"      = "2m"
    "boot-image-retry"     = "2m"
    "flash-uboot-ums"      = "20m"
    "musca-deploy"         = "3m"
    "musca-boot"           = "1m"
    "unmount-musca-usbmsd" = "30s"
    "pdu-reboot"           = "30s"
    "reset-device"         = "30s"
  }
  connections = {
    "dd-image"               = "10m"
    "uboot-commands"         = "30s"
    "bootloader-commands"    = "30s"
    "auto-login-action"      = "2m"
    "bootloader-interrupt"   = "30s"
    "u-boot-interrupt"       = "30s"
    "lava-test-shell"        = "10s"
    "lava-docker-test-shell" = "10s"
  }
}

# Kept as LAVA renders them; lavacore does not use these (yet).
extra = { for k, v in {
  "actions.deploy.connections"   = { fastboot = null, serial = null }
  "actions.boot.connections"     = { fastboot = null, serial = null }
  "commands.soft_reboot"         = var.soft_reboot_command
  "commands.recovery_mode"       = var.recovery_mode_command
  "commands.recovery_exit"       = var.recovery_exit_command
  "commands.must_use_connection" = var.must_use_connection
  "device_info"                  = var.device_info
  "static_info"                  = var.static_info
  "storage_info"                 = var.storage_info
  "flash_cmds_order"             = var.fastboot_serial_number != null ? var.flash_cmds_order : null
  "adb_serial_number"            = local.fastboot_via_uboot ? var.adb_serial_number : null
  "fastboot_serial_number"       = local.fastboot_via_uboot ? coalesce(var.fastboot_serial_number, "0000000000") : null
  "fastboot_options"             = local.fastboot_via_uboot ? var.fastboot_options : null
  "fastboot_via_uboot"           = local.fastboot_via_uboot ? true : null
} : k => v if v != null }
