package bootflow

import (
	"strings"
	"testing"

	"github.com/lavacore/lavacore/sdk"
)

func TestControlChar(t *testing.T) {
	for _, c := range []struct{ in, want, err string }{
		{"c", "\x03", ""}, {"b", "\x02", ""}, {"[", "\x1b", ""}, {"?", "\x7f", ""},
		{"", "", "not one character"}, {"ab", "", "not one character"}, {"1", "", "has no control character"},
	} {
		got, err := ControlChar(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: %q %v, want %q", c.in, got, err, c.want)
		}
	}
}

func TestInterruptSettingsOf(t *testing.T) {
	consts := map[string]any{
		"u-boot": map[string]any{"interrupt-prompt": "Hit any key to stop autoboot", "interrupt-character": " ",
			"interrupt-newline": false, "interrupt_ctrl_list": []any{}},
		"ipxe": map[string]any{"interrupt-prompt": "Press Ctrl-B", "interrupt_ctrl_list": []any{"b"}, "interrupt-character": "x"},
	}
	d := sdk.Device{Constants: consts}
	cases := []struct {
		name   string
		method string
		block  map[string]any
		want   InterruptSettings
	}{
		{"constants", "u-boot", map[string]any{"bootloader_prompt": "=>"},
			InterruptSettings{Prompt: "=>", NeedsInterrupt: true, InterruptPrompt: "Hit any key to stop autoboot", Char: " ", CtrlList: []string{}}},
		{"the block wins, even with an empty char", "u-boot", map[string]any{"bootloader_prompt": "=>", "interrupt_prompt": "autoboot", "interrupt_char": "", "needs_interrupt": false},
			InterruptSettings{Prompt: "=>", InterruptPrompt: "autoboot", Char: "", CtrlList: []string{}}},
		{"ipxe: control characters, no char", "ipxe", map[string]any{"bootloader_prompt": "iPXE>"},
			InterruptSettings{Prompt: "iPXE>", NeedsInterrupt: true, InterruptPrompt: "Press Ctrl-B", Newline: true, CtrlList: []string{"b"}}},
	}
	for _, c := range cases {
		got := InterruptSettingsOf(d, c.method, c.block)
		if got.Prompt != c.want.Prompt || got.NeedsInterrupt != c.want.NeedsInterrupt || got.InterruptPrompt != c.want.InterruptPrompt ||
			got.Char != c.want.Char || got.Newline != c.want.Newline || len(got.CtrlList) != len(c.want.CtrlList) {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}
