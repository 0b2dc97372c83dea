# reference/lava-pipeline.md §5.3: mustang1 (mustang-grub-efi).
device "mustang1" {
  device_type = "mustang"
  vars {
    connection_command = "telnet serial4 7012"
    hard_reset_command = "/usr/local/lab-scripts/snmp_pdu_control --port 13 --hostname pdu15 --command reboot"
  }
}
