# The pipeline tests' lab: LAVA's mustang1 test device and a primary ssh host.
lab {
  dispatcher_ip = "192.168.0.2"
  tftp_root     = "/srv/tftp"
  nfs_root      = "/var/lib/lava/dispatcher/tmp"
}
