lab {
  dispatcher_ip = "127.0.0.1"
  tftp_root     = "/tmp/lavacore-hello/tftp"
  nfs_root      = "/tmp/lavacore-hello/nfs"
}
