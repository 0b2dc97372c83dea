// Package ssh is the deploy "ssh" method (LAVA's ScpOverlay: build the overlay
// to copy it over ssh at boot) and the boot "ssh" method (LAVA's SshAction:
// log in over ssh, copy and unpack the overlay). MultiNode guests with
// `connection: ssh` use both against their host device.
package ssh

import (
	"context"
	"fmt"
	"strconv"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/actionspec"
)

type deploy struct{ sdk.Actions }
type boot struct{ sdk.Actions }

// NewDeploy returns the deploy/ssh method.
func NewDeploy() sdk.Method { return deploy{deployActions()} }

// NewBoot returns the boot/ssh method.
func NewBoot() sdk.Method { return boot{bootActions()} }

// Methods returns every method of this package.
func Methods() []sdk.Method { return []sdk.Method{NewDeploy(), NewBoot()} }

// DeploySpec is the device type's `deploy "ssh" {}` block.
var DeploySpec = &sdk.BlockSpec{Attrs: []sdk.AttrSpec{
	{Name: "host", Type: "string", Doc: "Address of a primary ssh device (empty for secondary connections)."},
	{Name: "port", Type: "number", Default: 22},
	{Name: "user", Type: "string", Default: "root"},
	{Name: "identity_file", Type: "string", Doc: "Private key; relative paths resolve against the lab."},
	{Name: "options", Type: "list(string)", Doc: "Extra ssh options."},
}}

func (deploy) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionDeploy, Name: "ssh",
		Description: "prepare overlay and scp to device", DeviceSpec: DeploySpec, JobParams: DeployParams}
}

// DeployParams are the keys of an ssh deploy block (LAVA's deploy/ssh schema).
var DeployParams = []sdk.ParamSpec{
	{Key: "firmware", Type: sdk.ParamArtifact},
	{Key: "kernel", Type: sdk.ParamArtifact},
	{Key: "rootfs", Type: sdk.ParamArtifact},
	{Key: "modules", Type: sdk.ParamArtifact},
}

func (deploy) Accepts(req sdk.Request) (bool, string) {
	if req.Block.Method != "ssh" {
		return false, `"to" parameter is not "ssh"`
	}
	if _, ok := req.Device.Methods["deploy/ssh"]; !ok {
		return false, `"ssh" is not in the device configuration deploy methods`
	}
	return true, "accepted"
}

func (deploy) Describe(req sdk.Request) (sdk.ActionSpec, error) {
	top := sdk.ActionSpec{Name: "scp-overlay", Class: "ScpOverlay",
		Description: "prepare overlay and scp to device", Summary: "copy overlay to device"}
	if actionspec.NeedsOverlay(req) {
		o, err := actionspec.LavaOverlay(req)
		if err != nil {
			return top, err
		}
		top.Children = append(top.Children, o)
	}
	top.Children = append(top.Children, sdk.ActionSpec{Name: "prepare-scp-overlay", Class: "PrepareOverlayScp",
		Description: "copy the overlay over an existing ssh connection", Summary: "scp the overlay to the remote device",
		Children: []sdk.ActionSpec{
			{Name: "extract-rootfs", Class: "ExtractRootfs", Description: "unpack rootfs", Summary: "unpack rootfs, ready to apply lava overlay"},
			{Name: "extract-modules", Class: "ExtractModules", Description: "extract supplied kernel modules", Summary: "extract kernel modules"},
		}})
	if actionspec.NeedsDeployment(req) {
		top.Children = append(top.Children, actionspec.DeployDeviceEnv())
	}
	return top, nil
}

// ScpCalls returns the block's lava-multinode calls for prepare-scp-overlay.
func ScpCalls(params map[string]any) ([]map[string]any, sdk.Diagnostics) {
	protos, _ := params["protocols"].(map[string]any)
	raw, ok := protos["lava-multinode"]
	if !ok {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, sdk.Diagnostics{{Path: "protocols.lava-multinode", Summary: "Invalid protocol action setting - needs to be a list."}}
	}
	var calls []map[string]any
	var diags sdk.Diagnostics
	for i, c := range list {
		m, ok := c.(map[string]any)
		if !ok || m["action"] != "prepare-scp-overlay" {
			continue
		}
		path := fmt.Sprintf("protocols.lava-multinode[%d]", i)
		if _, ok := m["messageID"].(string); !ok {
			diags = append(diags, sdk.Diagnostic{Path: path + ".messageID", Summary: fmt.Sprintf("Invalid protocol block: %v", m)})
			continue
		}
		if _, ok := m["message"].(map[string]any); !ok {
			diags = append(diags, sdk.Diagnostic{Path: path + ".message", Summary: "Missing message block for scp deployment"})
			continue
		}
		calls = append(calls, m)
	}
	return calls, diags
}

func (deploy) Validate(_ context.Context, req sdk.Request) sdk.Diagnostics {
	var diags sdk.Diagnostics
	if len(actionspec.TestBlocks(req)) == 0 {
		diags = append(diags, sdk.Diagnostic{Path: "to", Summary: "Scp overlay needs a test action."})
	}
	_, d := ScpCalls(req.Block.Params)
	diags = append(diags, d...)
	diags = append(diags, validateDevice(req)...)
	return diags
}

func validateDevice(req sdk.Request) sdk.Diagnostics {
	dm := req.Device.Methods["deploy/ssh"]
	var diags sdk.Diagnostics
	switch p := dm["port"].(type) {
	case nil, float64:
	case string:
		if _, err := strconv.Atoi(p); err != nil {
			diags = append(diags, sdk.Diagnostic{Path: "to", Summary: "Port was set but was not a digit",
				Detail: fmt.Sprintf("device type %q: deploy \"ssh\" port = %q", req.Device.Type, p)})
		}
	default:
		diags = append(diags, sdk.Diagnostic{Path: "to", Summary: "Port was set but was not a digit"})
	}
	if opts, ok := dm["options"].([]any); ok {
		for _, o := range opts {
			if _, ok := o.(string); !ok {
				diags = append(diags, sdk.Diagnostic{Path: "to", Summary: fmt.Sprintf("[%v] Invalid ssh option, must be a string", o)})
			}
		}
	}
	return diags
}

// An ssh boot block takes only the keys every boot block takes (prompts,
// auto_login, parameters.hostID …): the method declares no JobParams.
func (boot) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionBoot, Name: "ssh", Description: "connect over ssh and ensure a shell is found"}
}

func (boot) Accepts(req sdk.Request) (bool, string) {
	if req.Block.Method != "ssh" {
		return false, `"method" was not "ssh"`
	}
	if _, ok := req.Device.Methods["boot/ssh"]; !ok {
		return false, `"ssh" is not in the device configuration boot methods`
	}
	return true, "accepted"
}

func (boot) Describe(req sdk.Request) (sdk.ActionSpec, error) {
	infra := sdk.Infrastructure
	return sdk.ActionSpec{Name: "login-ssh", Class: "SshAction", Retry: true,
		Description: "connect over ssh and ensure a shell is found", Summary: "login over ssh",
		Children: []sdk.ActionSpec{
			{Name: "scp-deploy", Class: "Scp", TimeoutError: infra,
				Description: "copy a file to a known device using scp", Summary: "scp over the ssh connection"},
			{Name: "prepare-ssh", Class: "PrepareSsh",
				Description: "determine which address to use for primary or secondary connections", Summary: "set the host address of the ssh connection"},
			{Name: "ssh-connection", Class: "ConnectSsh", TimeoutError: infra,
				Description: "login to a known device using ssh", Summary: "make an ssh connection to a device"},
			actionspec.AutoLogin(),
			actionspec.ExpectShell(),
			actionspec.ExportDeviceEnv(),
			{Name: "scp-overlay-unpack", Class: "ScpOverlayUnpack",
				Description: "unpack the overlay over an existing ssh connection", Summary: "unpack the overlay on the remote device"},
		}}, nil
}

func (boot) Validate(_ context.Context, req sdk.Request) sdk.Diagnostics {
	p := req.Block.Params
	var diags sdk.Diagnostics
	if _, ok := p["prompts"]; !ok {
		diags = append(diags, sdk.Diagnostic{Path: "prompts", Summary: "Unable to identify test image prompts from parameters."})
	}
	params, _ := p["parameters"].(map[string]any)
	_, hasID := params["hostID"]
	_, hasKey := params["host_key"]
	if hasID != hasKey {
		diags = append(diags, sdk.Diagnostic{Path: "parameters", Summary: "hostID and host_key must be used together"})
	}
	if _, ok := req.Device.Methods["deploy/ssh"]; !ok {
		diags = append(diags, sdk.Diagnostic{Path: "method", Summary: `"ssh" is not in the device configuration deploy methods`})
	}
	diags = append(diags, actionspec.ValidateAutoLogin(p)...)
	diags = append(diags, validateDevice(req)...)
	return diags
}
