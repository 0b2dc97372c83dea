device "sshpdu-01" {
  device_type = "sshpdu"
  vars {
    host = "10.0.0.5"
  }
}

device "badref-01" {
  device_type = "badref"
}
