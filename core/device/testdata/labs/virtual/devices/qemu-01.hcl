device "qemu-01" {
  device_type = "mustang"
  worker      = "localhost"

  vars {
    connection_command = "socat - UNIX-CONNECT:/run/lavacore/qemu-01.sock"
    power_on_command   = "lavacore lab power on qemu-01"
    power_off_command  = "lavacore lab power off qemu-01"
    hard_reset_command = ["lavacore lab power off qemu-01", "lavacore lab power on qemu-01"]
    interrupt_prompt   = "Press enter to boot the selected OS"
    uefi_menu          = false
    extra_kernel_args  = "net.ifnames=0"
    ssh_identity_file  = "/var/lib/lavacore/lab/id_ed25519"
    baud_rate          = "115200"
  }
}
