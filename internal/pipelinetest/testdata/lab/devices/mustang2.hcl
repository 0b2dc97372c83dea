# A mustang with device commands for `command:` blocks (LAVA's commands.users
# and the builtin pre_power_command).
device "mustang2" {
  device_type = "mustang"
  vars {
    connection_command = "telnet serial4 7013"
    hard_reset_command = "/usr/local/lab-scripts/snmp_pdu_control --port 14 --hostname pdu15 --command reboot"
    pre_power_command  = "/usr/local/lab-scripts/usb-hub --port 3 on"
  }

  user_command "usb_on" {
    do   = "/usr/local/lab-scripts/usb-hub --port 4 on"
    undo = "/usr/local/lab-scripts/usb-hub --port 4 off"
  }
  user_command "flash_relay" {
    do = ["/usr/local/lab-scripts/relay 2 on", "/usr/local/lab-scripts/relay 2 off"]
  }
}
