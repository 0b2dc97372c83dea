package uboot

import (
	"context"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/actionspec"
)

// minimalMethod is boot "minimal": connect, optionally run the device's
// pre-power and pre-OS commands, reset the board and log in.
type minimalMethod struct{ sdk.Actions }

// NewMinimal returns the boot/minimal method.
func NewMinimal() sdk.Method { return minimalMethod{minimalActions()} }

func (minimalMethod) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionBoot, Name: "minimal", Description: "connect and reset device",
		DeviceSpec: &sdk.BlockSpec{}}
}

func (minimalMethod) Accepts(req sdk.Request) (bool, string) {
	if _, ok := req.Device.Methods["boot/minimal"]; !ok {
		return false, `"minimal" was not in device configuration boot methods`
	}
	if req.Block.Method != "minimal" {
		return false, `"method" was not "minimal"`
	}
	return true, "accepted"
}

func (minimalMethod) Describe(req sdk.Request) (sdk.ActionSpec, error) {
	p := req.Block.Params
	top := sdk.ActionSpec{Name: "minimal-boot", Class: "MinimalBoot", Retry: true,
		Description: "connect and reset device", Summary: "connect and reset device"}
	top.Children = []sdk.ActionSpec{connectDeviceSpec()}
	if boolOr(p, "pre_power_command", false) {
		top.Children = append(top.Children, infra(sdk.ActionSpec{Name: "pre-power-command", Class: "PrePower",
			Description: "issue pre power command", Summary: "send pre-power-command"}))
	}
	if boolOr(p, "pre_os_command", false) {
		top.Children = append(top.Children, infra(sdk.ActionSpec{Name: "pre-os-command", Class: "PreOs",
			Description: "issue pre os command", Summary: "send pre-os-command"}))
	}
	if boolOr(p, "reset", true) {
		top.Children = append(top.Children, resetDevice(req.Device))
	}
	top.Children = append(top.Children, loginTail(req)...)
	return top, nil
}

func (minimalMethod) Validate(_ context.Context, req sdk.Request) sdk.Diagnostics {
	diags := actionspec.ValidateAutoLogin(req.Block.Params)
	if to, ok := req.Block.Params["transfer_overlay"]; ok {
		diags = append(diags, validateTransferOverlay(to)...)
	}
	return diags
}
