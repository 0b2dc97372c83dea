# LAVA's x15-01 dictionary (adb_serial_number and device_info are set from
# fastboot_serial_number there).
device "x15-01" {
  device_type = "x15"
  vars {
    connection_command     = "telnet localhost 7020"
    fastboot_serial_number = "100040061d1e00e2"
    adb_serial_number      = "100040061d1e00e2"
    device_info            = [{ board_id = "100040061d1e00e2" }]
    hard_reset_command     = ["/usr/local/lab-scripts/snmp_pdu_control --hostname pdu14 --command reboot --port 5 --delay 20", "/usr/local/lab-scripts/eth008_control -a 10.0.9.2 -r 3 -s onoff"]
    power_on_command       = ["/usr/local/lab-scripts/snmp_pdu_control --hostname pdu14 --command on --port 5 --delay 20", "/usr/local/lab-scripts/eth008_control -a 10.0.9.2 -r 3 -s onoff"]
    power_off_command      = "/usr/local/lab-scripts/snmp_pdu_control --hostname pdu14 --command off --port 5 --delay 20"
    flash_cmds_order       = ["update", "ptable", "partition", "hyp", "modem", "rpm", "sbl1", "sbl2", "sec", "tz", "aboot", "boot", "rootfs", "vendor", "system", "cache", "userdata"]
  }
}
