# The virtual lab's ARM board (lab/arm.go writes the same file):
# examples/jobs/uboot-*.yaml build their pipelines on it.
device "arm-01" {
  device_type = "qemu-uboot-arm64"
  vars {
    connection_command = "socat -,raw,echo=0 TCP:127.0.0.1:7101"
    power_on_command   = "lavacore lab power on arm-01"
    power_off_command  = "lavacore lab power off arm-01"
    hard_reset_command = "lavacore lab power reset arm-01"
  }
}
