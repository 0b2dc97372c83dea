package grub

import (
	"context"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

func mustangReq(params map[string]any, tests bool) sdk.Request {
	grubEFI := map[string]any{"bootloader_prompt": "grub>", "uses_menu": "uefi-menu/pxe-grub",
		"commands": map[string]any{"nfs": []any{"boot"}, "ramdisk": []any{"boot"}}}
	req := sdk.Request{
		Block: sdk.Block{Section: sdk.SectionBoot, Method: "grub-efi", Namespace: "common", Params: params},
		Device: sdk.Device{Type: "mustang", Vars: map[string]string{"hard_reset_command": "pdu reboot"}, Method: grubEFI,
			Methods: map[string]map[string]any{"boot/grub-efi": grubEFI, "boot/uefi-menu": {}, "deploy/tftp": {}}},
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
	cases := []struct {
		name   string
		params map[string]any
		tests  bool
		edit   func(*sdk.Request)
		want   string
	}{
		{"mustang with a test", map[string]any{"commands": "nfs", "prompts": []any{"#"}}, true, nil,
			"bootloader-from-media bootloader-overlay connect-device reset-device(pdu-reboot) uefi-menu-interrupt grub-efi-menu-selector bootloader-interrupt bootloader-commands auto-login-action(login-action) expect-shell-connection export-device-env"},
		{"no test", map[string]any{"commands": "nfs", "prompts": []any{"#"}}, false, nil,
			"bootloader-from-media bootloader-overlay connect-device reset-device(pdu-reboot) uefi-menu-interrupt grub-efi-menu-selector bootloader-interrupt bootloader-commands auto-login-action(login-action)"},
		{"no prompts, reset false, no menu, soft reboot", map[string]any{"commands": "nfs", "reset": false}, true, func(r *sdk.Request) {
			delete(r.Device.Methods, "boot/uefi-menu")
			delete(r.Device.Method, "uses_menu")
		}, "bootloader-from-media bootloader-overlay connect-device bootloader-interrupt bootloader-commands"},
		{"no hard reset", map[string]any{"commands": "nfs", "transfer_overlay": map[string]any{}, "prompts": []any{"#"}}, true, func(r *sdk.Request) {
			r.Device.Vars = nil
		}, "bootloader-from-media bootloader-overlay connect-device reset-device(send-reboot-commands) uefi-menu-interrupt grub-efi-menu-selector bootloader-interrupt bootloader-commands auto-login-action(login-action) expect-shell-connection overlay-unpack export-device-env"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := mustangReq(c.params, c.tests)
			if c.edit != nil {
				c.edit(&req)
			}
			s, err := New().Describe(req)
			if err != nil {
				t.Fatal(err)
			}
			sdktest.CheckActions(t, New(), req)
			req.Block.Method = "grub"
			req.Device.Methods["boot/grub"] = req.Device.Method
			sdktest.CheckActions(t, NewGrub(), req)
			if s.Name != "grub-main-action" || !s.Retry || names(s) != c.want {
				t.Errorf("got  %s\nwant %s", names(s), c.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		params map[string]any
		want   []string
	}{
		{map[string]any{"commands": "nfs", "prompts": []any{"#"}}, nil},
		{map[string]any{"commands": "sata"}, []string{"commands: Command 'sata' not found in supported methods"}},
		{map[string]any{}, []string{"commands: required key not provided: commands"}},
		{map[string]any{"commands": "nfs", "auto_login": map[string]any{"login_prompt": "login:"}},
			[]string{"auto_login.username: 'username' is mandatory for auto_login", "prompts: 'prompts' is mandatory for auto_login"}},
	}
	for _, c := range cases {
		var got []string
		for _, d := range New().Validate(context.Background(), mustangReq(c.params, true)) {
			got = append(got, d.Path+": "+d.Summary)
		}
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%v: got %q, want %q", c.params, got, c.want)
		}
	}
}

func TestAccepts(t *testing.T) {
	req := mustangReq(map[string]any{"commands": "nfs"}, false)
	if ok, why := New().Accepts(req); !ok {
		t.Error(why)
	}
	req.Block.Method = "grub"
	if ok, why := NewGrub().Accepts(req); ok || why != `"grub" was not in the device configuration boot methods` {
		t.Error(why)
	}
}
