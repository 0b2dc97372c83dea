// Package device loads HCL device types, devices and lab configuration.
//
// # Lab directory
//
//	<lab>/lab.hcl             lab { dispatcher_ip, tftp_root, nfs_root, http_root?, coordinator?, allowed_file_dirs?, cache_dir?, cache_size? }
//	<lab>/devices/*.hcl       device "NAME" { … }  (several per file allowed)
//	<lab>/devicetypes/*.hcl   device types; they shadow the built-in ones (package devicetypes)
//
// Relative paths in lab.hcl resolve against the lab directory; coordinator is
// host:port ("" = the embedded coordinator).
//
// # Device type file
//
//	device_type "NAME" { description, arch, job_context = ["var", …] }
//	variable "x" { type = string|number|bool|list(string)|any…, default = …, description = "…" }
//	    no default: every device must set it; no type: the default's primitive type, else any
//	locals { name = expr … }                 may use var.* and other locals
//	connection "serial" { primary = true, command = var.connection_command, tags = ["telnet"] }
//	connection "serial" { serial { port = "/dev/ttyUSB0", baud = 115200, data_bits = 8,
//	    parity = "none", stop_bits = 1, flow_control = "none"|"rtscts"|"xonxoff" } }
//	connection "uart0" { tcp = "host:7001" }   connection "uart1" { unix = "/run/x.sock" }
//	    exactly one form per block (null is unset); see devicetypes/_base.hcl
//	power { power_on = …, power_off = …, hard_reset = …, pre_power_command = …, pre_os_command = … }
//	    each a string, a list of strings, or null
//	user_command "NAME" { do = "…", undo = "…" }   a command a job's `command: {name: NAME}` runs
//	    on the dispatcher (do; undo in cleanup; each a string or a list); a null do removes it
//	character_delays { deploy = …, boot = "10ms", test = … }   a number means milliseconds
//	constants { kernel-start-message = "…", grub-efi { interrupt-prompt = "…" } … }
//	deploy "tftp" {}   deploy "ssh" { host, port, user, identity_file, options }
//	boot "grub-efi" { bootloader_prompt = "grub>", commands "nfs" { lines = [ … ] } }
//	boot "uefi-menu" { enabled = var.uefi_menu, menu "pxe-grub" { select = [ … ] } }
//	timeouts { actions = { "power-off" = "20s" }, connections = { … } }   a number means seconds;
//	    null removes a timeout the base set
//	dynamic "connection" { for_each = …, labels = [connection.key], content { … } }
//	    HCL's dynamic blocks, for connection and user_command blocks only: their
//	    names may come from variables (LAVA's connection_list)
//	environment = { NAME = "value" }
//	parameters { bootz = { kernel = "0x82000000" … }, media = { … } }   LAVA's device parameters
//	section_parameters "deploy" { add_header = "u-boot", mkimage_arch = "arm" }   actions.deploy.parameters
//	extra = { "commands.soft_reboot" = "…" }   LAVA keys lavacore does not use (yet), by YAML path
//
// A header with `standalone = true` does not start from _base.hcl: `lavacore
// devices import` writes such types from LAVA's rendered device files, which
// already hold base.jinja2's values. Devices can also come from those files
// directly (package lavayaml, Lab.AddDevice).
//
// A header with `base = "NAME"` extends the shared base _NAME.hcl (e.g.
// `device_type "x15" { base = "base-uboot" }` and _base-uboot.hcl, LAVA's
// base-uboot.jinja2): it is evaluated after _base.hcl and before the type's
// own file, with the same rules (variables, locals, a top-level job_context,
// blocks merged key by key). A base file declares no device_type; the lab's
// _NAME.hcl shadows the built-in one. A standalone type names no base.
//
// devicetypes/_base.hcl (the lab's, else the built-in one) is evaluated first
// for every type: it holds LAVA's base.jinja2 defaults (constants, default
// timeouts) and may declare variables and a top-level job_context. The type's
// own blocks then override it key by key (constants deep-merged; methods,
// connections, timeouts and delays by name).
//
// # Device file
//
//	device "mustang-01" {
//	  device_type = "mustang"
//	  worker      = "worker-a"      # optional
//	  tags        = ["rack-3"]      # optional
//	  vars { connection_command = "telnet serial4 7012" … }
//	  user_command "usb_on" { do = "…", undo = "…" }   # optional; overrides the type's by name
//	  connection "serial" { serial { port = "/dev/ttyUSB0" } }  # optional; replaces the type's
//	                                  # by name (keeping its primary); no connection_command needed then
//	}
//
// # Values and placeholders
//
// Variables resolve as type default < device file vars < job context (only for
// names the type lists in job_context), each keeping its Origin and file:line
// (Device.Vars). Connection blocks are evaluated without the job context: a
// console's command, port or address is the lab's, never a job's. `${var.x}` and `${local.x}` are resolved at load time; LAVA's
// run-time placeholders ({SERVER_IP}, {KERNEL}, {RAMDISK}, {NFSROOTFS},
// {NFS_SERVER_IP}, {DTB} …) are plain text to HCL and stay in the strings for
// the method plugin. Write `$${` or `%%{` for a literal `${` or `%{`.
//
// Method blocks are decoded with the hcldec spec built from the plugin's
// sdk.BlockSpec (LoadOptions.Spec), or generically; Device.Methods documents
// the resulting shape. Errors are hcl.Diagnostics with source ranges; print
// them with WriteDiagnostics.
package device
