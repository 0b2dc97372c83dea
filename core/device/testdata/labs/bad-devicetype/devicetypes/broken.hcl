device_type "broken" {
  job_context = ["speeed"]
}

variable "speed" {
  type    = number
  default = "slow"
}
variable "a" { default = 1 }

locals {
  x = local.y
  y = local.x
}

bot "grub-efi" {}

timeouts {
  actions = { "power-off" = "soon" }
}
