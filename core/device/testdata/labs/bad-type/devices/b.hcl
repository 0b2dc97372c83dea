device "ssh-01" {
  device_type = "ssh"
  vars {
    ssh_host = "h2"
  }
}
