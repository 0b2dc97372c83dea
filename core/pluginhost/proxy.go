package pluginhost

import (
	"context"

	"github.com/lavacore/lavacore/sdk"
)

// proxy is an sdk.Method whose calls go to another method that remote
// finds for each call (a started plugin's client, or a plugin started on
// first use). A method it cannot find fails the call: Accepts says no with
// the reason, Validate returns it as a diagnostic, the others return it.
type proxy struct {
	info   sdk.MethodInfo
	remote func(ctx context.Context) (sdk.Method, error)
	// crashed, when set, replaces a transport error of Describe, Run or
	// Cleanup (op "describe", "run", "cleanup"; the action for the last
	// two); nil passes errors as they are.
	crashed func(op, action string, err error) error
}

func (m *proxy) Info() sdk.MethodInfo { return m.info }

// transport is err, or what crashed makes of it when it is a transport error.
func (m *proxy) transport(op, action string, err error) error {
	if m.crashed != nil && sdk.IsTransport(err) {
		return m.crashed(op, action, err)
	}
	return err
}

func (m *proxy) Accepts(req sdk.Request) (bool, string) {
	r, err := m.remote(context.Background())
	if err != nil {
		return false, err.Error()
	}
	return r.Accepts(req)
}

func (m *proxy) Describe(req sdk.Request) (sdk.ActionSpec, error) {
	r, err := m.remote(context.Background())
	if err != nil {
		return sdk.ActionSpec{}, err
	}
	a, err := r.Describe(req)
	return a, m.transport("describe", "", err)
}

func (m *proxy) Validate(ctx context.Context, req sdk.Request) sdk.Diagnostics {
	r, err := m.remote(ctx)
	if err != nil {
		return sdk.Diagnostics{{Summary: err.Error()}}
	}
	return r.Validate(ctx, req)
}

func (m *proxy) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	r, err := m.remote(ctx)
	if err != nil {
		return err
	}
	return m.transport("run", call.Action, r.Run(ctx, call, host))
}

func (m *proxy) Cleanup(ctx context.Context, call sdk.Call, host sdk.Host) error {
	r, err := m.remote(ctx)
	if err != nil {
		return err
	}
	return m.transport("cleanup", call.Action, r.Cleanup(ctx, call, host))
}
