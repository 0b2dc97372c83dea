package pipeline

import (
	"context"

	"github.com/lavacore/lavacore/sdk"
)

// FinalizeSpec is LAVA's FinalizeAction: the last top-level action of every
// job, run whatever happened before it.
func FinalizeSpec() sdk.ActionSpec {
	return sdk.ActionSpec{
		Name: "finalize", Class: "FinalizeAction",
		Description: "finish the process and cleanup", Summary: "finalize the job",
		Children: []sdk.ActionSpec{
			{Name: "power-off", Class: "PowerOff", Description: "discontinue power to device", Summary: "send power_off command"},
			{Name: "read-feedback", Class: "ReadFeedback", Description: "Check for messages on all other namespaces", Summary: "Read from other namespaces"},
		},
	}
}

// finalizeMethod runs finalize's actions: power-off runs the device's
// power_off commands (if it has any), read-feedback has nothing to read in
// process; finalize's cleanup closes the console.
type finalizeMethod struct{ sdk.Actions }

func newFinalize(powerOff bool) finalizeMethod {
	return finalizeMethod{sdk.Actions{
		"finalize":      finalize{},
		"power-off":     powerOffAction{powerOff},
		"read-feedback": sdk.Noop("nothing to read in process"),
	}}
}

func (finalizeMethod) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: "finalize", Name: "finalize", Description: "finish the process and cleanup"}
}
func (finalizeMethod) Accepts(sdk.Request) (bool, string)                    { return true, "" }
func (finalizeMethod) Describe(sdk.Request) (sdk.ActionSpec, error)          { return FinalizeSpec(), nil }
func (finalizeMethod) Validate(context.Context, sdk.Request) sdk.Diagnostics { return nil }

// finalize's work is in its children; its cleanup closes the console.
type finalize struct{ sdk.Group }

func (finalize) Cleanup(ctx context.Context, call sdk.Call, host sdk.Host) error {
	return host.CloseConsole(ctx)
}

// powerOffAction runs the device's power_off commands, if it has any.
type powerOffAction struct{ has bool }

func (a powerOffAction) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	if !a.has {
		return host.Log(sdk.LevelDebug, "power-off: the device has no power_off command")
	}
	if err := host.Power(ctx, "power_off"); err != nil {
		return err
	}
	return host.Result(sdk.Result{Definition: "lava", Case: call.Action, Level: call.Level, Result: "pass",
		Extra: map[string]any{"status": "success"}})
}
