device "mustang-03" {
  device_type = "mustang"
  wroker      = "worker-a"

  vars {
    connection_command = "telnet serial4 7014"
    hard_reset_command = "pdu reboot 15"
  }
}
