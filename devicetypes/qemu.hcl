# QEMU (LAVA's qemu.jinja2): the dispatcher starts qemu-system-<arch> itself
# with the options below and the job's image_arg's; QEMU's stdio is the
# console. A job names its architecture in `context: {arch: …}`, and may set
# the other job_context variables (memory, machine, cpu, netdevice …).
device_type "qemu" {
  description = "QEMU virtual machine started by the dispatcher (boot qemu / qemu-nfs)"
  arch        = "any"
  job_context = [
    "arch", "boot_console", "boot_root", "console_device", "cpu", "extra_options",
    "guestfs_driveid", "guestfs_interface", "guestfs_size", "machine", "mac_addr",
    "memory", "model", "monitor", "netdevice", "no_kvm", "no_network", "serial", "vga",
  ]
}

variable "arch" {
  default     = "amd64"
  description = "The guest architecture (the job's context arch): selects qemu-system-<arch> and its defaults."
}
variable "memory" {
  default     = 512
  description = "Guest memory in MB (-m)."
}
variable "machine" {
  default     = null
  description = "-machine (default per arch: virt for arm/arm64/riscv64, pc for i386, malta for mips …)."
}
variable "cpu" {
  default     = null
  description = "-cpu (default per arch: cortex-a57 for arm/arm64, rv64 for riscv64, core2duo for i386)."
}
variable "no_kvm" {
  default     = false
  description = "true: no -enable-kvm -cpu host on x86 (TCG)."
}
variable "no_network" {
  default     = false
  description = "true: -net none."
}
variable "model" {
  default     = "model=virtio"
  description = "The NIC model of -net nic."
}
variable "mac_addr" {
  default     = "52:54:00:12:34:58"
  description = "The guest NIC's MAC address."
}
variable "netdevice" {
  default     = "user"
  description = "The -net backend (user, tap …)."
}
variable "monitor" {
  default     = "none"
  description = "-monitor."
}
variable "vga" {
  default     = null
  description = "arm/arm64: an extra option such as \"-vga none\"."
}
variable "serial" {
  default     = null
  description = "arm/arm64: an extra option such as \"-serial stdio\"."
}
variable "extra_options" {
  type        = list(string)
  default     = []
  description = "More QEMU options, after the others (LAVA's extra_options)."
}
variable "available_architectures" {
  type        = list(string)
  default     = ["arm64", "arm", "aarch64", "amd64", "x86_64", "hppa", "i386", "mips", "mipsel", "mips64", "mips64el", "nios2", "ppc", "ppc64", "ppc64le", "riscv32", "riscv64", "sparc", "sparc64", "alpha", "cris", "lm32", "m68k", "microblaze", "microblazeel", "moxie", "or32", "s390x", "sh4", "sh4eb", "tricore", "unicore32", "xtensa", "xtensaeb"]
  description = "The arch values a job's context may name."
}
variable "guestfs_size" {
  default     = 512
  description = "Size (MB) of the drive that carries the test-shell overlay."
}
variable "guestfs_interface" {
  default     = null
  description = "Its interface (default: ide on x86, virtio elsewhere)."
}
variable "guestfs_driveid" {
  default     = "lavatest"
  description = "Its drive id."
}
variable "console_device" {
  default     = "ttyAMA0"
  description = "qemu-nfs: the kernel console."
}
variable "boot_root" {
  default     = null
  description = "Installers: the root device (boot_options)."
}
variable "boot_console" {
  default     = null
  description = "Installers: the console (boot_options)."
}

locals {
  command = (contains(["arm64", "aarch64"], var.arch) ? "qemu-system-aarch64" :
  contains(["amd64", "x86_64"], var.arch) ? "qemu-system-x86_64" : "qemu-system-${var.arch}")
  is_arm = contains(["arm64", "aarch64", "arm"], var.arch)
  # per-arch -machine and -cpu defaults (LAVA's qemu.jinja2)
  machine_archs = ["hppa", "m68k", "mips", "mips64", "nios2", "ppc", "ppc64", "riscv64", "sparc", "sparc64", "xtensa", "i386"]
  machine_defaults = {
    hppa  = "hppa", m68k = "mcf5208evb", mips = "malta", mips64 = "malta", nios2 = "10m50-ghrd", ppc = "g3beige",
    ppc64 = "pseries", riscv64 = "virt", sparc = "SS-5", sparc64 = "sun4u", xtensa = "sim", i386 = "pc",
  }
  machine = (var.machine != null ? var.machine : local.is_arm ? "virt" :
  contains(local.machine_archs, var.arch) ? local.machine_defaults[var.arch] : "")
  cpu = (var.cpu != null ? var.cpu : local.is_arm ? "cortex-a57" : var.arch == "riscv64" ? "rv64" :
  var.arch == "i386" ? "core2duo" : "")
  # i386 and riscv64 take -cpu after/before -machine as LAVA writes them
  arch_options = (local.is_arm ? concat(["-cpu ${local.cpu}", "-machine ${local.machine}"],
    var.vga != null ? [var.vga] : [], var.serial != null ? [var.serial] : []) :
    var.arch == "i386" ? ["-cpu ${local.cpu}", "-machine ${local.machine}"] :
    var.arch == "riscv64" ? ["-machine ${local.machine}", "-cpu ${local.cpu}"] :
  local.machine != "" ? ["-machine ${local.machine}"] : [])
  kvm = !local.is_arm && !var.no_kvm ? ["-cpu host", "-enable-kvm"] : []
  options = concat(
    local.arch_options,
    local.kvm,
    ["-nographic"],
    var.no_network ? ["-net none"] : ["-net nic,${var.model},macaddr=${var.mac_addr} -net ${var.netdevice}"],
    ["-m ${var.memory}", "-monitor ${var.monitor}"],
  )
  boot_options = {
    root    = var.boot_root != null ? var.boot_root : (local.is_arm ? "/dev/vda2 rw rootwait" : "/dev/sda1")
    console = var.boot_console != null ? var.boot_console : (local.is_arm ? "ttyAMA0 115200" : "ttyS0,115200")
  }
}

deploy "image" {
  guest = {
    size      = var.guestfs_size
    interface = var.guestfs_interface != null ? var.guestfs_interface : (contains(["amd64", "x86_64", "i386"], var.arch) ? "ide" : "virtio")
    driveid   = var.guestfs_driveid
  }
}
deploy "nfs" {}

boot "minimal" {}

boot "qemu" {
  command                 = local.command
  boot_options            = local.boot_options
  options                 = local.options
  extra                   = var.extra_options
  available_architectures = var.available_architectures
}

boot "qemu-nfs" {
  command                 = local.command
  boot_options            = local.boot_options
  options                 = local.options
  extra                   = var.extra_options
  available_architectures = var.available_architectures
  append = {
    console     = var.console_device
    root        = "/dev/nfs"
    nfsrootargs = "nfsroot={NFS_SERVER_IP}:{NFSROOTFS},tcp,hard"
    ipargs      = "ip=dhcp"
  }
}
