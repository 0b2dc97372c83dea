device_type "sshpdu" {
  description = "ssh device with a PDU (LAVA rejects this)"
}

variable "host" {}

power {
  hard_reset = "pdu reboot 3"
}

deploy "ssh" {
  host = var.host
  port = 22
}
