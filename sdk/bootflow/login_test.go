package bootflow

import (
	"context"
	"reflect"
	"testing"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

// TestLogin_KernelMessagesResultAsLAVALogsIt: the lava suite's
// kernel-messages result as LAVA 2023.01's LinuxKernelMessages.parse_failures
// logs it: always an extra {extra: [the messages seen]} (empty on a clean
// boot), "pass" unless a fatal message or the job's failure message matched
// (a kernel warning is reported, not failed), logged once when the prompt
// ends the watch — a failed login after it does not log it again.
func TestLogin_KernelMessagesResultAsLAVALogsIt(t *testing.T) {
	warning := "[    1.0] WARNING: CPU: 0 PID: 1 at lib/foo.c:1\r\n[    1.1] ---[ end trace 0000 ]---\r\n"
	cases := []struct {
		name   string
		banner string
		steps  []sdktest.Step
		opts   LoginOptions
		fails  bool
		want   []sdk.Result
	}{
		{name: "a clean boot", banner: "board login: ",
			steps: []sdktest.Step{{Expect: "^root$", Reply: "\r\nroot@board:~# "}},
			opts:  LoginOptions{Prompts: []string{"root@board:"}, LoginPrompt: "login:", Username: "root", KernelMessages: true},
			want: []sdk.Result{
				{Definition: "lava", Case: "kernel-messages", Level: "2.7.1", Result: "pass", Extra: map[string]any{"extra": []any{}}},
				{Definition: "lava", Case: "login-action", Level: "2.7.1", Result: "pass", Extra: map[string]any{"success": "No kernel warnings or errors detected."}},
			}},
		{name: "a kernel warning passes, listed", banner: warning + "board login: ",
			steps: []sdktest.Step{{Expect: "^root$", Reply: "\r\nroot@board:~# "}},
			opts:  LoginOptions{Prompts: []string{"root@board:"}, LoginPrompt: "login:", Username: "root", KernelMessages: true},
			want: []sdk.Result{
				{Definition: "lava", Case: "kernel-messages", Level: "2.7.1", Result: "pass", Extra: map[string]any{"extra": []any{
					map[string]any{"kind": "warning", "message": "WARNING: CPU: 0 PID: 1 at lib/foo.c:1\r\n[    1.1] ---[ end trace 0000 ]---"}}}},
				{Definition: "lava", Case: "login-action", Level: "2.7.1", Result: "pass", Extra: map[string]any{"fail": []any{
					map[string]any{"kind": "warning", "message": "WARNING: CPU: 0 PID: 1 at lib/foo.c:1\r\n[    1.1] ---[ end trace 0000 ]---"}}}},
			}},
		{name: "the job's failure message fails it", banner: "oh no, disaster\r\n",
			opts:  LoginOptions{Prompts: []string{"root@board:"}, FailureMessage: "disaster", KernelMessages: true},
			fails: true,
			want: []sdk.Result{
				{Definition: "lava", Case: "kernel-messages", Level: "2.7.1", Result: "fail", Extra: map[string]any{"extra": []any{
					map[string]any{"message": "kernel-messages"}}}},
			}},
		{name: "a wrong password after the login prompt: kernel-messages already passed", banner: "board login: ",
			steps: []sdktest.Step{{Expect: "^root$", Reply: "\r\nLogin incorrect\r\n"}},
			opts:  LoginOptions{Prompts: []string{"root@board:"}, LoginPrompt: "login:", Username: "root", KernelMessages: true},
			fails: true,
			want: []sdk.Result{
				{Definition: "lava", Case: "kernel-messages", Level: "2.7.1", Result: "pass", Extra: map[string]any{"extra": []any{}}},
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := sdktest.NewHost(c.banner, c.steps...)
			err := Login(context.Background(), mustConsole(t, h), h, "2.7.1", c.opts)
			if (err != nil) != c.fails {
				t.Fatalf("err = %v, want failure %v", err, c.fails)
			}
			var got []sdk.Result
			for _, r := range h.Results {
				r.Duration = ""
				got = append(got, r)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("results\n%#v\nwant\n%#v", got, c.want)
			}
		})
	}
}
