// Package pipelinetest tests core/pipeline with lavacore's own methods (the
// plugins under plugins/), served over the SDK's test harness (sdk/sdktest):
// core/ imports no plugin, not even in its tests.
package pipelinetest

import (
	"context"
	"testing"

	"github.com/lavacore/lavacore/plugins/command"
	"github.com/lavacore/lavacore/plugins/fastboot"
	"github.com/lavacore/lavacore/plugins/grub"
	"github.com/lavacore/lavacore/plugins/monitor"
	"github.com/lavacore/lavacore/plugins/qemu"
	"github.com/lavacore/lavacore/plugins/ssh"
	"github.com/lavacore/lavacore/plugins/testshell"
	"github.com/lavacore/lavacore/plugins/tftp"
	"github.com/lavacore/lavacore/plugins/uboot"
	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

// builtinRegistry serves the deploy, boot and test methods (and extra) over
// an in-memory plugin connection.
func builtinRegistry(t testing.TB, extra ...sdk.Method) *sdktest.Registry {
	t.Helper()
	var ms []sdk.Method
	ms = append(ms, tftp.Methods()...)
	ms = append(ms, ssh.Methods()...)
	ms = append(ms, grub.Methods()...)
	ms = append(ms, testshell.Methods()...)
	ms = append(ms, monitor.Methods()...)
	ms = append(ms, uboot.Methods()...)
	ms = append(ms, qemu.Methods()...)
	ms = append(ms, fastboot.Methods()...)
	ms = append(ms, command.Methods()...)
	return sdktest.NewRegistry(t, append(ms, extra...)...)
}

// fakeMethod is the do-nothing part of a test method.
type fakeMethod struct{}

func (fakeMethod) Info() sdk.MethodInfo                                  { return sdk.MethodInfo{} }
func (fakeMethod) Accepts(sdk.Request) (bool, string)                    { return true, "accepted" }
func (fakeMethod) Describe(sdk.Request) (sdk.ActionSpec, error)          { return sdk.ActionSpec{}, nil }
func (fakeMethod) Validate(context.Context, sdk.Request) sdk.Diagnostics { return nil }
func (fakeMethod) Run(context.Context, sdk.Call, sdk.Host) error         { return nil }
func (fakeMethod) Cleanup(context.Context, sdk.Call, sdk.Host) error     { return nil }
