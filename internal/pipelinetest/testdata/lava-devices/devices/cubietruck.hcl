# LAVA's ct-01, cubie1 and cubie2 dictionaries (VLANd values left out).
device "ct-01" {
  device_type = "cubietruck"
}

device "cubie1" {
  device_type = "cubietruck"
  vars {
    usb_label          = "SanDisk_Ultra"
    usb_uuid           = "usb-SanDisk_Ultra_20060775320F43006019-0:0"
    sata_label         = "ST160LM003"
    sata_uuid          = "ata-ST160LM003_HN-M160MBB_S2SYJ9KC102184"
    connection_command = "telnet localhost 6002"
  }
}

device "cubie2" {
  device_type = "cubietruck"
  vars {
    usb_label          = "SanDisk_Ultra"
    usb_uuid           = "usb-SanDisk_Ultra_20060775320F43006019-0:0"
    sata_label         = "ST160LM003"
    sata_uuid          = "ata-ST160LM003_HN-M160MBB_S2SYJ9KC102184"
    connection_command = "telnet localhost 6002"
  }
}
