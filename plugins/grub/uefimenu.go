package grub

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/actionspec"
	"github.com/lavacore/lavacore/sdk/bootflow"
)

// uefiMenu is the boot "uefi-menu" method (LAVA's UefiMenu strategy,
// UefiMenuAction): reset the board, interrupt the firmware, walk its UEFI menu
// with the device's named menu sequence (commands:), then log in.
type uefiMenu struct{ sdk.Actions }

// NewUEFIMenu returns the boot/uefi-menu method.
func NewUEFIMenu() sdk.Method {
	return uefiMenu{Actions: sdk.Actions{
		"uefi-menu-action":     sdk.Group{},
		"uefi-commands":        sdk.ActionFunc(uefiCommands),
		"menu-connect":         sdk.ActionFunc(menuConnect),
		"reset-device":         sdk.Group{},
		"pdu-reboot":           sdk.ActionFunc(pduReboot),
		"send-reboot-commands": sdk.ActionFunc(bootflow.SendRebootCommands),
		"uefi-menu-interrupt":  sdk.ActionFunc(uefiMenuInterrupt),
		"uefi-menu-selector":   sdk.ActionFunc(uefiMenuSelector),
		"menu-reset":           sdk.ActionFunc(menuReset),
		"auto-login-action":    autoLogin{"uefi-menu"},
		"login-action":         sdk.ActionFunc(bootflow.LoginAction),
		"export-device-env":    sdk.ActionFunc(exportDeviceEnv),
	}}
}

func (uefiMenu) Info() sdk.MethodInfo {
	// No DeviceSpec: the device's menus are keys of the method named by
	// the job (nfs, ramdisk …), each a list of select steps, kept as they are.
	return sdk.MethodInfo{Section: sdk.SectionBoot, Name: "uefi-menu",
		Description: "interrupt and select uefi menu items"}
}

func (uefiMenu) Accepts(req sdk.Request) (bool, string) {
	if req.Block.Method != "uefi-menu" {
		return false, `"method" was not "uefi-menu"`
	}
	dm, ok := req.Device.Methods["boot/uefi-menu"]
	if !ok {
		return false, `"uefi-menu" was not in the device configuration boot methods`
	}
	_, p := dm["interrupt_prompt"]
	_, s := dm["interrupt_string"]
	if !p || !s {
		return false, `"interrupt_prompt" or "interrupt_string" was not in the device configuration uefi-menu boot method parameters`
	}
	return true, "accepted"
}

func (uefiMenu) Describe(req sdk.Request) (sdk.ActionSpec, error) {
	c := []sdk.ActionSpec{{Name: "uefi-commands", Class: "UefiSubstituteCommands",
		Description: "set job-specific variables into the uefi menu commands", Summary: "substitute job values into uefi commands"}}
	if cmds, _ := req.Block.Params["commands"].(string); !strings.Contains(cmds, "fastboot") {
		c = append(c, sdk.ActionSpec{Name: "menu-connect", Class: "MenuConnect",
			Description: "change into a menu session", Summary: "Customise connection for menu operations"},
			ResetDevice(req))
	}
	c = append(c,
		infra(sdk.ActionSpec{Name: "uefi-menu-interrupt", Class: "UEFIMenuInterrupt",
			Description: "interrupt for uefi menu", Summary: "interrupt for uefi menu"}),
		sdk.ActionSpec{Name: "uefi-menu-selector", Class: "UefiMenuSelector",
			Description: "select specified uefi menu items", Summary: "select options in the uefi menu"},
		sdk.ActionSpec{Name: "menu-reset", Class: "MenuReset",
			Description: "change out of menu session to a shell session", Summary: "reset to shell connection"},
		actionspec.AutoLogin(), actionspec.ExportDeviceEnv())
	return sdk.ActionSpec{Name: "uefi-menu-action", Class: "UefiMenuAction", Retry: true,
		Description: "interrupt and select uefi menu items", Summary: "interact with uefi menu", Children: c}, nil
}

// menuStep is one `select:` of a UEFI menu sequence.
type menuStep struct {
	Items    []string `json:"items,omitempty"`
	Wait     string   `json:"wait,omitempty"`
	Enter    *string  `json:"enter,omitempty"`
	Fallback string   `json:"fallback,omitempty"`
	Escape   bool     `json:"escape,omitempty"`
}

var menuKeys = map[string]bool{"items": true, "prompt": true, "enter": true, "escape": true, "wait": true, "fallback": true}

// menuSteps reads the device's menu sequence the block names.
func menuSteps(dm map[string]any, name string) ([]menuStep, error) {
	raw, ok := dm[name]
	if !ok {
		if menus, _ := dm["menu"].(map[string]any); menus != nil {
			raw, ok = menus[name]
		}
	}
	if !ok {
		return nil, fmt.Errorf("Missing commands for %s", name)
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("menu sequence must be a list")
	}
	var out []menuStep
	for _, it := range list {
		m, _ := it.(map[string]any)
		sel, ok := m["select"].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("Invalid device configuration for uefi-commands: %v", it)
		}
		for k := range sel {
			if !menuKeys[k] {
				return nil, fmt.Errorf("Unable to recognise item %s", k)
			}
		}
		s := menuStep{Items: bootflow.StringList(sel["items"]), Wait: bootflow.Str(sel, "wait"), Fallback: bootflow.Str(sel, "fallback")}
		if _, ok := sel["escape"]; ok {
			s.Escape = true
		}
		if v, ok := sel["enter"]; ok {
			e := fmt.Sprint(v)
			if v == nil {
				e = ""
			}
			s.Enter = &e
		}
		out = append(out, s)
	}
	return out, nil
}

func (uefiMenu) Validate(_ context.Context, req sdk.Request) sdk.Diagnostics {
	var diags sdk.Diagnostics
	dm := req.Device.Method
	for _, k := range []string{"item_markup", "item_class", "separator"} {
		if _, ok := dm[k]; !ok {
			diags = append(diags, sdk.Diagnostic{Path: "method", Summary: "Missing device parameters for UEFI menu operations",
				Detail: fmt.Sprintf("device type %q's uefi-menu has no %s", req.Device.Type, k)})
			break
		}
	}
	if v, _ := dm["bootloader_prompt"].(string); v == "" {
		diags = append(diags, sdk.Diagnostic{Path: "method", Summary: "Missing bootloader prompt for device"})
	}
	name, ok := req.Block.Params["commands"].(string)
	if !ok {
		return append(diags, sdk.Diagnostic{Path: "commands", Summary: "Missing commands in action parameters",
			Detail: "uefi-menu takes the name of one of the device's menu sequences"})
	}
	if _, err := menuSteps(dm, name); err != nil {
		diags = append(diags, sdk.Diagnostic{Path: "commands", Summary: err.Error()})
	}
	if ls := bootflow.Str(req.Block.Params, "line_separator"); ls != "" && ls != "dos" && ls != "unix" {
		diags = append(diags, sdk.Diagnostic{Path: "line_separator", Summary: "Unrecognised line separator configuration."})
	}
	return append(diags, actionspec.ValidateAutoLogin(req.Block.Params)...)
}

const keyMenu = "uefi-commands"

// uefiCommands substitutes the job's values into the menu sequence.
func uefiCommands(ctx context.Context, call sdk.Call, host sdk.Host) error {
	name, _ := call.Block.Params["commands"].(string)
	steps, err := menuSteps(call.Device.Method, name)
	if err != nil {
		return sdk.JobErrorf("%v", err)
	}
	subs, err := substitutions(call, host)
	if err != nil {
		return err
	}
	subs["TEST_MENU_NAME"] = "LAVA " + name + " test image"
	for i := range steps {
		for j, it := range steps[i].Items {
			steps[i].Items[j] = substituteAll(it, subs)
		}
		if steps[i].Enter != nil {
			e := substituteAll(*steps[i].Enter, subs)
			steps[i].Enter = &e
		}
	}
	b, err := json.Marshal(steps)
	if err != nil {
		return &sdk.Error{Type: sdk.Bug, Msg: fmt.Sprintf("uefi-commands: %v", err)}
	}
	return host.Set(keyMenu, "uefi-menu", "steps", string(b))
}

// substituteAll replaces every placeholder that has a value; LAVA's menus
// keep a line whose placeholder has none (substitute without drop).
func substituteAll(s string, subs map[string]string) string {
	for k, v := range subs {
		if v != "" {
			s = strings.ReplaceAll(s, k, v)
		}
	}
	return s
}

// menuConnect opens the console and sends a newline to catch the first prompt.
func menuConnect(ctx context.Context, call sdk.Call, host sdk.Host) error {
	if err := bootflow.ConnectDevice(ctx, call, host); err != nil {
		return err
	}
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	return con.SendLine(ctx, "")
}

// menuReset leaves the menu: a newline to catch the shell's first prompt.
func menuReset(ctx context.Context, call sdk.Call, host sdk.Host) error {
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	return con.SendLine(ctx, "")
}

// menuSelector finds a menu entry's selector in the menu text, as LAVA's
// SelectorMenu does: the latest line "<markup0><selector><markup1><sep><label>"
// whose label is the item.
type menuSelector struct{ re *regexp.Regexp }

func newMenuSelector(dm map[string]any) (menuSelector, error) {
	markup := bootflow.StringList(dm["item_markup"])
	if len(markup) != 2 {
		return menuSelector{}, sdk.ConfigErrorf("uefi-menu: item_markup needs two strings, not %v", dm["item_markup"])
	}
	label := firstNonEmpty(bootflow.Str(dm, "label_class"), `a-zA-Z0-9\s\:`)
	pat := regexp.QuoteMeta(markup[0]) + "([" + bootflow.Str(dm, "item_class") + "]+)" + regexp.QuoteMeta(markup[1]) +
		bootflow.Str(dm, "separator") + "([" + label + "]*)"
	re, err := regexp.Compile(pat)
	if err != nil {
		return menuSelector{}, sdk.ConfigErrorf("uefi-menu: item_markup, item_class, separator and label_class make no pattern: %v", err)
	}
	return menuSelector{re}, nil
}

func (s menuSelector) find(text, label string) string {
	lines := strings.Split(text, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if m := s.re.FindStringSubmatch(strings.TrimSpace(lines[i])); m != nil && m[2] == label {
			return m[1]
		}
	}
	return ""
}

// uefiMenuSelector walks the menu sequence uefi-commands prepared.
func uefiMenuSelector(ctx context.Context, call sdk.Call, host sdk.Host) error {
	dm := call.Device.Method
	sel, err := newMenuSelector(dm)
	if err != nil {
		return err
	}
	v, ok, err := host.Get(keyMenu, "uefi-menu", "steps")
	if err != nil {
		return err
	}
	var steps []menuStep
	if ok {
		if err := json.Unmarshal([]byte(v), &steps); err != nil {
			return &sdk.Error{Type: sdk.Bug, Msg: fmt.Sprintf("uefi-menu-selector: %v", err)}
		}
	}
	sep := "\r\n"
	if firstNonEmpty(bootflow.Str(call.Block.Params, "line_separator"), bootflow.Str(dm, "line_separator")) == "unix" {
		sep = "\n"
	}
	return walkMenu(ctx, host, "uefi-menu-selector", dm, sel, steps, sep, bootflow.Str(dm, "boot_message"))
}

// walkMenu waits for the menu's bootloader_prompt, walks steps (selects each
// item, escapes, enters text, waits) and then waits for bootMessage, if any.
func walkMenu(ctx context.Context, host sdk.Host, action string, dm map[string]any, sel menuSelector, steps []menuStep, sep, bootMessage string) error {
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	prompt := bootflow.Str(dm, "bootloader_prompt")
	m, err := con.Expect(ctx, []string{regexp.QuoteMeta(prompt)}, 0)
	if err != nil {
		return sdk.InfraErrorf("%s: waiting for %q: %w", action, prompt, err)
	}
	menuText := m.Before
	wait := func(s menuStep) error {
		if s.Wait == "" {
			return nil
		}
		m, err := con.Expect(ctx, []string{regexp.QuoteMeta(s.Wait)}, 0)
		if err != nil {
			return sdk.JobErrorf("%s: wait for prompt %q timed out: %v", action, s.Wait, err)
		}
		menuText = m.Before
		return nil
	}
	for _, s := range steps {
		for _, item := range s.Items {
			choice := sel.find(menuText, item)
			if choice == "" && s.Fallback != "" {
				choice = sel.find(menuText, s.Fallback)
			}
			if choice == "" {
				return sdk.JobErrorf("No selection was made: no menu item %q", item)
			}
			if err := host.Log(sdk.LevelDebug, "Selecting option "+choice); err != nil {
				return err
			}
			if err := con.SendRaw(ctx, choice+sep); err != nil {
				return err
			}
			if err := wait(s); err != nil {
				return err
			}
		}
		if s.Escape {
			if err := con.SendRaw(ctx, "\x1b"); err != nil {
				return err
			}
			if err := wait(s); err != nil {
				return err
			}
		}
		if s.Enter != nil {
			if err := con.SendRaw(ctx, *s.Enter+"\r"); err != nil {
				return err
			}
			if err := wait(s); err != nil {
				return err
			}
		}
	}
	if bootMessage != "" {
		if _, err := con.Expect(ctx, []string{regexp.QuoteMeta(bootMessage)}, 0); err != nil {
			return sdk.JobErrorf("%s: waiting for %q: %v", action, bootMessage, err)
		}
	}
	return nil
}
