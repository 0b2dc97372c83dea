package uboot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

// runTree runs every action of m's tree for req, parents first, as the host
// does, over the wire (sdktest.Serve); it stops at the first failure and
// returns the failing action.
func runTree(t *testing.T, m sdk.Method, req sdk.Request, host sdk.Host) (string, error) {
	t.Helper()
	served := sdktest.Serve(t, m)[0]
	top, err := served.Describe(req)
	if err != nil {
		t.Fatal(err)
	}
	var walk func(s sdk.ActionSpec, level string) (string, error)
	walk = func(s sdk.ActionSpec, level string) (string, error) {
		if err := served.Run(context.Background(), sdk.Call{Request: req, Action: s.Name, Level: level, Attempt: 1}, host); err != nil {
			return s.Name, err
		}
		for i, c := range s.Children {
			if name, err := walk(c, fmt.Sprintf("%s.%d", level, i+1)); err != nil {
				return name, err
			}
		}
		return "", nil
	}
	return walk(top, "2")
}

const ubootBanner = "U-Boot SPL 2019.04\r\nU-Boot 2019.04\r\nDRAM:  512 MiB\r\nHit any key to stop autoboot:  2 "

// deployed is what a tftp deploy leaves in the namespace for the boot.
func deployed(h *sdktest.Host) {
	for k, v := range map[string]string{
		"download-action/file/kernel":                  `"42/tftp-deploy-1/kernel/zImage"`,
		"download-action/file/dtb":                     `"42/tftp-deploy-1/dtb/am335x-bone.dtb"`,
		"compress-ramdisk/file/ramdisk":                `"42/tftp-deploy-1/ramdisk/ramdisk.cpio.gz.uboot"`,
		"uboot-prepare-kernel/bootcommand/bootcommand": `"bootz"`,
	} {
		h.Data[k] = v
	}
}

var loginParams = map[string]any{"commands": "ramdisk", "prompts": []any{"root@bbb:~#"},
	"auto_login": map[string]any{"login_prompt": "login:", "username": "root"}}

func TestRunUBootRamdisk(t *testing.T) {
	prompt := "\r\n=> "
	h := sdktest.NewHost(ubootBanner,
		sdktest.Step{Expect: "^$", Reply: prompt},
		sdktest.Step{Expect: "^setenv serverip 10.0.0.1$", Reply: prompt},
		sdktest.Step{Expect: "^tftp 0x82000000 42/tftp-deploy-1/kernel/zImage$", Reply: "Bytes transferred = 4\r\n" + prompt},
		sdktest.Step{Expect: "^tftp 0x83000000 42/tftp-deploy-1/ramdisk/ramdisk.cpio.gz.uboot$", Reply: "Bytes transferred = 4\r\n" + prompt},
		sdktest.Step{Expect: "^tftp 0x88000000 ", Reply: "Bytes transferred = 4\r\n" + prompt},
		sdktest.Step{Expect: "^bootz 0x82000000 0x83000000 0x88000000$",
			Reply: "## Loading init Ramdisk\r\nStarting kernel ...\r\n[    0.000000] Linux version 6.1.0 (gcc)\r\nbbb login: "},
		sdktest.Step{Expect: "^root$", Reply: "\r\nroot@bbb:~# "},
		sdktest.Step{Expect: "^$", Reply: "\r\nroot@bbb:~# "},
	)
	deployed(h)
	req := bbbReq(loginParams, true)
	if name, err := runTree(t, NewUBoot(), req, h); err != nil {
		t.Fatalf("%s: %v\nsent %q", name, err, h.Sent)
	}
	want := []string{"", "setenv serverip 10.0.0.1", "tftp 0x82000000 42/tftp-deploy-1/kernel/zImage",
		"tftp 0x83000000 42/tftp-deploy-1/ramdisk/ramdisk.cpio.gz.uboot", "tftp 0x88000000 42/tftp-deploy-1/dtb/am335x-bone.dtb",
		"bootz 0x82000000 0x83000000 0x88000000", "root", ""}
	if strings.Join(h.Sent, "|") != strings.Join(want, "|") {
		t.Errorf("sent\n%q\nwant\n%q", h.Sent, want)
	}
	if strings.Join(h.PowerOps, " ") != "hard_reset" {
		t.Errorf("power %v, want a hard reset", h.PowerOps)
	}
	// kernel-messages, then login-action's own result (as LAVA logs them)
	if len(h.Results) < 1 || h.Results[0].Case != "kernel-messages" || h.Results[0].Result != "pass" {
		t.Errorf("results %+v", h.Results)
	}
}

func TestRunUBootFailures(t *testing.T) {
	prompt := "\r\n=> "
	cases := []struct {
		name       string
		banner     string
		steps      []sdktest.Step
		edit       func(*sdk.Request, *sdktest.Host)
		action     string
		errType    sdk.ErrorType
		errText    string
		wantOutput string
	}{
		{name: "a tftp error fails the commands", banner: ubootBanner, steps: []sdktest.Step{
			{Expect: "^$", Reply: prompt},
			{Expect: "^setenv", Reply: prompt},
			{Expect: "^tftp", Reply: "tftp 0x82000000 zImage\r\nTFTP error: 'File not found' (1)\r\nNot retrying...\r\n" + prompt},
		}, action: "bootloader-commands", errType: sdk.Infrastructure, errText: "matched a bootloader error message: 'File not found' (2); last console lines:\n     tftp 0x82000000 zImage\n    TFTP error: 'File not found' (1)"},
		{name: "a kernel that never starts fails auto-login", banner: ubootBanner, steps: []sdktest.Step{
			{Expect: "^$", Reply: prompt}, {Expect: "", Reply: prompt}, {Expect: "", Reply: prompt}, {Expect: "", Reply: prompt}, {Expect: "", Reply: prompt},
			{Expect: "^bootz", Reply: "Starting kernel ...\r\n"},
		}, action: "auto-login-action", errType: sdk.Infrastructure, errText: "the kernel did not start"},
		{name: "no interrupt prompt", banner: "U-Boot 2019.04\r\n", action: "bootloader-interrupt", errType: sdk.Infrastructure,
			errText: `the bootloader did not print "Hit any key to stop autoboot"`},
		{name: "a board that resets while booting", banner: ubootBanner, steps: []sdktest.Step{
			{Expect: "^$", Reply: prompt}, {Expect: "", Reply: prompt}, {Expect: "", Reply: prompt}, {Expect: "", Reply: prompt}, {Expect: "", Reply: prompt},
			{Expect: "^bootz", Reply: "Starting kernel ...\r\n\"Synchronous Abort\" handler, esr 0x02000000\r\nResetting CPU ...\r\n"},
		}, action: "auto-login-action", errType: sdk.Infrastructure,
			errText: "matched a bootloader error message: \"Resetting CPU\"; last console lines:\n     ...\n    \"Synchronous Abort\" handler, esr 0x02000000\n    Resetting CPU ..."},
		{name: "no kernel type: the addresses are not known", banner: ubootBanner, steps: []sdktest.Step{{Expect: "^$", Reply: prompt}},
			edit: func(r *sdk.Request, h *sdktest.Host) {
				delete(h.Data, "uboot-prepare-kernel/bootcommand/bootcommand")
				r.Block.Params["type"] = "bootz"
			}, action: "bootloader-overlay", errType: sdk.Job, errText: "Kernel image type can't be determined"},
		{name: "a job file name with a newline is not typed", banner: ubootBanner,
			edit: func(r *sdk.Request, h *sdktest.Host) {
				h.Data["download-action/file/kernel"] = `"zImage\nreset"`
			}, action: "bootloader-overlay", errType: sdk.Job, errText: "holds a control character"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := sdktest.NewHost(c.banner, c.steps...)
			deployed(h)
			params := map[string]any{}
			for k, v := range loginParams {
				params[k] = v
			}
			req := bbbReq(params, true)
			if c.edit != nil {
				c.edit(&req, h)
			}
			name, err := runTree(t, NewUBoot(), req, h)
			var e *sdk.Error
			if err == nil || name != c.action || !errors.As(err, &e) || e.Type != c.errType || !strings.Contains(err.Error(), c.errText) {
				t.Fatalf("%s: %q (%T), want %s to fail with a %s error %q; sent %q", name, err, err, c.action, c.errType, c.errText, h.Sent)
			}
		})
	}
}

func TestRunInterruptVariants(t *testing.T) {
	cases := []struct {
		name   string
		banner string
		block  map[string]any
		want   string
	}{
		{"no interrupt: only the prompt", "U-Boot\r\n=> ", map[string]any{"needs_interrupt": false}, ""},
		{"control characters", ubootBanner + "\r\n=> ", map[string]any{"interrupt_ctrl_list": []any{"c", "c"}}, "\x03|\x03"},
		{"interrupt char", ubootBanner + "\r\n=> ", map[string]any{"interrupt_char": "x"}, "x"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := sdktest.NewHost(c.banner)
			req := bbbReq(map[string]any{"commands": "ramdisk"}, false)
			for k, v := range c.block {
				req.Device.Method[k] = v
			}
			if err := NewUBoot().Run(context.Background(), sdk.Call{Request: req, Action: "bootloader-interrupt", Level: "2.4.2"}, h); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(h.Sent, "|"); got != c.want {
				t.Errorf("sent %q, want %q", got, c.want)
			}
			if h.Data["interrupt/interrupt/at_bootloader_prompt"] != "true" {
				t.Error("not recorded at the prompt")
			}
		})
	}
}

func TestRunBootloaderAndMinimal(t *testing.T) {
	prompt := "\r\n=> "
	h := sdktest.NewHost(ubootBanner, sdktest.Step{Expect: "^$", Reply: prompt},
		sdktest.Step{Expect: "^help$", Reply: "bootz - boot Linux zImage" + prompt},
		sdktest.Step{Expect: "^version$", Reply: "U-Boot 2019.04"})
	req := bbbReq(map[string]any{"bootloader": "u-boot", "commands": []any{"help", "version"}}, false)
	req.Block.Method = "bootloader"
	if name, err := runTree(t, NewBootloader(), req, h); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if got := strings.Join(h.Sent, "|"); got != "|help|version" {
		t.Errorf("sent %q", got)
	}

	h = sdktest.NewHost("Linux version 6.1\r\nbbb login: ", sdktest.Step{Expect: "^root$", Reply: "\r\nroot@bbb:~# "})
	req = bbbReq(map[string]any{"prompts": []any{"root@bbb:~#"}, "auto_login": map[string]any{"login_prompt": "login:", "username": "root"}}, false)
	req.Block.Method = "minimal"
	if name, err := runTree(t, NewMinimal(), req, h); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if got := strings.Join(h.Sent, "|"); got != "root" || strings.Join(h.PowerOps, " ") != "hard_reset" {
		t.Errorf("sent %q, power %v", got, h.PowerOps)
	}
}

func TestRunSendRebootCommands(t *testing.T) {
	h := sdktest.NewHost("", sdktest.Step{Expect: "^reboot -nf$", Reply: "reboot: Restarting system"})
	req := bbbReq(map[string]any{"commands": "ramdisk", "soft_reboot": "reboot -nf",
		"parameters": map[string]any{"shutdown-message": "reboot: Restarting system"}}, false)
	if err := NewUBoot().Run(context.Background(), sdk.Call{Request: req, Action: "send-reboot-commands", Level: "2.4.1.1"}, h); err != nil {
		t.Fatal(err)
	}
	h = sdktest.NewHost("")
	if err := NewUBoot().Run(context.Background(), sdk.Call{Request: req, Action: "send-reboot-commands", Level: "2.4.1.1"}, h); err == nil ||
		!strings.Contains(err.Error(), "Soft reboot failed.") {
		t.Errorf("%v, want Soft reboot failed.", err)
	}
}
