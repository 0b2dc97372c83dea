// Package bootflow holds what lavacore's boot methods share: placeholder
// substitution, bootloader interrupt and commands, LAVA's kernel-message
// detection, auto-login, the shell prompt and the device environment.
package bootflow

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/lavacore/lavacore/sdk"
)

// Namespace data keys shared by deploy and boot methods (action, label, key).
var (
	KeyKernel     = [3]string{"download-action", "file", "kernel"}
	KeyDTB        = [3]string{"download-action", "file", "dtb"}
	KeyTee        = [3]string{"download-action", "file", "tee"}
	KeyRamdisk    = [3]string{"compress-ramdisk", "file", "ramdisk"}
	KeyNFSRoot    = [3]string{"extract-rootfs", "file", "nfsroot"}
	KeyNFSServer  = [3]string{"extract-rootfs", "file", "nfs_server_ip"}
	KeyResultsDir = [3]string{"test", "results", "lava_test_results_dir"}
	KeyShell      = [3]string{"test", "shared", "lava_test_sh_cmd"}
	KeyOverlay    = [3]string{"compress-overlay", "output", "file"}
	KeyEnvFile    = [3]string{"deploy-device-env", "environment", "shell_file"}
)

// GetString reads a JSON string from namespace data ("" when absent); an
// error is a host that could not answer.
func GetString(h sdk.Host, k [3]string) (string, error) {
	v, ok, err := h.Get(k[0], k[1], k[2])
	if err != nil || !ok {
		return "", err
	}
	var s string
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		return v, nil
	}
	return s, nil
}

// SetString writes a JSON string to namespace data.
func SetString(h sdk.Host, k [3]string, s string) error {
	b, err := json.Marshal(s)
	if err != nil {
		return &sdk.Error{Type: sdk.Bug, Msg: fmt.Sprintf("namespace data %s: %v", strings.Join(k[:], "/"), err)}
	}
	return h.Set(k[0], k[1], k[2], string(b))
}

// Reader reads namespace strings for a method that needs several at once
// (to fill a command's placeholders): it keeps the first failure, which the
// method returns (Err) before it uses what it read.
type Reader struct {
	H   sdk.Host
	Err error
}

// String is GetString, "" once a read failed.
func (r *Reader) String(k [3]string) string {
	if r.Err != nil {
		return ""
	}
	v, err := GetString(r.H, k)
	r.Err = err
	return v
}

var placeholderRE = regexp.MustCompile(`\{[A-Z][A-Z0-9_]*\}`)

// Substitute replaces LAVA's {PLACEHOLDERS} in each line. As LAVA's
// substitute(drop=True), a line naming a placeholder that has no value (absent
// or empty) is dropped entirely.
func Substitute(lines []string, subs map[string]string) []string {
	var out []string
next:
	for _, l := range lines {
		for _, p := range placeholderRE.FindAllString(l, -1) {
			if v, known := subs[p]; known && v == "" {
				continue next
			}
		}
		for k, v := range subs {
			l = strings.ReplaceAll(l, k, v)
		}
		out = append(out, l)
	}
	return out
}

// StringList reads a string or a list of strings from a decoded value.
func StringList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	case []string:
		return x
	}
	return nil
}

// Str reads a string from a decoded map ("" when absent).
func Str(m map[string]any, k string) string {
	if v, ok := m[k]; ok && v != nil {
		return fmt.Sprint(v)
	}
	return ""
}

// Interrupt waits for the interrupt prompt and sends the interrupt character
// (and a newline unless newline is false), then waits for the bootloader prompt.
func Interrupt(ctx context.Context, con sdk.Console, host sdk.Host, interruptPrompt, char string, newline bool, bootloaderPrompt string) error {
	if interruptPrompt != "" {
		if err := host.Log(sdk.LevelDebug, fmt.Sprintf("Waiting for interrupt prompt: %q", interruptPrompt)); err != nil {
			return err
		}
		if _, err := con.Expect(ctx, []string{regexp.QuoteMeta(interruptPrompt)}, 0); err != nil {
			return sdk.InfraErrorf("bootloader-interrupt: the bootloader did not print %q: %w", interruptPrompt, err)
		}
	}
	if newline {
		if err := con.SendLine(ctx, char); err != nil {
			return err
		}
	} else if err := con.SendRaw(ctx, char); err != nil {
		return err
	}
	if _, err := con.Expect(ctx, []string{regexp.QuoteMeta(bootloaderPrompt)}, 0); err != nil {
		return sdk.InfraErrorf("bootloader-interrupt: no bootloader prompt %q after the interrupt: %v", bootloaderPrompt, err)
	}
	return nil
}

// Commands sends each bootloader command line, waiting for the prompt (or
// one of the error messages) after every line but the last, as LAVA's
// bootloader-commands does. finalMessage, if set, is awaited after the last line.
func Commands(ctx context.Context, con sdk.Console, host sdk.Host, lines []string, prompt string, errorMessages []string, finalMessage string) error {
	patterns := append([]string{regexp.QuoteMeta(prompt)}, errorMessages...)
	for i, l := range lines {
		if err := con.SendLine(ctx, l); err != nil {
			return err
		}
		if i == len(lines)-1 {
			break
		}
		m, err := con.Expect(ctx, patterns, 0)
		if err != nil {
			return sdk.InfraErrorf("bootloader-commands: waiting for %q after %q: %v", prompt, l, err)
		}
		if m.Index != 0 {
			return sdk.InfraErrorf("matched a bootloader error message: '%s' (%d)%s", errorMessages[m.Index-1], m.Index, matchedErrorLines(ctx, con, m))
		}
	}
	if finalMessage != "" {
		if _, err := con.Expect(ctx, []string{finalMessage}, 0); err != nil {
			return sdk.InfraErrorf("bootloader-commands: waiting for %q: %v", finalMessage, err)
		}
	}
	return nil
}

// kernelMessage is one of LAVA's kernel message kinds: where it starts, where it ends.
type kernelMessage struct {
	start, end, kind string
	fatal            bool
}

var kernelMessages = []kernelMessage{
	{`-\[ cut here \]`, `-+\[ end trace \w* \]-+[^\n]*\r`, "exception", false},
	{`Unhandled fault`, `\r`, "fault", false},
	{`BUG: KCSAN:`, `=+\r`, "kcsan", false},
	{`BUG: KASAN:`, `=+\r`, "kasan", false},
	{`BUG: KFENCE:`, `=+\r`, "kfence", false},
	{`Oops(?: -|:)`, `\r`, "oops", false},
	{`WARNING:`, `end trace[^\r]*\r`, "warning", false},
	{`(?:kernel BUG at|BUG:)`, `\r`, "bug", false},
	{`invalid opcode:`, `\r`, "invalid opcode", false},
	{`Kernel panic - not syncing`, `end Kernel panic[^\r]*\r`, "panic", true},
	{`U-Boot SPL 20[0-9][0-9]`, `\r`, "DUT_has_reset", true},
}

// LoginOptions are a boot block's login parameters.
type LoginOptions struct {
	Prompts        []string
	LoginPrompt    string
	Username       string
	PasswordPrompt string
	Password       string
	LoginCommands  []string
	FailureMessage string
	// KernelMessages enables LAVA's kernel message detection (boot, not ssh).
	KernelMessages bool
}

// LoginFromParams reads LoginOptions from a boot block.
func LoginFromParams(p map[string]any) LoginOptions {
	o := LoginOptions{Prompts: StringList(p["prompts"]), FailureMessage: Str(p, "failure_message")}
	if al, ok := p["auto_login"].(map[string]any); ok {
		o.LoginPrompt = Str(al, "login_prompt")
		o.Username = Str(al, "username")
		o.PasswordPrompt = Str(al, "password_prompt")
		o.Password = Str(al, "password")
		o.LoginCommands = StringList(al["login_commands"])
	}
	ignore, _ := p["ignore_kernel_messages"].(bool)
	o.KernelMessages = !ignore
	return o
}

// WaitKernelStart waits for the kernel start message (auto-login-action's
// first step when booting). errorMessages are bootloader errors that fail it.
func WaitKernelStart(ctx context.Context, con sdk.Console, host sdk.Host, startMessage string, errorMessages []string) error {
	if startMessage == "" {
		return nil
	}
	pats := append([]string{startMessage}, errorMessages...)
	m, err := con.Expect(ctx, pats, 0)
	if err != nil {
		return sdk.InfraErrorf("auto-login-action: the kernel did not start (waited for %q): %w", startMessage, err)
	}
	if m.Index != 0 {
		return sdk.InfraErrorf("auto-login-action: matched a bootloader error message: %q%s", m.Text, matchedErrorLines(ctx, con, m))
	}
	return host.Log(sdk.LevelInfo, "Kernel started: "+strings.TrimSpace(m.Text))
}

// Login is LAVA's login-action: it watches for kernel messages while waiting
// for a prompt or the login prompt, logs in with auto_login, runs the login
// commands, and records the kernel-messages result and its own
// (login-action's: success, or the kernel messages it saw).
func Login(ctx context.Context, con sdk.Console, host sdk.Host, level string, o LoginOptions) error {
	start := time.Now()
	var found []map[string]any
	// result logs kernel-messages once, when the watch ends (as LAVA's
	// parse_failures does: the messages seen, always, as extra; "fail" only
	// for a fatal message or the job's failure message).
	logged := false
	result := func(pass bool) error {
		if logged {
			return nil
		}
		logged = true
		r := sdk.Result{Definition: "lava", Case: "kernel-messages", Level: level,
			Duration: fmt.Sprintf("%.2f", time.Since(start).Seconds()), Result: "pass"}
		if !pass {
			r.Result = "fail"
		}
		extra := make([]any, len(found))
		for i, f := range found {
			extra[i] = f
		}
		r.Extra = map[string]any{"extra": extra}
		return host.Result(r)
	}
	// fail records a failed kernel-messages result (unless the watch had
	// ended) and returns err: why the login failed matters more than a
	// result the host could not take.
	fail := func(err error) error {
		_ = result(false)
		return err
	}
	// after returns err once the watch has ended well: kernel-messages passed
	// (LAVA logs it before it looks at what ended the watch).
	after := func(err error) error {
		_ = result(true)
		return err
	}
	var pats []string
	nk := 0
	if o.KernelMessages {
		for _, k := range kernelMessages {
			pats = append(pats, k.start)
		}
		nk = len(pats)
	}
	pats = append(pats, o.Prompts...)
	failIdx, loginIdx, incorrectIdx := -1, -1, -1
	if o.FailureMessage != "" {
		failIdx = len(pats)
		pats = append(pats, o.FailureMessage)
	}
	if o.LoginPrompt != "" {
		loginIdx = len(pats)
		pats = append(pats, o.LoginPrompt, "Login incorrect")
		incorrectIdx = loginIdx + 1
	}
	if len(pats) == nk {
		return sdk.JobErrorf("login-action: no prompts to wait for")
	}
	for {
		m, err := con.Expect(ctx, pats, 0)
		if err != nil {
			// LAVA: "Failed to match - connection timed out handling
			// messages." ends the watch; kernel-messages still passes.
			return after(sdk.JobErrorf("login-action: %w", err))
		}
		switch {
		case m.Index < nk:
			k := kernelMessages[m.Index]
			msg := m.Text
			if em, err := con.Expect(ctx, []string{k.end}, 20*time.Second); err == nil {
				msg += em.Before + em.Text
			} else if k.fatal {
				found = append(found, map[string]any{"kind": k.kind, "message": msg})
				return fail(sdk.JobErrorf("Kernel panic - not syncing"))
			}
			msg = strings.TrimSpace(msg)
			found = append(found, map[string]any{"kind": k.kind, "message": msg})
			if err := host.Log(sdk.LevelWarning, fmt.Sprintf("kernel message (%s): %s", k.kind, msg)); err != nil {
				return err
			}
			if k.fatal {
				return fail(sdk.JobErrorf("%s", msg))
			}
			continue
		case m.Index == failIdx:
			found = append(found, map[string]any{"message": "kernel-messages"})
			return fail(sdk.JobErrorf("Matched job-specific failure message: '%s'", o.FailureMessage))
		case m.Index == incorrectIdx:
			return after(sdk.JobErrorf("Login incorrect"))
		case m.Index == loginIdx:
			if err := result(true); err != nil {
				return err
			}
			if err := host.Log(sdk.LevelInfo, "auto-login: sending username "+o.Username); err != nil {
				return err
			}
			if err := con.SendLine(ctx, o.Username); err != nil {
				return err
			}
			if o.PasswordPrompt != "" {
				pm, err := con.Expect(ctx, append(append([]string{}, o.Prompts...), o.PasswordPrompt, "Login timed out"), 0)
				if err != nil || pm.Index == len(o.Prompts)+1 {
					return fail(sdk.JobErrorf("Password prompt not matched, please update the job definition with the correct one."))
				}
				if pm.Index == len(o.Prompts) {
					if err := con.SendLine(ctx, o.Password); err != nil {
						return err
					}
				} else {
					goto loggedIn
				}
			}
			lm, err := con.Expect(ctx, append(append([]string{}, o.Prompts...), "Login incorrect", "Login timed out"), 0)
			if err != nil {
				return fail(sdk.JobErrorf("login-action: no shell prompt after login: %w", err))
			}
			if lm.Index >= len(o.Prompts) {
				return fail(sdk.JobErrorf("%s", lm.Text))
			}
			goto loggedIn
		default:
			goto loggedIn
		}
	}
loggedIn:
	for _, c := range o.LoginCommands {
		if err := con.SendLine(ctx, c); err != nil {
			return err
		}
		if _, err := con.Expect(ctx, o.Prompts, 0); err != nil {
			return fail(sdk.JobErrorf("login command %q: no prompt: %w", c, err))
		}
	}
	if err := result(true); err != nil {
		return err
	}
	// login-action's own result, as LAVA's check_kernel_messages sets it
	own := map[string]any{"success": "No kernel warnings or errors detected."}
	if len(found) > 0 {
		list := make([]any, len(found))
		for i, f := range found {
			list[i] = f
		}
		own = map[string]any{"fail": list}
	}
	return host.Result(sdk.Result{Definition: "lava", Case: "login-action", Level: level, Result: "pass", Extra: own})
}

// ExpectShell sends an empty line and waits for one of the prompts, nudging
// the console as LAVA's forced prompt does.
func ExpectShell(ctx context.Context, con sdk.Console, prompts []string) error {
	deadline, ok := ctx.Deadline()
	remaining := 60 * time.Second
	if ok {
		remaining = time.Until(deadline)
	}
	if err := con.SendLine(ctx, ""); err != nil {
		return err
	}
	wait := remaining / 2
	for i := 0; i < 7; i++ {
		if _, err := con.Expect(ctx, prompts, wait); err == nil {
			return nil
		} else if ctx.Err() != nil {
			return sdk.JobErrorf("expect-shell-connection: no shell prompt %q: %w", prompts, err)
		}
		if err := con.SendLine(ctx, "#"); err != nil {
			return err
		}
		wait = remaining / 10
	}
	return sdk.JobErrorf("expect-shell-connection: no shell prompt %q", prompts)
}

// ShellQuote quotes s for a POSIX shell.
func ShellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'" }

// ExportEnv exports variables in the device's shell and waits for the prompt after each.
func ExportEnv(ctx context.Context, con sdk.Console, prompts []string, env map[string]string) error {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, err := ShellWord(k, env[k]); err != nil {
			return err
		}
		if err := con.SendLine(ctx, fmt.Sprintf("export %s=%s", k, ShellQuote(env[k]))); err != nil {
			return err
		}
		if _, err := con.Expect(ctx, prompts, 0); err != nil {
			return sdk.JobErrorf("export-device-env: no prompt after exporting %s: %w", k, err)
		}
	}
	return nil
}

// ExpectShellConnection is expect-shell-connection: it records the block's
// prompts (KeyPrompts, for the test shell) and waits for one of them.
type ExpectShellConnection struct{}

// Run waits for the shell.
func (ExpectShellConnection) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	prompts := StringList(call.Block.Params["prompts"])
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	if err := SetPrompts(host, prompts); err != nil {
		return err
	}
	return ExpectShell(ctx, con, prompts)
}
