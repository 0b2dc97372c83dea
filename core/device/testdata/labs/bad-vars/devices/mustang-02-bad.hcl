device "mustang-02" {
  device_type = "mustang"

  vars {
    conection_command  = "telnet serial4 7013"
    hard_reset_command = "pdu reboot 14"
    baud_rate          = "fast"
  }
}
