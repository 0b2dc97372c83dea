# Defaults every device type starts from (LAVA's base.jinja2). The loader
# evaluates this file first; a device type's own blocks override it key by key,
# and a type may redeclare any of these variables to change its default.

variable "kernel_start_message" {
  default     = "Linux version [0-9]"
  description = "Regex that marks the start of the kernel boot (constant kernel-start-message)."
}
variable "lava_test_results_dir" {
  default     = "/lava-%s"
  description = "Where the test shell overlay lives on the device; %s is the job id."
}
variable "failure_retry" {
  default     = 1
  description = "Tries of a retry action when the job sets no failure_retry."
}
variable "boot_retry" {
  type        = number
  default     = null
  description = "Tries of boot retry actions (null: use failure_retry)."
}
variable "deploy_character_delay" {
  type        = any
  default     = 0
  description = "Delay between characters sent during deploy: milliseconds, or a duration like \"10ms\"."
}
variable "test_character_delay" {
  type        = any
  default     = 0
  description = "Delay between characters sent by the test shell: milliseconds, or a duration."
}

job_context = [
  "boot_retry",
  "deploy_character_delay",
  "failure_retry",
  "kernel_start_message",
  "lava_test_results_dir",
  "test_character_delay",
]

character_delays {
  deploy = var.deploy_character_delay
  test   = var.test_character_delay
}

constants {
  shutdown-message     = "The system is going down for reboot NOW"
  kernel-start-message = var.kernel_start_message
  default-shell-prompt = "lava-test: # "
  spawn_maxread        = "4092"
  failure_retry        = var.failure_retry
  boot_retry           = var.boot_retry

  posix {
    lava_test_sh_cmd      = "/bin/sh"
    lava_test_results_dir = var.lava_test_results_dir
    lava_test_shell_file  = "~/.bashrc"
  }

  u-boot {
    interrupt-prompt    = "Hit any key to stop autoboot"
    interrupt-character = " "
    final-message       = "Starting kernel"
  }

  grub {
    interrupt-prompt    = "for a command-line"
    interrupt-character = "c"
    interrupt-newline   = false
    error-messages = [
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

  grub-efi {
    interrupt-prompt    = "for a command-line"
    interrupt-character = "c"
    error-messages = [
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
  }
}

timeouts {
  actions = {
    "download-retry"       = "15m"
    "http-download"        = "5m"
    "nfs-deploy"           = "10m"
    "lava-test-shell"      = "3m"
    "power-off"            = "10s"
    "pdu-reboot"           = "30s"
    "reset-device"         = "30s"
    "bootloader-commands"  = "3m"
    "bootloader-interrupt" = "30s"
    "auto-login-action"    = "2m"
    "bootloader-action"    = "3m"
    "bootloader-retry"     = "3m"
    "boot-qemu-image"      = "2m"
    "boot-image-retry"     = "2m"
  }
  connections = {
    "bootloader-commands"  = "30s"
    "bootloader-interrupt" = "30s"
    "auto-login-action"    = "2m"
    "lava-test-shell"      = "10s"
  }
}

# Consoles. A `connection "NAME" {}` block (in a device type, or in a device
# file, where it replaces the type's block of the same name and keeps its
# `primary` unless it sets one) takes exactly one of these forms; null counts
# as unset, so a type may offer several through variables:
#
#   connection "serial" {               # LAVA's connection_command, under a pty
#     primary = true
#     command = var.connection_command  # e.g. "telnet serial4 7012"
#     tags    = ["telnet"]              # how to disconnect (LAVA's tags)
#   }
#   connection "serial" {               # a serial port the dispatcher opens itself
#     serial {                          # (raw, locked for this job alone)
#       port         = "/dev/ttyUSB0"   # absolute path; /dev/serial/by-id/… is stable
#       baud         = 115200           # default 115200
#       data_bits    = 8                # 5, 6, 7 or 8; default 8
#       parity       = "none"           # none, odd, even, mark, space; default none
#       stop_bits    = 1                # 1 or 2; default 1
#       flow_control = "none"           # none, rtscts, xonxoff; default none
#     }
#   }
#   connection "uart0" { tcp = "127.0.0.1:7001" }     # a TCP console (ser2net, a relay)
#   connection "uart1" { unix = "/run/board.sock" }   # a unix stream socket
#
# Two forms in one block are an error at the second. A device whose own block
# replaces every use of a required variable (mustang's connection_command)
# need not set it. Connections are evaluated without the job's context: a
# job can never change a console's command, port or address, even through a
# variable listed in job_context.
