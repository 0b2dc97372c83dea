package job

import (
	"strings"
	"testing"

	"github.com/lavacore/lavacore/sdk"
)

// TestDeclaredParams: an installed method's declared JobParams check its
// blocks, ahead of core/job's own schema of a method of the same name.
func TestDeclaredParams(t *testing.T) {
	const head = "job_name: p\ndevice_type: d\ntimeouts: {job: {minutes: 1}}\nvisibility: public\nactions:\n- "
	methods := []sdk.MethodInfo{
		{Section: sdk.SectionDeploy, Name: "tftp", JobParams: []sdk.ParamSpec{{Key: "kernel", Type: sdk.ParamArtifact}}},
		{Section: sdk.SectionBoot, Name: "hello", JobParams: []sdk.ParamSpec{
			{Key: "greeting", Type: sdk.ParamString, Pattern: "^[a-z]+$"},
			{Key: "bad", Type: sdk.ParamString, Pattern: "("},
			{Key: "where", Type: sdk.ParamRelPath, Within: "the lab"},
			{Key: "only", Type: sdk.ParamBool, With: "greeting"},
			{Key: "odd", Type: "odd"}}},
		{Section: sdk.SectionTest, Name: "monitors", JobParams: []sdk.ParamSpec{{Key: "monitors", Type: sdk.ParamAny, Required: true}}},
		{Section: sdk.SectionCommand, Name: "user-command", JobParams: []sdk.ParamSpec{
			{Key: "name", Type: sdk.ParamString, Required: true}, {Key: "args", Type: sdk.ParamStringOrList}}},
	}
	tests := []struct{ name, block, want string }{
		{"builtin name, declared keys", "deploy: {to: tftp, kernel: {url: http://x/k}, dtb: {url: http://x/d}}",
			"actions[0].deploy.tftp.dtb: extra keys not allowed"},
		{"pattern", "boot: {method: hello, greeting: Hi}", "actions[0].boot.hello.greeting: does not match regular expression ^[a-z]+$"},
		{"bad pattern", "boot: {method: hello, bad: x}", `actions[0].boot.hello.bad: the method declares an invalid pattern "("`},
		{"relpath", "boot: {method: hello, where: /etc}", `actions[0].boot.hello.where: must be a relative path inside the lab, without "..": "/etc"`},
		{"with absent", "boot: {method: hello, only: true}", "actions[0].boot.hello.only: extra keys not allowed"},
		{"with present", "boot: {method: hello, greeting: hi, only: true}", ""},
		{"unknown type", "boot: {method: hello, odd: 1}", `actions[0].boot.hello.odd: the method declares this key with an unknown type "odd"`},
		{"test kind", "test: {monitors: [], name: x}", "actions[0].test.name: extra keys not allowed"},
		{"command by the one command method", "command: {name: power_on, args: [a]}", ""},
		{"command keys", "command: {name: power_on, argz: [a]}", "actions[0].command.argz: extra keys not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := ParseWith("j.yaml", []byte(head+tt.block+"\n"), Options{Methods: methods})
			var got []string
			for _, d := range diags {
				got = append(got, d.Path+": "+d.Msg)
			}
			all := strings.Join(got, "\n")
			if tt.want == "" && all != "" || !strings.Contains(all, tt.want) {
				t.Errorf("diagnostics:\n%s\nwant: %s", all, tt.want)
			}
		})
	}
}
