package grub

import (
	"context"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/bootflow"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

func bootReq(method string, dm map[string]any, params map[string]any, tests bool) sdk.Request {
	req := sdk.Request{
		Block: sdk.Block{Section: sdk.SectionBoot, Method: method, Namespace: "common", Params: params},
		Device: sdk.Device{Type: "x86", Vars: map[string]string{"hard_reset_command": "pdu reboot"}, Method: dm,
			Methods: map[string]map[string]any{"boot/" + method: dm}},
	}
	req.Job.Blocks = []sdk.Block{req.Block}
	if tests {
		req.Job.Blocks = append(req.Job.Blocks, sdk.Block{Section: sdk.SectionTest, Method: "definitions", Namespace: "common"})
	}
	return req
}

func ipxeDevice() map[string]any {
	return map[string]any{"bootloader_prompt": "iPXE>", "interrupt_prompt": "Press Ctrl-B for the iPXE command line",
		"interrupt_ctrl_list": []any{"b"}, "commands": map[string]any{"ramdisk": []any{"dhcp net0", "kernel tftp://{SERVER_IP}/{KERNEL}", "boot"}}}
}

func TestIPXEDescribe(t *testing.T) {
	cases := []struct {
		name   string
		params map[string]any
		tests  bool
		want   string
	}{
		{"ramdisk with a test", map[string]any{"commands": "ramdisk", "prompts": []any{"#"}}, true,
			"bootloader-overlay connect-device bootloader-retry(reset-device(pdu-reboot) bootloader-interrupt bootloader-commands auto-login-action(login-action) expect-shell-connection export-device-env)"},
		{"monitor: no prompts", map[string]any{"commands": "ramdisk"}, true,
			"bootloader-overlay connect-device bootloader-retry(reset-device(pdu-reboot) bootloader-interrupt bootloader-commands)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := bootReq("ipxe", ipxeDevice(), c.params, c.tests)
			m := NewIPXE()
			if ok, why := m.Accepts(req); !ok {
				t.Fatal(why)
			}
			top, err := m.Describe(req)
			if err != nil {
				t.Fatal(err)
			}
			if top.Name != "bootloader-action" || names(top) != c.want {
				t.Errorf("%s(%s), want bootloader-action(%s)", top.Name, names(top), c.want)
			}
			if !top.Children[2].Retry {
				t.Errorf("bootloader-retry is not a retry action")
			}
			sdktest.CheckActions(t, m, req)
		})
	}
	req := bootReq("ipxe", ipxeDevice(), map[string]any{}, false)
	delete(req.Device.Methods, "boot/ipxe")
	if ok, why := NewIPXE().Accepts(req); ok || why != `"ipxe" was not in the device configuration boot methods` {
		t.Errorf("no ipxe block: %v %q", ok, why)
	}
}

// iPXE is interrupted with its control characters, never an interrupt
// character and newline: Ctrl-B is 0x02.
func TestIPXEInterruptSendsControlB(t *testing.T) {
	req := bootReq("ipxe", ipxeDevice(), map[string]any{"commands": "ramdisk"}, false)
	h := sdktest.NewHost("iPXE 1.0\nPress Ctrl-B for the iPXE command line...", sdktest.Step{Expect: "^\x02$", Reply: "\niPXE> "})
	call := sdk.Call{Request: req, Action: "bootloader-interrupt", Level: "2.3.2"}
	if err := NewIPXE().Run(context.Background(), call, h); err != nil {
		t.Fatal(err)
	}
	if len(h.Sent) != 1 || h.Sent[0] != "\x02" {
		t.Errorf("sent %q, want Ctrl-B", h.Sent)
	}
	if _, err := controlKeys([]string{"bb"}); err == nil {
		t.Errorf("a two-letter control key is accepted")
	}
}

func mustangUEFI() map[string]any {
	return map[string]any{
		"interrupt_prompt": "The default boot selection will start in", "interrupt_string": " ",
		"item_markup": []any{"[", "]"}, "item_class": "0-9", "separator": " ", "label_class": `a-zA-Z0-9\s\:`,
		"bootloader_prompt": "Start:", "boot_message": "Loaded: LinuxImage",
		"nfs": []any{
			map[string]any{"select": map[string]any{"items": []any{"Boot Manager"}, "wait": "Choice:"}},
			map[string]any{"select": map[string]any{"items": []any{"Remove Boot Device Entry"}, "fallback": "Return to Main Menu", "wait": "Delete entry"}},
			map[string]any{"select": map[string]any{"enter": "{TEST_MENU_NAME}", "wait": "Description"}},
			map[string]any{"select": map[string]any{"enter": "console=ttyS0 root=/dev/nfs nfsroot={NFS_SERVER_IP}:{NFSROOTFS} ip=dhcp", "wait": "Choice:"}},
		},
	}
}

func TestUEFIMenuDescribe(t *testing.T) {
	cases := []struct {
		commands, want string
	}{
		{"nfs", "uefi-commands menu-connect reset-device(pdu-reboot) uefi-menu-interrupt uefi-menu-selector menu-reset auto-login-action(login-action) export-device-env"},
		{"fastboot", "uefi-commands uefi-menu-interrupt uefi-menu-selector menu-reset auto-login-action(login-action) export-device-env"},
	}
	for _, c := range cases {
		req := bootReq("uefi-menu", mustangUEFI(), map[string]any{"commands": c.commands}, true)
		m := NewUEFIMenu()
		if ok, why := m.Accepts(req); !ok {
			t.Fatal(why)
		}
		top, err := m.Describe(req)
		if err != nil {
			t.Fatal(err)
		}
		if top.Name != "uefi-menu-action" || !top.Retry || names(top) != c.want {
			t.Errorf("%s: %s(%s), want uefi-menu-action(%s)", c.commands, top.Name, names(top), c.want)
		}
		sdktest.CheckActions(t, m, req)
	}
	req := bootReq("uefi-menu", mustangUEFI(), map[string]any{"commands": "ramdisk"}, false)
	if diags := NewUEFIMenu().Validate(context.Background(), req); len(diags) != 1 || diags[0].Summary != "Missing commands for ramdisk" {
		t.Errorf("an unknown menu: %v", diags)
	}
	delete(req.Device.Method, "interrupt_string")
	if ok, why := NewUEFIMenu().Accepts(req); ok || !strings.Contains(why, `"interrupt_string" was not`) {
		t.Errorf("no interrupt_string: %v %q", ok, why)
	}
}

// The selector picks each item's number from the latest menu, falls back
// when the item is absent, types the substituted entries and waits for the
// boot message.
func TestUEFIMenuSelectorWalksTheMenu(t *testing.T) {
	req := bootReq("uefi-menu", mustangUEFI(), map[string]any{"commands": "nfs"}, false)
	req.Dispatcher.IP = "10.0.0.1"
	h := sdktest.NewHost("[1] Linux\n[2] Boot Manager\n[3] Shell\nStart: ",
		sdktest.Step{Expect: `^2\r\n$`, Reply: "[1] Add Boot Device Entry\n[4] Return to Main Menu\nChoice: "},
		sdktest.Step{Expect: `^4\r\n$`, Reply: "Delete entry? Description: "},
		sdktest.Step{Expect: `^\{LAVA nfs test image\}\r$`, Reply: "Description"},
		sdktest.Step{Expect: `^console=ttyS0 root=/dev/nfs nfsroot=10\.0\.0\.1:/srv/nfs ip=dhcp\r$`, Reply: "Choice: ...Loaded: LinuxImage"},
	)
	m := NewUEFIMenu()
	ctx := context.Background()
	// the deploy's NFS root
	if err := bootflow.SetString(h, bootflow.KeyNFSRoot, "/srv/nfs"); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(ctx, sdk.Call{Request: req, Action: "uefi-commands", Level: "2.1"}, h); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(ctx, sdk.Call{Request: req, Action: "uefi-menu-selector", Level: "2.5"}, h); err != nil {
		t.Fatalf("%v\nsent %q", err, h.Sent)
	}
	if len(h.Sent) != 4 {
		t.Errorf("sent %q", h.Sent)
	}
	h2 := sdktest.NewHost("[1] Linux\nStart: ")
	h2.Set(keyMenu, "uefi-menu", "steps", `[{"items":["Boot Manager"]}]`)
	if err := m.Run(ctx, sdk.Call{Request: req, Action: "uefi-menu-selector", Level: "2.5"}, h2); err == nil || !strings.Contains(err.Error(), "No selection was made") {
		t.Errorf("an absent item: %v", err)
	}
}

// A device file LAVA rendered has no uses_menu: the uefi-menu method's
// menu_options names the sequence. The lab board's (lab/lava) is empty: wait
// for GRUB's banner and select nothing; a non-empty one is walked.
func TestGrubEFIMenuSelectorOnLAVARenderedDevice(t *testing.T) {
	lab := map[string]any{"menu_options": "pxe-grub", "interrupt_prompt": "Start PXE over IPv4", "interrupt_string": "",
		"item_markup": []any{"[", "]"}, "item_class": "0-9", "separator": " ", "bootloader_prompt": "Welcome to GRUB!",
		"pxe-grub": []any{}}
	withItem := map[string]any{"menu_options": "pxe-grub", "interrupt_prompt": "x", "interrupt_string": " ",
		"item_markup": []any{"[", "]"}, "item_class": "0-9", "separator": " ", "bootloader_prompt": "Start:",
		"pxe-grub": []any{map[string]any{"select": map[string]any{"items": []any{"LAVA PXE Grub"}}}}}
	for _, tc := range []struct {
		name    string
		menu    map[string]any
		console string
		steps   []sdktest.Step
		sent    int
		err     string
	}{
		{name: "empty sequence", menu: lab, console: "Start PXE over IPv4.\nWelcome to GRUB!\n"},
		{name: "one item", menu: withItem, console: "[1] Shell\n[2] LAVA PXE Grub\nStart: ",
			steps: []sdktest.Step{{Expect: `^2\r\n$`, Reply: "GRUB"}}, sent: 1},
		{name: "no menu_options", menu: map[string]any{"bootloader_prompt": "Start:"}, console: "Start:", err: "Missing entry for menu item"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			grub := map[string]any{"bootloader_prompt": "grub>"}
			req := bootReq("grub-efi", grub, map[string]any{"commands": "ramdisk"}, false)
			req.Device.Methods["boot/uefi-menu"] = tc.menu
			h := sdktest.NewHost(tc.console, tc.steps...)
			err := New().Run(context.Background(), sdk.Call{Request: req, Action: "grub-efi-menu-selector", Level: "2.5"}, h)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(h.Sent) != tc.sent {
				t.Errorf("sent %q", h.Sent)
			}
		})
	}
}
