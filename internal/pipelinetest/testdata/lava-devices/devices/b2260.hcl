# LAVA's b2260-01 dictionary; its user_commands are user_command blocks.
device "b2260-01" {
  device_type = "b2260"
  vars {
    hard_reset_command      = "/usr/local/lab-scripts/snmp_pdu_control --port 13 --hostname pdu15 --command reboot"
    power_off_command       = ["/usr/local/lab-scripts/snmp_pdu_control --port 13 --hostname pdu15 --command off", "sleep 10"]
    connection_list         = ["uart0"]
    connection_tags         = { uart0 = ["primary", "telnet"] }
    connection_commands     = { uart0 = "telnet localhost 7107" }
    power_on_command        = "/usr/local/lab-scripts/snmp_pdu_control --port 13 --hostname pdu15 --command on"
    uboot_mac_addr          = "00:80:e1:12:81:30"
    flasher_deploy_commands = ["echo \"flashing\"", "/bin/true"]
  }
  user_command "set_boot_to_usb" {
    do   = "/bin/true"
    undo = "/bin/true"
  }
  user_command "set_boot_to_sd" {
    do   = "/bin/true"
    undo = "/bin/true"
  }
}
