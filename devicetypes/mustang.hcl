# APM X-Gene "Mustang" (arm64). UEFI firmware chain-loads GRUB over PXE;
# grub-efi then loads kernel and ramdisk over TFTP ("mustang-grub-efi" in LAVA).
#
# Boards that follow the same grub-efi flow (e.g. the virtual lab's QEMU x86
# boards) are devices of this type and override the variables below.
device_type "mustang" {
  description = "APM X-Gene Mustang, UEFI + grub-efi over TFTP"
  arch        = "arm64"
  job_context = [
    "baud_rate",
    "boot_character_delay",
    "bootloader_prompt",
    "console_device",
    "extra_kernel_args",
    "extra_nfsroot_args",
    "menu_interrupt_prompt",
  ]
}

# Variables: no default = every device must set it. Names listed in
# job_context may also be overridden by a job's `context:` block.
variable "connection_command" {
  type        = string
  description = "Attach to the serial console (e.g. telnet serial4 7012)."
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
  default     = "ttyS0"
  description = "Kernel console device."
}
variable "baud_rate" {
  default     = 115200
  description = "Kernel console speed."
}
variable "extra_kernel_args" {
  default     = ""
  description = "Appended to the kernel command line."
}
variable "extra_nfsroot_args" {
  default     = ""
  description = "Appended to the nfsroot= argument (e.g. \",vers=3\")."
}
variable "bootloader_prompt" {
  default     = "grub>"
  description = "The GRUB prompt."
}
variable "interrupt_prompt" {
  default     = "for a command-line"
  description = "GRUB text to wait for before sending interrupt_char."
}
variable "interrupt_char" {
  default     = "c"
  description = "Sent to GRUB to reach its command line."
}
variable "uefi_menu" {
  default     = true
  description = "Select the PXE entry in the UEFI boot menu before GRUB (false: the firmware boots GRUB by itself)."
}
variable "menu_interrupt_prompt" {
  default     = "The default boot selection will start in"
  description = "UEFI menu text to wait for before interrupting."
}
variable "pxe_menu_item" {
  default     = "LAVA PXE Grub"
  description = "The UEFI menu item that boots GRUB over PXE."
}
variable "boot_character_delay" {
  type        = any
  default     = "10ms"
  description = "Delay between characters sent to the bootloader and at login: milliseconds, or a duration."
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
variable "pre_power_command" {
  default     = null
  description = "Run by a job's `command: {name: pre_power_command}` (e.g. switch a USB hub on)."
}
variable "pre_os_command" {
  default     = null
  description = "Run by a job's `command: {name: pre_os_command}`."
}

locals {
  console  = "console=${var.console_device},${var.baud_rate}n8"
  ip_args  = "ip=:::::eth0:dhcp"
  nfs_args = "root=/dev/nfs rw nfsroot={NFS_SERVER_IP}:{NFSROOTFS},tcp,hard${var.extra_nfsroot_args}"
}

connection "serial" {
  primary = true
  command = var.connection_command
  tags    = ["telnet"]
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

deploy "tftp" {}

# Secondary (ssh guest) connections take user/port/key/options from here.
deploy "ssh" {
  host          = ""
  user          = var.ssh_user
  port          = var.ssh_port
  identity_file = var.ssh_identity_file
  options       = var.ssh_options
}

boot "uefi-menu" {
  enabled           = var.uefi_menu
  interrupt_prompt  = var.menu_interrupt_prompt
  interrupt_string  = " "
  bootloader_prompt = "Start:"
  item_markup       = ["[", "]"]
  item_class        = "0-9"
  separator         = " "

  menu "pxe-grub" {
    select = [var.pxe_menu_item]
  }
}

boot "grub-efi" {
  uses_menu         = var.uefi_menu ? "uefi-menu/pxe-grub" : null
  bootloader_prompt = var.bootloader_prompt
  interrupt_prompt  = var.interrupt_prompt
  interrupt_char    = var.interrupt_char
  error_messages = [
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
    "Undefined OpCode Exception PC at",
    "Synchronous Exception at",
  ]

  # {SERVER_IP}, {KERNEL}... are filled in by the dispatcher at run time;
  # ${...} is resolved when the device file is loaded.
  commands "nfs" {
    lines = [
      "insmod gzio",
      trimspace("linux (tftp,{SERVER_IP})/{KERNEL} ${local.console} debug ${local.nfs_args} ${local.ip_args} ${var.extra_kernel_args}"),
      "initrd (tftp,{SERVER_IP})/{RAMDISK}",
      "boot",
    ]
  }

  commands "ramdisk" {
    lines = [
      "insmod gzio",
      trimspace("linux (tftp,{SERVER_IP})/{KERNEL} ${local.console} debug root=/dev/ram0 rw ${local.ip_args} ${var.extra_kernel_args}"),
      "initrd (tftp,{SERVER_IP})/{RAMDISK}",
      "boot",
    ]
  }
}

# Guests of a MultiNode job (connection: ssh) log in over ssh.
boot "ssh" {}

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
