device "ssh-host-01" {
  device_type = "ssh"
  vars {
    ssh_host = "localhost"
    ssh_port = 8022
  }
}

device "board-01" {
  device_type = "board"
  tags        = ["x86"]
}
