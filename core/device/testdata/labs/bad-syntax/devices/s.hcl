device "s-01" {
  device_type = "ssh"
  vars {
    ssh_host = "h1
  }
}
