# LAVA's bbb-01, bbb-02 and bbb-03 dictionaries. Their interfaces, sysfs,
# mac_addr, tags and map (VLANd) are not used by LAVA's U-Boot templates and
# are left out.
device "bbb-01" {
  device_type = "beaglebone-black"
  vars {
    usb_uuid           = "usb-SanDisk_Ultra_20060775320F43006019-0:0"
    usb_device_id      = 0
    connection_command = "telnet localhost 6000"
    hard_reset_command = "/usr/bin/pduclient --daemon localhost --hostname pdu --command reboot --port 08"
    power_off_command  = "/usr/bin/pduclient --daemon localhost --hostname pdu --command off --port 08"
    power_on_command   = "/usr/bin/pduclient --daemon localhost --hostname pdu --command on --port 08"
    bootloader_prompt  = "=>"
  }
}

device "bbb-02" {
  device_type = "beaglebone-black"
  vars {
    usb_uuid            = "usb-SanDisk_Ultra_20060775320F43006019-0:0"
    usb_device_id       = 0
    connection_commands = { uart0 = "telnet localhost 6000" }
    connection_list     = ["uart0"]
    connection_tags     = { uart0 = ["primary", "telnet"] }
    hard_reset_command  = ["/usr/bin/pduclient --daemon localhost --hostname pdu --command reboot --port 08", "/bin/sleep 1"]
    power_off_command   = "/usr/bin/pduclient --daemon localhost --hostname pdu --command off --port 08"
    power_on_command    = "/usr/bin/pduclient --daemon localhost --hostname pdu --command on --port 08"
    bootloader_prompt   = "=>"
  }
}

device "bbb-03" {
  device_type = "beaglebone-black"
  vars {
    usb_uuid            = "usb-SanDisk_Ultra_20060775320F43006019-0:0"
    usb_device_id       = 0
    connection_commands = { uart0 = "telnet localhost 6000" }
    connection_tags     = { uart0 = ["primary", "telnet"] }
    connection_list     = ["uart0"]
    hard_reset_command  = "/usr/bin/pduclient --daemon localhost --hostname pdu --command reboot --port 08"
    power_off_command   = "/usr/bin/pduclient --daemon localhost --hostname pdu --command off --port 08"
    power_on_command    = "/usr/bin/pduclient --daemon localhost --hostname pdu --command on --port 08"
  }
}
