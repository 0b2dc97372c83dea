device "mustang-01" {
  device_type = "mustang"
  worker      = "worker-a"
  tags        = ["rack-3", "pdu15"]

  vars {
    connection_command = "telnet serial4 7012"
    hard_reset_command = "/usr/local/lab-scripts/snmp_pdu_control --port 13 --hostname pdu15 --command reboot"
    power_off_command  = "/usr/local/lab-scripts/snmp_pdu_control --port 13 --hostname pdu15 --command off"
    extra_kernel_args  = "earlycon"
  }
}
