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
