device "broken-01" {
  device_type = "broken"
}
