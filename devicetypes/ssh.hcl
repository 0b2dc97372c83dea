# A device reached over ssh only (LAVA's ssh.jinja2): no console command and
# no power control; deploy "ssh" copies the overlay, boot "ssh" logs in.
device_type "ssh" {
  description = "A host reached over ssh (primary ssh device)"
  arch        = "any"
  job_context = []
}

variable "ssh_host" {
  type        = string
  description = "Address of the host."
}
variable "ssh_port" {
  default     = 22
  description = "ssh port."
}
variable "ssh_user" {
  default     = "root"
  description = "Login user."
}
variable "ssh_identity_file" {
  default     = "dynamic_vm_keys/lava"
  description = "Private key (relative paths are resolved by the ssh method)."
}
variable "ssh_options" {
  type        = list(string)
  default     = ["-o", "Compression=yes", "-o", "PasswordAuthentication=no", "-o", "LogLevel=FATAL"]
  description = "Extra ssh options."
}

deploy "ssh" {
  host          = var.ssh_host
  port          = var.ssh_port
  user          = var.ssh_user
  identity_file = var.ssh_identity_file
  options       = var.ssh_options
}

boot "ssh" {}
