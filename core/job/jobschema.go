package job

import (
	"fmt"
	"regexp"

	"gopkg.in/yaml.v3"
)

// ContextVariables are the keys LAVA accepts in a job's `context:` (CONTEXT_VARIABLES).
var ContextVariables = []string{
	// qemu
	"arch", "boot_console", "boot_root", "cpu", "extra_options", "guestfs_driveid", "guestfs_interface",
	"guestfs_size", "machine", "memory", "model", "monitor", "netdevice", "no_kvm", "no_network", "serial", "vga",
	// u-boot
	"bootm_kernel_addr", "bootm_ramdisk_addr", "bootm_dtb_addr", "bootz_kernel_addr", "bootz_ramdisk_addr",
	"bootz_dtb_addr", "booti_kernel_addr", "booti_ramdisk_addr", "booti_dtb_addr",
	// others
	"deploy_character_delay", "boot_character_delay", "boot_retry", "bootloader_prompt", "console_device",
	"custom_kernel_args", "extra_kernel_args", "extra_nfsroot_args", "failure_retry", "kernel_loglevel",
	"kernel_start_message", "lava_test_results_dir", "menu_interrupt_prompt", "mustang_menu_list",
	"test_character_delay", "tftp_mac_address", "uboot_extra_error_message", "uboot_needs_interrupt", "uboot_altbank",
}

// methods lists the deploy `to:` and boot `method:` values LAVA knows: all
// of LAVA HEAD's (lava_common/schemas/deploy and boot, 2026-08), lxc (LAVA
// dropped it in 2026-02) and names lavacore accepted before that no LAVA
// schema has (kept so that jobs valid before stay valid). Beyond the ones lavacore checks in full (deploy
// tftp/nfs/ssh, boot grub/grub-efi/ssh/minimal), they are known by name and
// checked only for the keys every action accepts; whether a device can run
// them is the pipeline's question ("None of the strategies accepted …").
var methods = map[string]map[string]bool{
	"deploy": set(
		// LAVA HEAD
		"avh", "docker", "download", "downloads", "fastboot", "flasher", "fvp", "iso-installer", "mps", "musca",
		"nbd", "nfs", "overlay", "qdl", "recovery", "sata", "sd", "ssh", "tftp", "tmpfs", "u-boot-ums", "usb",
		"usbg-ms", "uuu", "vemsd",
		// lxc: older LAVA; the rest: no LAVA schema has them
		"lxc", "image", "recovery-mode", "android-projects", "qemu-nbd"),
	"boot": set(
		// LAVA HEAD
		"avh", "barebox", "bootloader", "cmsis-dap", "depthcharge", "dfu", "docker", "fastboot", "fvp", "gdb",
		"grub", "grub-efi", "ipxe", "jlink", "kexec", "minimal", "monitor", "musca", "new_connection",
		"nodebooter", "openocd", "pyocd", "qdl", "qemu", "qemu-iso", "qemu-nfs", "recovery", "schroot", "ssh",
		"u-boot", "uefi", "uefi-menu", "uuu",
		// lxc: older LAVA; the rest: no LAVA schema has them
		"lxc", "secondary", "u-boot-ums", "mps"),
}

func set(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

var nameRE = regexp.MustCompile(`^[-_a-zA-Z0-9.]+$`)

func contextSchema() schema {
	s := schema{}
	for _, k := range ContextVariables {
		s[k] = opt(contextValue)
	}
	s["lava_test_results_dir"] = opt(resultsDir)
	for _, k := range []string{"deploy_character_delay", "boot_character_delay", "test_character_delay"} {
		s[k] = opt(contextNumber(0, MaxCharacterDelay, "milliseconds per character"))
	}
	for _, k := range []string{"failure_retry", "boot_retry"} {
		s[k] = opt(contextNumber(0, MaxRetries, "retries"))
	}
	return s
}

func contextValue(v *validator, n *yaml.Node, path string) {
	switch {
	case isScalar(n) && !isNull(n):
	case isSeq(n):
		for i, c := range resolve(n).Content {
			if !isScalar(c) {
				v.errAt(c, fmt.Sprintf("%s[%d]", path, i), "expected int or str")
			}
		}
	default:
		v.errAt(n, path, "expected int, str or a list of them")
	}
}

func visibility(v *validator, n *yaml.Node, path string) {
	if isStr(n) && (resolve(n).Value == "public" || resolve(n).Value == "personal") {
		return
	}
	if isMap(n) && len(pairs(n)) == 1 && get(n, "group") != nil && isSeq(get(n, "group")) {
		return
	}
	v.errAt(n, path, "not a valid value for dictionary value")
}

func priority(v *validator, n *yaml.Node, path string) {
	if i, ok := intOf(n); ok {
		if i < 0 || i > 100 {
			v.errAt(n, path, "value must be between 0 and 100")
		}
		return
	}
	enum("high", "medium", "low")(v, n, path)
}

func timeoutsSchema() schema {
	return schema{
		"job":         req(timeoutValue),
		"action":      opt(timeoutValue),
		"connection":  opt(timeoutValue),
		"queue":       opt(timeoutValue),
		"actions":     opt(timeoutMap),
		"connections": opt(timeoutMap),
	}
}

func roleSchema() schema {
	return schema{
		"count":       req(intRange(0, MaxGroupSize, "sub-jobs of a group")),
		"device_type": opt(strLen(1, 200)),
		"connection":  opt(nonEmptyStr),
		"host_role":   opt(nonEmptyStr),
		"expect_role": opt(nonEmptyStr),
		"request":     opt(nonEmptyStr),
		"timeout":     opt(timeoutValue),
		"context":     opt(dict(contextSchema())),
		"tags":        opt(list(scalarStr)),
		"environment": opt(dict(schema{"*": opt(anyValue)})),
		"essential":   opt(boolean),
		"device":      opt(strLen(1, 200)),
		"worker":      opt(strLen(1, 200)),
	}
}

func protocolsSchema() schema {
	return schema{
		"lava-multinode": opt(multinodeCheck),
		"lava-xnbd":      opt(dict(schema{"port": opt(anyValue), "timeout": opt(timeoutValue)})),
	}
}

// multinodeCheck accepts a submission's block (roles → role parameters) or a
// sub-job's block after the split (target_group, role, roles → job id map …).
func multinodeCheck(v *validator, n *yaml.Node, path string) {
	if subJobBlock(n) {
		v.mapping(n, path, schema{
			"target_group": req(nonEmptyStr),
			"role":         req(nonEmptyStr),
			"roles":        opt(strMap),
			"group_size":   req(intMin(1)),
			"sub_id":       opt(scalarStr),
			"request":      opt(nonEmptyStr),
			"expect_role":  opt(nonEmptyStr),
			"host_role":    opt(nonEmptyStr),
			"timeout":      opt(timeoutValue),
			"essential":    opt(boolean),
			"tags":         opt(list(scalarStr)),
			"environment":  opt(dict(schema{"*": opt(anyValue)})),
			"device":       opt(nonEmptyStr),
			"worker":       opt(nonEmptyStr),
		})
		return
	}
	v.mapping(n, path, schema{"roles": req(rolesCheck), "timeout": opt(timeoutValue), "target_group": opt(placeholderGroup)})
}

// subJobBlock reports whether a lava-multinode block is a sub-job's: it has a
// target_group and its roles are not a submission's (role name → role
// parameters). LAVA's docker-test-multinode sample is a submission with a
// placeholder target_group "only for unittest support", which LAVA's
// non-strict validation accepts.
func subJobBlock(n *yaml.Node) bool {
	if get(n, "target_group") == nil {
		return false
	}
	roles := pairs(get(n, "roles"))
	for _, p := range roles {
		if !isMap(p.Value) {
			return true
		}
	}
	return len(roles) == 0
}

// placeholderGroup is a submission's target_group: accepted (as LAVA's
// non-strict validation does), unused, since Split gives each run its group.
func placeholderGroup(v *validator, n *yaml.Node, path string) {
	nonEmptyStr(v, n, path)
	v.warnAt(n, path, "target_group in a MultiNode submission is ignored: each run of the job gets a new group")
}

func rolesCheck(v *validator, n *yaml.Node, path string) {
	if !isMap(n) {
		v.errAt(n, path, "expected a dictionary")
		return
	}
	if len(pairs(n)) == 0 {
		v.errAt(n, path, "length of value must be at least 1")
	}
	for _, p := range pairs(n) {
		v.mapping(p.Value, join(path, p.Key), roleSchema())
	}
}

func notifySchema() schema {
	return schema{"*": opt(anyValue), "criteria": req(dict(schema{"*": opt(anyValue)}))}
}

func topSchema() schema {
	return schema{
		"job_name":           req(strLen(1, 200)),
		"device_type":        opt(strLen(1, 200)),
		"device":             opt(strLen(1, 200)),
		"worker":             opt(strLen(1, 200)),
		"timeouts":           req(dict(timeoutsSchema())),
		"visibility":         req(visibility),
		"context":            opt(dict(contextSchema())),
		"metadata":           opt(dict(schema{"*": opt(anyValue)})),
		"priority":           opt(priority),
		"tags":               opt(list(scalarStr)),
		"secrets":            opt(strMap),
		"environment":        opt(dict(schema{"*": opt(anyValue)})),
		"protocols":          opt(dict(protocolsSchema())),
		"notify":             opt(dict(notifySchema())),
		"reboot_to_fastboot": opt(boolean),
		// lava-server adds the pipeline compatibility to the job.yaml lava-run gets
		"compatibility": opt(intMin(0)),
		"actions":       req(actionsCheck),
	}
}

// common keys every action block accepts (LAVA §1.4).
func commonKeys(s schema) schema {
	add := schema{
		"namespace":              opt(namespaceName),
		"connection-namespace":   opt(nonEmptyStr),
		"connection":             opt(nonEmptyStr),
		"protocols":              opt(dict(schema{"*": opt(anyValue)})),
		"role":                   opt(strOrList(true)),
		"timeout":                opt(timeoutValue),
		"timeouts":               opt(timeoutMap),
		"repeat":                 opt(intRange(1, MaxRetries, "repeats")),
		"failure_retry":          opt(intRange(1, MaxRetries, "retries")),
		"failure_retry_interval": opt(intRange(1, maxUnits("seconds"), timeoutWhy)),
	}
	for k, f := range add {
		if _, ok := s[k]; !ok {
			s[k] = f
		}
	}
	return s
}

func namespaceName(v *validator, n *yaml.Node, path string) {
	if !isStr(n) {
		v.errAt(n, path, "expected str")
		return
	}
	if x := resolve(n).Value; x == "common" || x == "docker-test-shell" {
		v.errAt(n, path, "'common' and 'docker-test-shell' are reserved namespace names")
	}
}

// urlSchema is LAVA's deploy.url().
func urlSchema() schema {
	return schema{
		"url":         req(urlValue(downloadSchemes...)),
		"headers":     opt(strMap),
		"compression": opt(compression),
		"archive":     opt(enum("tar")),
		"md5sum":      opt(nonEmptyStr),
		"sha256sum":   opt(nonEmptyStr),
		"sha512sum":   opt(nonEmptyStr),
		"use_cache":   opt(boolean),
	}
}

// urlResource is LAVA's deploy.url() with the extra keys each artefact allows.
func urlResource(extra ...string) checker {
	s := urlSchema()
	for _, k := range extra {
		switch k {
		case "type":
			s[k] = opt(enum("image", "uimage", "zimage"))
		case "install_modules", "install_overlay":
			s[k] = opt(boolean)
		case "header":
			s[k] = opt(enum("u-boot"))
		case "prefix":
			s[k] = opt(relPath("the nfsrootfs"))
		default:
			s[k] = opt(anyValue)
		}
	}
	return dict(s)
}

// extraFiles checks tftp's extra_files: each name is one file of the tftp
// directory, each value a url.
func extraFiles(v *validator, n *yaml.Node, path string) {
	if !isMap(n) {
		v.errAt(n, path, "expected a dictionary")
		return
	}
	for _, p := range pairs(n) {
		fileName(v, p.KNode, join(path, p.Key), p.Key)
		urlValue(downloadSchemes...)(v, p.Value, join(path, p.Key))
	}
}

func compression(v *validator, n *yaml.Node, path string) {
	if isNull(n) {
		return
	}
	enum("bz2", "gz", "xz", "zip", "zstd")(v, n, path)
}

// deployBase is what every deploy block accepts.
func deployBase() schema {
	return schema{
		"to":              req(nonEmptyStr),
		"os":              opt(nonEmptyStr),
		"authorize":       opt(enum("ssh")),
		"overlay_backend": opt(enum("auto", "e2fsprogs", "guestfs")),
	}
}

func deploySchema(to string) (schema, bool) {
	base := deployBase()
	switch to {
	case "tftp":
		base["kernel"] = opt(urlResource("type"))
		base["dtb"] = opt(urlResource())
		base["dtbo"] = opt(list(urlResource()))
		base["modules"] = opt(urlResource())
		base["preseed"] = opt(urlResource())
		base["tee"] = opt(urlResource())
		base["ramdisk"] = opt(urlResource("install_modules", "install_overlay", "header"))
		base["nfsrootfs"] = opt(urlResource("install_modules", "install_overlay", "prefix"))
		base["persistent_nfs"] = opt(dict(schema{"address": req(nonEmptyStr), "install_overlay": opt(boolean)}))
		base["extra_files"] = opt(extraFiles)
	case "nfs":
		base["nfsrootfs"] = opt(urlResource("install_modules", "install_overlay", "prefix"))
		base["modules"] = opt(urlResource())
		base["images"] = opt(dict(schema{"*": opt(urlResource("image_arg"))}))
	case "ssh":
		base["firmware"] = opt(urlResource())
		base["kernel"] = opt(urlResource())
		base["rootfs"] = opt(urlResource())
		base["modules"] = opt(urlResource())
	default:
		return nil, false
	}
	return commonKeys(base), true
}

func autoLogin(v *validator, n *yaml.Node, path string) {
	if !v.mapping(n, path, schema{
		"login_prompt":    req(nonEmptyStr),
		"username":        req(nonEmptyStr),
		"password_prompt": opt(nonEmptyStr),
		"password":        opt(scalarStr),
		"login_commands":  opt(list(scalarStr)),
	}) {
		return
	}
	pp, pw := get(n, "password_prompt") != nil, get(n, "password") != nil
	if pp != pw {
		missing := "password"
		if !pp {
			missing = "password_prompt"
		}
		v.errAt(n, path, "required key not provided: %s (password_prompt and password go together)", missing)
	}
}

func transferOverlay(v *validator, n *yaml.Node, path string) {
	v.mapping(n, path, schema{
		"download_command": opt(nonEmptyStr),
		"unpack_command":   req(nonEmptyStr),
		"transfer_method":  opt(enum("http", "nfs", "zmodem")),
	})
}

// bootBase is what every boot block accepts.
func bootBase() schema {
	return schema{
		"method": req(nonEmptyStr),
		"parameters": opt(dict(schema{
			"bootloader-final-message": opt(scalarStr),
			"kernel-start-message":     opt(scalarStr),
			"shutdown-message":         opt(scalarStr),
			"hostID":                   opt(nonEmptyStr),
			"host_key":                 opt(nonEmptyStr),
			"*":                        opt(anyValue),
		})),
		"soft_reboot":            opt(strOrList(true)),
		"ignore_kernel_messages": opt(boolean),
		"auto_login":             opt(autoLogin),
		"prompts":                opt(strOrList(true)),
		"transfer_overlay":       opt(transferOverlay),
		"failure_message":        opt(nonEmptyStr),
	}
}

func bootSchema(method string) (schema, bool) {
	base := bootBase()
	switch method {
	case "grub", "grub-efi":
		base["commands"] = req(strOrList(true))
		base["boot_finished"] = opt(strOrList(true))
		base["reset"] = opt(boolean)
		base["expect_shell"] = opt(boolean)
		base["use_bootscript"] = opt(boolean)
		// Where the kernel is in an image deployed to secondary media (the
		// device's media named by commands); LAVA's dispatcher reads them
		// (bootloader-from-media), its strict schema lacks them.
		for _, k := range []string{"kernel", "ramdisk", "dtb", "root_uuid", "boot_part"} {
			base[k] = opt(scalarStr)
		}
		// LAVA's sample jobs for grub on hikey carry the docker block of
		// their fastboot deploy; LAVA's grub boot does not use it.
		base["docker"] = opt(dockerCheck("image"))
	case "ssh":
	case "minimal":
		base["pre_power_command"] = opt(boolean)
		base["pre_os_command"] = opt(boolean)
		base["reset"] = opt(boolean)
	default:
		return nil, false
	}
	return commonKeys(base), true
}

// commandSchema is a command block's.
func commandSchema() schema { return commonKeys(schema{"name": req(nonEmptyStr)}) }

// actionsCheck checks the actions list and each block by its section and method.
func actionsCheck(v *validator, n *yaml.Node, path string) {
	if !isSeq(n) {
		v.errAt(n, path, "expected a list")
		return
	}
	for i, item := range resolve(n).Content {
		item = resolve(item)
		ap := fmt.Sprintf("actions[%d]", i)
		ps := pairs(item)
		if !isMap(item) || len(ps) != 1 {
			v.errAt(item, ap, "expected a dictionary with one of the keys: boot, command, deploy, test")
			continue
		}
		section, body := ps[0].Key, ps[0].Value
		sp := ap + "." + section
		switch section {
		case "deploy", "boot":
			key := "to"
			if section == "boot" {
				key = "method"
			}
			mn := get(body, key)
			method := ""
			if isScalar(mn) {
				method = resolve(mn).Value
			}
			if !isMap(body) {
				v.errAt(body, sp, "expected a dictionary")
				continue
			}
			s, ok := v.methodSchema(section, key, method, body)
			if !ok {
				if mn == nil {
					v.errAt(body, sp, "required key not provided: %s", key)
				} else {
					v.errAt(mn, sp+"."+method, "unknown action type")
				}
				continue
			}
			v.mapping(body, sp+"."+method, s)
		case "test":
			if !isMap(body) {
				v.errAt(body, sp, "expected a dictionary")
				continue
			}
			s, ok := v.declared(section, blockKind(body), body)
			if !ok {
				s, ok = testSchema(body)
			}
			if !ok {
				v.errAt(body, sp, "invalid action")
				continue
			}
			v.mapping(body, sp, s)
		case "command":
			s, ok := v.declared(section, strOf(get(body, "name")), body)
			if !ok {
				s = commandSchema()
			}
			v.mapping(body, sp, s)
		default:
			v.errAt(ps[0].KNode, sp, "unknown action type")
		}
	}
}
