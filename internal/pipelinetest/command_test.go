package pipelinetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/core/job"
	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/plugins/command"
	"github.com/lavacore/lavacore/plugins/tftp"
	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

// commandRegistry is builtinRegistry, which serves the command method.
func commandRegistry(t testing.TB) *sdktest.Registry { return builtinRegistry(t) }

// parseJob validates and decodes a job as `lavacore describe` does.
func parseJob(t *testing.T, name, src string) *job.Job {
	t.Helper()
	j, diags := job.Parse(name, []byte(src))
	if len(diags) > 0 {
		t.Fatalf("%s: %v", name, diags)
	}
	return j
}

// describe of `command:` blocks: LAVA's CommandAction (user-command), on a
// device whose HCL declares the commands. The job sets an action timeout, so
// the blocks' own timeouts do not count (LAVA's parser gives a command its
// parameters after the job's timeouts: refs db410c.yaml, kvm-command.yaml).
func TestDescribeCommandGolden(t *testing.T) {
	j, diags := job.Load(filepath.Join("testdata", "command-job.yaml"))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	p, err := pipeline.Build(j, labDevice(t, loadTestLab(t), "mustang2"), commandRegistry(t), testDisp)
	if err != nil {
		t.Fatal(err)
	}
	if probs := p.Validate(context.Background()); len(probs) > 0 {
		t.Errorf("validate: %v", probs)
	}
	var y bytes.Buffer
	if err := pipeline.WriteYAML(&y, p.Describe()); err != nil {
		t.Fatal(err)
	}
	golden(t, "command-describe.yaml", y.Bytes())
}

// A command the device does not declare stops the build with LAVA's message,
// placed at the block in the job file.
func TestCommandUnknown(t *testing.T) {
	lab := loadTestLab(t)
	src := `device_type: mustang
job_name: x
timeouts: {job: {minutes: 5}}
priority: medium
visibility: public
actions:
- command:
    name: usb_on
- command:
    name: %s
`
	cases := []struct{ dev, name, want string }{
		{"mustang2", "usb_of", "job.yaml:9:3: actions[1].command.usb_of: Unknown user command 'usb_of'"},
		{"mustang2", "pre_os_command", "job.yaml:9:3: actions[1].command.pre_os_command: Command 'pre_os_command' not defined for this device"},
		{"mustang1", "usb_of", "job.yaml:7:3: actions[0].command.usb_on: Device has no configured user commands"},
	}
	for _, c := range cases {
		j := parseJob(t, "job.yaml", fmt.Sprintf(src, c.name))
		_, err := pipeline.Build(j, labDevice(t, lab, c.dev), commandRegistry(t), testDisp)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s on %s: %v\nwant %s", c.name, c.dev, err, c.want)
		} else if sdk.TypeOf(err) != sdk.Job {
			t.Errorf("%s: error type %s", c.name, sdk.TypeOf(err))
		}
	}
	// The method's Validate says the same, at the name key.
	j := parseJob(t, "job.yaml", fmt.Sprintf(src, "usb_on"))
	p, err := pipeline.Build(j, labDevice(t, lab, "mustang2"), commandRegistry(t), testDisp)
	if err != nil {
		t.Fatal(err)
	}
	p.Actions[1].Request.Block.Params = map[string]any{"name": "usb_of"}
	probs := p.Validate(context.Background())
	if len(probs) != 1 || probs[0].String() != "job.yaml:10:5: actions[1].command.usb_on.name: Unknown user command 'usb_of'" {
		t.Errorf("validate: %v", probs)
	}
	// Without a command method, the selection error names the section.
	_, err = pipeline.Build(j, labDevice(t, lab, "mustang2"), sdktest.NewRegistry(t, tftp.Methods()...), testDisp)
	if err == nil || !strings.Contains(err.Error(), "None of the command strategies accepted your command parameters") {
		t.Errorf("no command method: %v", err)
	}
	if !slices.Equal(command.Builtin, device.BuiltinCommands) {
		t.Errorf("builtin commands: plugin %v, device %v", command.Builtin, device.BuiltinCommands)
	}
}

// fakeCommandDevice is a device whose commands append to a file.
func fakeCommandDevice(cmds map[string][2]string) *device.Device {
	d := &device.Device{Name: "fake", Type: "fake", Constants: map[string]any{}, UserCommands: map[string]device.UserCommand{}}
	for name, du := range cmds {
		uc := device.UserCommand{Name: name, Do: []string{du[0]}}
		if du[1] != "" {
			uc.Undo = []string{du[1]}
		}
		d.UserCommands[name] = uc
	}
	return d
}

func appendLine(file, word string) string {
	return fmt.Sprintf("sh -c 'echo %s >> %s'", word, file)
}

// do runs in the action and undo in cleanup, newest first, after finalize;
// the plugin is served over go-plugin's gRPC as lavacore run does.
func TestCommandDoUndoOrder(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "trace")
	dev := fakeCommandDevice(map[string][2]string{
		"a": {appendLine(trace, "do-a"), appendLine(trace, "undo-a")},
		"b": {appendLine(trace, "do-b"), appendLine(trace, "undo-b")},
		"c": {appendLine(trace, "do-c"), ""},
	})
	j := parseJob(t, "order.yaml", `device_type: fake
job_name: order
timeouts: {job: {minutes: 1}, action: {seconds: 20}}
priority: medium
visibility: public
actions:
- command: {name: a}
- command: {name: b}
- command: {name: c}
`)
	reg := pipeline.NewStaticRegistry(sdktest.Serve(t, command.New())...)
	p, err := pipeline.Build(j, dev, reg, sdk.Dispatcher{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	if err := p.Run(context.Background(), env{rec}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(trace)
	if want := "do-a\ndo-b\ndo-c\nundo-b\nundo-a\n"; string(got) != want {
		t.Errorf("trace:\n%s\nwant:\n%s", got, want)
	}
}

// A command that hangs is killed, with its process group, at the block's
// timeout; the error names the command.
func TestCommandTimeoutKills(t *testing.T) {
	marker := fmt.Sprintf("987.%d", time.Now().UnixNano()%1000000)
	dev := fakeCommandDevice(map[string][2]string{
		"hang": {fmt.Sprintf("sh -c 'sleep %s & sleep %s; wait'", marker, marker), ""},
	})
	j := parseJob(t, "hang.yaml", `device_type: fake
job_name: hang
timeouts: {job: {minutes: 1}}
priority: medium
visibility: public
actions:
- command:
    name: hang
    timeout: {seconds: 1}
`)
	p, err := pipeline.Build(j, dev, commandRegistry(t), sdk.Dispatcher{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = p.Run(context.Background(), env{&recorder{}})
	if took := time.Since(start); took > 20*time.Second { // a sanity bound: it sleeps 987 s
		t.Errorf("took %s", took)
	}
	if err == nil || !errors.Is(err, pipeline.ErrTimeout) || sdk.TypeOf(err) != sdk.Infrastructure ||
		!strings.HasPrefix(err.Error(), "user-command timed out after 1 seconds: user command 'hang': 'sh -c 'sleep "+marker) {
		t.Fatalf("err = %v (%s)", err, sdk.TypeOf(err))
	}
	// Both sleeps (the command's and its background child) are gone.
	for i := 0; ; i++ {
		out, _ := exec.Command("pgrep", "-f", "sleep "+marker).Output()
		if len(bytes.TrimSpace(out)) == 0 {
			break
		}
		if i == 100 {
			t.Fatalf("left behind: %s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
