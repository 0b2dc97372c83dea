device "x-01" {
  device_type = "mustnag"
}

device "ssh-01" {
  device_type = "ssh"
  vars {
    ssh_host = "h1"
  }
}
