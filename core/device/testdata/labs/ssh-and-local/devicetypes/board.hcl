device_type "board" {
  description = "A lab-local type"
  arch        = "amd64"
  job_context = ["console"]
}

variable "console" { default = "ttyS1" }
variable "speed" {
  type    = number
  default = 9600
}

locals {
  full  = "${local.base},${var.speed}"
  base  = "console=${var.console}"
  upper = upper(local.full)
}

connection "uart0" {
  primary = true
  command = "telnet ser2net 7001"
  tags    = ["primary", "telnet"]
}

power {
  power_on = ["pdu on 1", "sleep 1"]
}

character_delays {
  boot   = 5
  deploy = "1ms"
}

constants {
  kernel-start-message = "Booting Linux"
  grub-efi {
    interrupt-prompt = "Press any key"
  }
}

boot "u-boot" {
  commands "ramdisk" {
    lines = ["setenv bootargs '${local.upper} {EXTRA}'", "bootz {KERNEL_ADDR} {RAMDISK_ADDR} {DTB_ADDR}"]
  }
  commands "nfs" {
    lines   = ["bootz"]
    comment = "not collapsed: two attributes"
  }
  menu "a" "b" {
    select = ["x"]
  }
  literal = "$${KEEP} %%{KEEP} {SERVER_IP}"
  nothing = null
}

boot "disabled" {
  enabled = false
}

timeouts {
  actions     = { "power-off" = 5, "bootloader-commands" = "1m30s" }
  connections = { "lava-test-shell" = "5s" }
}

environment = {
  LAB_NAME = "testlab"
  SPEED    = var.speed
}
