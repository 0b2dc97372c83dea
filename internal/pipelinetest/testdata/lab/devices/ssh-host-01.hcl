# reference/lava-pipeline.md §5.4: ssh-host-01 (ssh.jinja2).
device "ssh-host-01" {
  device_type = "ssh"
  vars {
    ssh_host = "localhost"
    ssh_port = 8022
  }
}
