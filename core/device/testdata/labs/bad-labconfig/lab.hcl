lab {
  dispatcher_ip = "10.0.0.1"
  tftp_root     = "/srv/tftp"
  nfs_rot       = "/srv/nfs"
}
