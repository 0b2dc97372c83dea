package uboot

import (
	"context"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

// bbbBlock is base-uboot's boot u-boot block, trimmed.
func bbbBlock() map[string]any {
	return map[string]any{"bootloader_prompt": "=>", "interrupt_prompt": "Hit any key to stop autoboot", "interrupt_char": "",
		"commands": map[string]any{
			"ramdisk": []any{"setenv serverip {SERVER_IP}", "tftp {KERNEL_ADDR} {KERNEL}", "tftp {RAMDISK_ADDR} {RAMDISK}",
				"tftp {TEE_ADDR} {TEE}", "tftp {DTB_ADDR} {DTB}", "{BOOTX}"},
			"nfs": []any{"tftp {KERNEL_ADDR} {KERNEL}", "setenv bootargs 'root=/dev/nfs nfsroot={NFS_SERVER_IP}:{NFSROOTFS}'", "{BOOTX}"},
		}}
}

// bbbReq is a u-boot block on a beaglebone-black with a hard reset command
// (tests: a lava test shell follows).
func bbbReq(params map[string]any, tests bool) sdk.Request {
	block := bbbBlock()
	req := sdk.Request{
		Job:   sdk.JobInfo{ID: "42"},
		Block: sdk.Block{Section: sdk.SectionBoot, Method: "u-boot", Namespace: "common", Params: params},
		Device: sdk.Device{Name: "bbb-01", Type: "beaglebone-black", Method: block, Connection: "telnet localhost 6000",
			Methods:  map[string]map[string]any{"boot/u-boot": block, "boot/minimal": {}, "deploy/tftp": {}},
			Commands: map[string]sdk.DeviceCommand{"hard_reset": {Do: []string{"pduclient reboot"}}},
			Constants: map[string]any{"kernel-start-message": "Linux version [0-9]", "shutdown-message": "The system is going down",
				"u-boot": map[string]any{"interrupt-prompt": "Hit any key", "interrupt-character": " ", "final-message": "Starting kernel",
					"error-messages": []any{"Resetting CPU", "File not found", "TIMEOUT"}}},
			Parameters:        map[string]any{"bootz": map[string]any{"kernel": "0x82000000", "ramdisk": "0x83000000", "dtb": "0x88000000"}},
			SectionParameters: map[string]map[string]any{"deploy": {"add_header": "u-boot", "mkimage_arch": "arm"}}},
		Dispatcher: sdk.Dispatcher{IP: "10.0.0.1"},
	}
	req.Job.Blocks = []sdk.Block{req.Block}
	if tests {
		req.Job.Blocks = append(req.Job.Blocks, sdk.Block{Section: sdk.SectionTest, Method: "definitions", Namespace: "common"})
	}
	return req
}

func names(s sdk.ActionSpec) string {
	var out []string
	for _, c := range s.Children {
		n := c.Name
		if len(c.Children) > 0 {
			n += "(" + names(c) + ")"
		}
		out = append(out, n)
	}
	return strings.Join(out, " ")
}

func TestDescribe(t *testing.T) {
	const head = "uboot-from-media bootloader-overlay connect-device "
	cases := []struct {
		name   string
		m      sdk.Method
		params map[string]any
		tests  bool
		edit   func(*sdk.Request)
		top    string
		want   string
	}{
		{"u-boot with a test", NewUBoot(), map[string]any{"commands": "ramdisk", "prompts": []any{"#"}}, true, nil, "uboot-action",
			head + "uboot-commands(reset-device(pdu-reboot) bootloader-interrupt bootloader-commands auto-login-action(login-action) expect-shell-connection export-device-env)"},
		{"u-boot, no test, no prompts, soft reboot", NewUBoot(), map[string]any{"commands": "ramdisk"}, false,
			func(r *sdk.Request) { r.Device.Commands = nil }, "uboot-action",
			head + "uboot-commands(reset-device(send-reboot-commands) bootloader-interrupt bootloader-commands)"},
		{"u-boot, reset false, transfer_overlay", NewUBoot(), map[string]any{"commands": "nfs", "reset": false, "prompts": []any{"#"},
			"transfer_overlay": map[string]any{"download_command": "wget", "unpack_command": "tar -xzf"}}, true, nil, "uboot-action",
			head + "uboot-commands(bootloader-interrupt bootloader-commands auto-login-action(login-action) expect-shell-connection overlay-unpack export-device-env)"},
		{"u-boot ums flash", NewUBoot(), map[string]any{"commands": "ramdisk"}, false,
			func(r *sdk.Request) { r.Device.Method["uboot_ums_flash"] = true }, "uboot-action",
			head + "uboot-commands(reset-device(pdu-reboot) bootloader-interrupt bootloader-commands wait-device-path flash-uboot-ums reset-device(pdu-reboot))"},
		{"u-boot altbank", NewUBoot(), map[string]any{"commands": "ramdisk"}, false,
			func(r *sdk.Request) { r.Device.Method["uboot_altbank"] = true }, "uboot-action",
			head + "uboot-commands(reset-device(pdu-reboot) bootloader-interrupt bootloader-commands-altbank bootloader-interrupt bootloader-commands)"},
		{"bootloader", NewBootloader(), map[string]any{"bootloader": "u-boot", "commands": []any{"help"}}, false, nil, "boot-bootloader-retry",
			"bootloader-overlay boot-bootloader(reset-connection(disconnect-device connect-device) reset-device(pdu-reboot) bootloader-interrupt bootloader-commands)"},
		{"bootloader, no reset, no reconnection", NewBootloader(), map[string]any{"bootloader": "u-boot", "reset_device": false, "reset_connection": false}, false, nil, "boot-bootloader-retry",
			"bootloader-overlay boot-bootloader(connect-device bootloader-interrupt bootloader-commands)"},
		{"minimal", NewMinimal(), map[string]any{"prompts": []any{"#"}}, true, nil, "minimal-boot",
			"connect-device reset-device(pdu-reboot) auto-login-action(login-action) expect-shell-connection export-device-env"},
		{"minimal, pre commands, no reset", NewMinimal(), map[string]any{"reset": false, "pre_power_command": true, "pre_os_command": true}, false, nil, "minimal-boot",
			"connect-device pre-power-command pre-os-command"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := bbbReq(c.params, c.tests)
			req.Block.Method = c.m.Info().Name
			req.Job.Blocks[0].Method = req.Block.Method
			if c.edit != nil {
				c.edit(&req)
			}
			s, err := c.m.Describe(req)
			if err != nil {
				t.Fatal(err)
			}
			sdktest.CheckActions(t, c.m, req)
			if s.Name != c.top || !s.Retry || names(s) != c.want {
				t.Errorf("got  %s(%s)\nwant %s(%s)", s.Name, names(s), c.top, c.want)
			}
		})
	}
}

func TestAccepts(t *testing.T) {
	cases := []struct {
		m      sdk.Method
		params map[string]any
		edit   func(*sdk.Request)
		ok     bool
		why    string
	}{
		{NewUBoot(), map[string]any{"commands": "ramdisk"}, nil, true, "accepted"},
		{NewUBoot(), map[string]any{}, func(r *sdk.Request) { delete(r.Device.Methods, "boot/u-boot") }, false, `"u-boot" was not in the device configuration boot methods`},
		{NewBootloader(), map[string]any{"bootloader": "u-boot"}, nil, true, "accepted"},
		{NewBootloader(), map[string]any{}, nil, false, "'bootloader' is undefined"},
		{NewBootloader(), map[string]any{"bootloader": "grub"}, nil, false, "boot method 'grub' not in the device configuration"},
		{NewMinimal(), map[string]any{}, nil, true, "accepted"},
		{NewMinimal(), map[string]any{}, func(r *sdk.Request) { delete(r.Device.Methods, "boot/minimal") }, false, `"minimal" was not in device configuration boot methods`},
	}
	for _, c := range cases {
		req := bbbReq(c.params, false)
		req.Block.Method = c.m.Info().Name
		if c.edit != nil {
			c.edit(&req)
		}
		ok, why := c.m.Accepts(req)
		if ok != c.ok || why != c.why {
			t.Errorf("%s %v: %v %q, want %v %q", c.m.Info().Name, c.params, ok, why, c.ok, c.why)
		}
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		m      sdk.Method
		params map[string]any
		edit   func(*sdk.Request)
		want   []string
	}{
		{NewUBoot(), map[string]any{"commands": "ramdisk", "prompts": []any{"#"}}, nil, nil},
		{NewUBoot(), map[string]any{"commands": "sata"}, nil, []string{"commands: Command 'sata' not found in supported methods"}},
		{NewUBoot(), map[string]any{}, nil, []string{"commands: commands not specified in boot parameters"}},
		{NewUBoot(), map[string]any{"commands": []any{"boot", 3}}, nil, []string{
			"commands: Using boot commands supplied in the job definition, NOT the LAVA device configuration",
			"commands: Deploy Commands instruction is not a string: 3"}},
		{NewUBoot(), map[string]any{"commands": "ramdisk"}, func(r *sdk.Request) {
			delete(r.Device.Method, "bootloader_prompt")
			r.Device.Method["lava_mac"] = "00:11:22"
		}, []string{"method: Missing bootloader prompt for device", "method: lava_mac is not a valid mac address"}},
		{NewUBoot(), map[string]any{"commands": "ramdisk", "type": "bootz", "transfer_overlay": map[string]any{"unpack_command": "tar xf"}}, nil, []string{
			"type: Specifying a type in the boot action is deprecated. Please specify the kernel type in the deploy parameters.",
			"transfer_overlay.download_command: Unable to identify download command for overlay."}},
		{NewUBoot(), map[string]any{"commands": "ramdisk", "auto_login": map[string]any{"login_prompt": "login:"}}, nil, []string{
			"auto_login.username: 'username' is mandatory for auto_login", "prompts: 'prompts' is mandatory for auto_login"}},
		{NewBootloader(), map[string]any{"bootloader": "u-boot", "commands": []any{"help"}}, nil, nil},
		{NewBootloader(), map[string]any{"commands": []any{"help"}}, nil, []string{"bootloader: required key not provided: bootloader"}},
		{NewMinimal(), map[string]any{"prompts": []any{"#"}}, nil, nil},
	}
	for _, c := range cases {
		req := bbbReq(c.params, true)
		req.Block.Method = c.m.Info().Name
		if c.edit != nil {
			c.edit(&req)
		}
		var got []string
		for _, d := range c.m.Validate(context.Background(), req) {
			got = append(got, d.Path+": "+d.Summary)
		}
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s %v:\ngot  %q\nwant %q", c.m.Info().Name, c.params, got, c.want)
		}
	}
}
