device "hello-01" {
  device_type = "ssh"
  vars {
    ssh_host = "localhost"
  }
}
