# An example lab: one mustang board behind a serial console server and a PDU.
# Relative paths resolve against this directory.
lab {
  dispatcher_ip = "192.168.0.2"
  tftp_root     = "/srv/tftp"
  nfs_root      = "/var/lib/lava/dispatcher/tmp"
  http_root     = "http"
  # coordinator = "coordinator.example:3079"  # empty: embedded coordinator
  # the only directories file:// URLs may read from (none: file:// is refused)
  allowed_file_dirs = ["http"]
}
