device_type "badref" {}

variable "port" { default = 22 }

deploy "ssh" {
  port = var.prot
}
