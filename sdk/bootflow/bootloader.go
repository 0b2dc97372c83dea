package bootflow

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/lavacore/lavacore/sdk"
)

// KeyAtPrompt records that bootloader-interrupt left the console at the
// bootloader's prompt (LAVA's interrupt/interrupt/at_bootloader_prompt).
var KeyAtPrompt = [3]string{"interrupt", "interrupt", "at_bootloader_prompt"}

// BootloaderCommandsKey is where bootloader-overlay leaves the substituted
// commands of a bootloader (LAVA's bootloader-overlay/<method>/commands).
func BootloaderCommandsKey(method string) [3]string {
	return [3]string{"bootloader-overlay", method, "commands"}
}

// Constant is LAVA's device.get_constant(key, prefix=method): the device's
// constants[method][key] ("-" and "_" are the same), or constants[key]
// without a method.
func Constant(d sdk.Device, method, key string) (any, bool) {
	m := d.Constants
	if method != "" {
		m, _ = d.Constants[method].(map[string]any)
	}
	for _, k := range []string{key, strings.ReplaceAll(key, "-", "_"), strings.ReplaceAll(key, "_", "-")} {
		if v, ok := m[k]; ok && v != nil {
			return v, true
		}
	}
	return nil, false
}

// InterruptSettings are how a bootloader is interrupted (LAVA's
// BootloaderInterruptAction.validate).
type InterruptSettings struct {
	Prompt          string // the bootloader's prompt
	NeedsInterrupt  bool
	InterruptPrompt string   // awaited before interrupting
	Char            string   // sent, with a newline unless Newline is false
	Newline         bool     // interrupt-newline
	CtrlList        []string // sent as control characters instead of Char
}

// InterruptSettingsOf reads the settings of the bootloader method (u-boot,
// grub …) from its device block (block) and the device's constants: a key of
// the block wins over the constant, as in LAVA.
func InterruptSettingsOf(d sdk.Device, method string, block map[string]any) InterruptSettings {
	s := InterruptSettings{Prompt: Str(block, "bootloader_prompt"), NeedsInterrupt: true, Newline: true}
	if v, ok := block["needs_interrupt"].(bool); ok {
		s.NeedsInterrupt = v
	}
	if v, ok := block["interrupt_prompt"]; ok && v != nil {
		s.InterruptPrompt = fmt.Sprint(v)
	} else if v, ok := Constant(d, method, "interrupt-prompt"); ok {
		s.InterruptPrompt = fmt.Sprint(v)
	}
	if v, ok := Constant(d, method, "interrupt-newline"); ok {
		if b, isBool := v.(bool); isBool {
			s.Newline = b
		}
	}
	if method != "ipxe" {
		if v, ok := block["interrupt_char"]; ok && v != nil {
			s.Char = fmt.Sprint(v)
		} else if v, ok := Constant(d, method, "interrupt-character"); ok {
			s.Char = fmt.Sprint(v)
		}
	}
	if v, ok := block["interrupt_ctrl_list"]; ok && v != nil {
		s.CtrlList = StringList(v)
	} else if v, ok := Constant(d, method, "interrupt_ctrl_list"); ok {
		s.CtrlList = StringList(v)
	}
	return s
}

// ControlChar is pexpect's sendcontrol: the control character of a letter
// ("c" → Ctrl-C), or of one of @[\]^_?.
func ControlChar(c string) (string, error) {
	if len(c) != 1 {
		return "", sdk.ConfigErrorf("interrupt_ctrl_list: %q is not one character", c)
	}
	b := c[0]
	switch {
	case b >= 'a' && b <= 'z':
		return string(rune(b - 'a' + 1)), nil
	case b >= '@' && b <= '_':
		return string(rune(b - '@')), nil
	case b == '?':
		return "\x7f", nil
	}
	return "", sdk.ConfigErrorf("interrupt_ctrl_list: %q has no control character", c)
}

// InterruptBootloader is LAVA's bootloader-interrupt: wait for the interrupt
// prompt and interrupt (control characters, or the interrupt character with
// or without a newline), then wait for the bootloader's prompt; without
// needs_interrupt, only wait for the prompt. Either way the console is left
// at the prompt (KeyAtPrompt).
func InterruptBootloader(ctx context.Context, con sdk.Console, host sdk.Host, s InterruptSettings) error {
	if s.Prompt == "" {
		return sdk.ConfigErrorf("bootloader-interrupt: Missing bootloader prompt for device")
	}
	if s.NeedsInterrupt {
		if err := host.Log(sdk.LevelDebug, fmt.Sprintf("Waiting for interrupt prompt: %q", s.InterruptPrompt)); err != nil {
			return err
		}
		if _, err := con.Expect(ctx, []string{regexp.QuoteMeta(s.InterruptPrompt)}, 0); err != nil {
			return sdk.InfraErrorf("bootloader-interrupt: the bootloader did not print %q: %w", s.InterruptPrompt, err)
		}
		switch {
		case len(s.CtrlList) > 0:
			for _, c := range s.CtrlList {
				cc, err := ControlChar(c)
				if err != nil {
					return err
				}
				if err := con.SendRaw(ctx, cc); err != nil {
					return err
				}
			}
		case s.Newline:
			if err := con.SendLine(ctx, s.Char); err != nil {
				return err
			}
		default:
			if err := con.SendRaw(ctx, s.Char); err != nil {
				return err
			}
		}
	} else if err := host.Log(sdk.LevelInfo, "Not interrupting bootloader, waiting for bootloader prompt"); err != nil {
		return err
	}
	if _, err := con.Expect(ctx, []string{regexp.QuoteMeta(s.Prompt)}, 0); err != nil {
		return sdk.InfraErrorf("bootloader-interrupt: no bootloader prompt %q: %w", s.Prompt, err)
	}
	return host.Set(KeyAtPrompt[0], KeyAtPrompt[1], KeyAtPrompt[2], "true")
}

// CommandSettings are how bootloader-commands types a command list.
type CommandSettings struct {
	Prompt        string
	ErrorMessages []string // regexes: a match fails the boot (InfrastructureError)
	FinalMessage  string   // awaited after the last command when ExpectFinal
	ExpectFinal   bool
}

// CommandSettingsOf reads the bootloader's error and final messages from
// the device's constants; the boot block's parameters.bootloader-final-message
// overrides the final message.
func CommandSettingsOf(d sdk.Device, method string, block, params map[string]any, expectFinal bool) CommandSettings {
	s := CommandSettings{Prompt: Str(block, "bootloader_prompt"), ExpectFinal: expectFinal}
	if v, ok := Constant(d, method, "error-messages"); ok {
		s.ErrorMessages = StringList(v)
	}
	if v, ok := Constant(d, method, "final-message"); ok {
		s.FinalMessage = fmt.Sprint(v)
	}
	if p, ok := params["parameters"].(map[string]any); ok {
		if v := Str(p, "bootloader-final-message"); v != "" {
			s.FinalMessage = v
		}
	}
	return s
}

// SendBootloaderCommands is LAVA's bootloader-commands: wait for the prompt
// (unless bootloader-interrupt left the console there), then send each line,
// waiting for the prompt after each but the last; after the last, wait for
// the final message (when there is one and it is expected). A match of an
// error message instead is an InfrastructureError.
func SendBootloaderCommands(ctx context.Context, con sdk.Console, host sdk.Host, lines []string, s CommandSettings) error {
	prompts := append([]string{regexp.QuoteMeta(s.Prompt)}, s.ErrorMessages...)
	at, ok, err := host.Get(KeyAtPrompt[0], KeyAtPrompt[1], KeyAtPrompt[2])
	if err != nil {
		return err
	}
	if !ok || at != "true" {
		if _, err := con.Expect(ctx, prompts[:1], 0); err != nil {
			return sdk.InfraErrorf("bootloader-commands: no bootloader prompt %q: %w", s.Prompt, err)
		}
	}
	for i, l := range lines {
		if err := con.SendLine(ctx, l); err != nil {
			return err
		}
		wait, what := prompts, s.Prompt
		if i == len(lines)-1 {
			if s.FinalMessage == "" || !s.ExpectFinal {
				break
			}
			wait, what = append([]string{s.FinalMessage}, s.ErrorMessages...), s.FinalMessage
		}
		m, err := con.Expect(ctx, wait, 0)
		if err != nil {
			return sdk.InfraErrorf("bootloader-commands: waiting for %q after %q: %w", what, l, err)
		}
		if m.Index != 0 {
			return sdk.InfraErrorf("matched a bootloader error message: '%s' (%d)%s", wait[m.Index], m.Index, matchedErrorLines(ctx, con, m))
		}
	}
	return nil
}

// SetBootloaderCommands records the substituted commands of a bootloader.
func SetBootloaderCommands(host sdk.Host, method string, lines []string) error {
	b, err := json.Marshal(lines)
	if err != nil {
		return &sdk.Error{Type: sdk.Bug, Msg: fmt.Sprintf("bootloader-overlay: %v", err)}
	}
	k := BootloaderCommandsKey(method)
	return host.Set(k[0], k[1], k[2], string(b))
}

// BootloaderCommands returns the commands bootloader-overlay recorded for
// method (an error when it recorded none, as LAVA's JobError).
func BootloaderCommands(host sdk.Host, method string) ([]string, error) {
	k := BootloaderCommandsKey(method)
	v, ok, err := host.Get(k[0], k[1], k[2])
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, sdk.JobErrorf("Bootloader commands for '%s' method are not defined", method)
	}
	var lines []string
	if err := json.Unmarshal([]byte(v), &lines); err != nil {
		return nil, &sdk.Error{Type: sdk.Bug, Msg: fmt.Sprintf("bootloader-overlay commands: %v", err)}
	}
	return lines, nil
}
