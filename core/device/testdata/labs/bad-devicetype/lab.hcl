lab {
  dispatcher_ip = "10.0.0.1"
  tftp_root     = "tftp"
  nfs_root      = "/srv/nfs"
}
