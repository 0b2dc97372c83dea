# LAVA's juno-uboot-01 dictionary.
device "juno-uboot-01" {
  device_type = "juno-uboot"
  vars {
    connection_command = "telnet serial4 7001"
    hard_reset_command = "/usr/local/lab-scripts/snmp_pdu_control --hostname pdu18 --command reboot --port 10 --delay 10"
    power_off_command  = "/usr/local/lab-scripts/snmp_pdu_control --hostname pdu18 --command off --port 10 --delay 10"
    power_on_command   = "/usr/local/lab-scripts/snmp_pdu_control --hostname pdu18 --command on --port 10 --delay 10"
    usb_label          = "SanDiskCruzerBlade"
    usb_uuid           = "usb-SanDisk_Cruzer_Blade_20060266531DA442AD42-0:0"
    usb_device_id      = 0
  }
}
