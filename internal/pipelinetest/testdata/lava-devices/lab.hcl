# The LAVA test devices of the built-in U-Boot device types, written as HCL
# devices from their dictionaries (../shared/lava-fixtures/devices/*.jinja2).
lab {
  dispatcher_ip = "192.0.2.1"
  tftp_root     = "tftp"
  nfs_root      = "nfs"
}
