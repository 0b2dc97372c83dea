// Package command is LAVA's `command` action (CommandAction, "user-command"):
// a job's block
//
//	command:
//	  name: pre_power_command
//
// runs, on the dispatcher, a command the device declares: one of the builtin
// pre_power_command, pre_os_command, hard_reset, power_on, power_off the
// device sets (its `power {}` block), or one of its user commands
// (`user_command "NAME" { do = …, undo = … }` in the device type or the device
// file). Do runs in the action, undo in its cleanup. Each command line is split
// like a shell's words and run without a shell, in its own process group,
// killed at the action's timeout; its output goes to the job log.
package command

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/lavacore/lavacore/sdk"
)

// Name is the method's name and its action's (LAVA's CommandAction.name).
const Name = "user-command"

// Builtin are the device commands a job may name besides user commands.
var Builtin = []string{"pre_power_command", "pre_os_command", "hard_reset", "power_on", "power_off"}

type method struct{ sdk.Actions }

// New returns the command/user-command method.
func New() sdk.Method { return method{sdk.Actions{Name: userCommand{}}} }

// Methods returns every method of this package.
func Methods() []sdk.Method { return []sdk.Method{New()} }

func (method) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionCommand, Name: Name,
		Description: "execute one of the commands listed by the admin",
		JobParams: []sdk.ParamSpec{{Key: "name", Type: sdk.ParamString, Required: true,
			Doc: "One of the device's commands: " + strings.Join(Builtin, ", ") + " or a user command."}}}
}

// Accepts takes every command block (LAVA has no strategy for them: the
// device's commands decide, in Describe and Validate).
func (method) Accepts(req sdk.Request) (bool, string) {
	if _, ok := req.Block.Params["name"].(string); !ok {
		return false, `"name" not in parameters`
	}
	return true, "accepted"
}

// Describe is LAVA's CommandAction; an unknown command fails here already,
// so that describe, validate and run all stop before anything runs.
func (method) Describe(req sdk.Request) (sdk.ActionSpec, error) {
	if _, err := Lookup(req); err != nil {
		return sdk.ActionSpec{}, err
	}
	return sdk.ActionSpec{Name: Name, Class: "CommandAction",
		Description: "execute one of the commands listed by the admin", Summary: "execute commands",
		TimeoutError: sdk.Infrastructure}, nil
}

func (method) Validate(_ context.Context, req sdk.Request) sdk.Diagnostics {
	if _, err := Lookup(req); err != nil {
		d := sdk.Diagnostic{Path: "name", Summary: err.Error()}
		if names := commandNames(req.Device); len(names) > 0 {
			d.Detail = fmt.Sprintf("device %s has: %s", req.Device.Name, strings.Join(names, ", "))
		}
		return sdk.Diagnostics{d}
	}
	return nil
}

// Lookup finds the block's command on the device, with LAVA's messages when
// it is not there.
func Lookup(req sdk.Request) (sdk.DeviceCommand, error) {
	name, _ := req.Block.Params["name"].(string)
	c, ok := req.Device.Commands[name]
	if slices.Contains(Builtin, name) {
		if !ok || c.User || len(c.Do) == 0 {
			return sdk.DeviceCommand{}, sdk.JobErrorf("Command '%s' not defined for this device", name)
		}
		return c, nil
	}
	users := 0
	for _, c := range req.Device.Commands {
		if c.User {
			users++
		}
	}
	if users == 0 {
		return sdk.DeviceCommand{}, sdk.JobErrorf("Device has no configured user commands")
	}
	if !ok || !c.User {
		return sdk.DeviceCommand{}, sdk.JobErrorf("Unknown user command '%s'", name)
	}
	if len(c.Do) == 0 {
		return sdk.DeviceCommand{}, sdk.ConfigErrorf("User command \"%s\" is invalid: 'do' is empty", name)
	}
	return c, nil
}

func commandNames(d sdk.Device) []string {
	names := make([]string, 0, len(d.Commands))
	for n := range d.Commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
