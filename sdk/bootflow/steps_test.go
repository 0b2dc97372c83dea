package bootflow

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

func TestKernelStartMessage(t *testing.T) {
	cases := []struct {
		name   string
		consts map[string]any
		params map[string]any
		want   string
	}{
		{"none", nil, nil, ""},
		{"the device constant", map[string]any{"kernel-start-message": "Linux version"}, nil, "Linux version"},
		{"the block's parameters win", map[string]any{"kernel-start-message": "Linux version"},
			map[string]any{"parameters": map[string]any{"kernel-start-message": "Booting Linux"}}, "Booting Linux"},
		{"an empty block value keeps the constant", map[string]any{"kernel-start-message": "Linux version"},
			map[string]any{"parameters": map[string]any{"kernel-start-message": ""}}, "Linux version"},
		{"a constant that is not a string", map[string]any{"kernel-start-message": 3}, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			call := sdk.Call{Request: sdk.Request{Device: sdk.Device{Constants: c.consts}, Block: sdk.Block{Params: c.params}}}
			if got := KernelStartMessage(call); got != c.want {
				t.Errorf("KernelStartMessage = %q, want %q", got, c.want)
			}
		})
	}
}

// The shared steps, each against a scripted console: what it typed, and
// whether it failed and how.
func TestSteps(t *testing.T) {
	reboot := sdktest.Step{Expect: "^reboot -nf$", Reply: "The system is going down for reboot NOW!\r\n"}
	cases := []struct {
		name    string
		step    sdk.ActionFunc
		banner  string
		script  []sdktest.Step
		conn    string // the device's connection command
		consts  map[string]any
		params  map[string]any
		sent    []string
		errType sdk.ErrorType // "" for success
		errText string
	}{
		{name: "connect-device without a connection", step: ConnectDevice,
			errType: sdk.Configuration, errText: "device dut has no connection command"},
		{name: "connect-device opens the console", step: ConnectDevice, conn: "telnet localhost 7000"},
		{name: "send-reboot-commands sees LAVA's shutdown message", step: SendRebootCommands, script: []sdktest.Step{reboot},
			sent: []string{"reboot", "reboot -n", "reboot -nf"}},
		{name: "send-reboot-commands sees the kernel restart", step: SendRebootCommands,
			script: []sdktest.Step{{Expect: "^reboot$", Reply: "reboot: Restarting system\r\n"}},
			sent:   []string{"reboot", "reboot -n", "reboot -nf"}},
		{name: "send-reboot-commands waits for the device's own message", step: SendRebootCommands,
			script: []sdktest.Step{reboot}, consts: map[string]any{"shutdown-message": "Bye (now)"},
			sent: []string{"reboot", "reboot -n", "reboot -nf"}, errType: sdk.Infrastructure, errText: "the device did not reboot"},
		{name: "auto-login-action without a start message does not wait", step: AutoLogin},
		{name: "auto-login-action sees the kernel start", step: AutoLogin, banner: "Starting kernel ...\r\n[ 0.0] Linux version 6.1\r\n",
			consts: map[string]any{"kernel-start-message": "Linux version [0-9]"}},
		{name: "auto-login-action: a kernel that never starts", step: AutoLogin, banner: "U-Boot 2024.01\r\n=> ",
			consts: map[string]any{"kernel-start-message": "Linux version [0-9]"}, errType: sdk.Infrastructure, errText: "the kernel did not start"},
		{name: "login-action logs in", step: LoginAction, banner: "Linux version 6.1\r\nbbb login: ",
			script: []sdktest.Step{{Expect: "^root$", Reply: "\r\nroot@bbb:~# "}},
			params: map[string]any{"prompts": []any{"root@bbb:~#"}, "auto_login": map[string]any{"login_prompt": "login:", "username": "root"}},
			sent:   []string{"root"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := sdktest.NewHost(c.banner, c.script...)
			call := sdk.Call{Action: "step", Level: "1.1", Request: sdk.Request{Device: sdk.Device{Name: "dut", Connection: c.conn, Constants: c.consts}, Block: sdk.Block{Params: c.params}}}
			err := c.step(context.Background(), call, h)
			if c.errType == "" {
				if err != nil {
					t.Fatalf("err = %v, want success", err)
				}
			} else {
				var e *sdk.Error
				if !errors.As(err, &e) || e.Type != c.errType || !strings.Contains(err.Error(), c.errText) {
					t.Fatalf("err = %v, want a %s error saying %q", err, c.errType, c.errText)
				}
			}
			if c.sent != nil && !slices.Equal(h.Sent, c.sent) {
				t.Errorf("sent %q, want %q", h.Sent, c.sent)
			}
		})
	}
}
