// Command lavacore-plugin-hello is an out-of-tree lavacore plugin: a boot
// method "hello" that needs no device. Build it, put it (and its checksum)
// where lavacore looks for plugins, and a job can say `boot: {method: hello}`.
//
//	go build -o lavacore-plugin-hello . && lavacore plugins install lavacore-plugin-hello
package main

import (
	"context"
	"fmt"

	"github.com/lavacore/lavacore/sdk"
)

// hello is the method; its one action, hello-boot, is registered in its
// sdk.Actions table, which gives the method its Run and Cleanup.
type hello struct{ sdk.Actions }

func newHello() hello { return hello{sdk.Actions{"hello-boot": helloBoot{}}} }

func (hello) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionBoot, Name: "hello", Description: "say hello instead of booting",
		// what `lavacore validate` checks a job's block against, from the manifest
		JobParams: []sdk.ParamSpec{{Key: "greeting", Type: sdk.ParamString, Doc: "who to greet (default: world)"}}}
}

func (hello) Accepts(req sdk.Request) (bool, string) {
	if req.Block.Method != "hello" {
		return false, `"method" is not "hello"`
	}
	return true, "accepted"
}

func (hello) Describe(sdk.Request) (sdk.ActionSpec, error) {
	return sdk.ActionSpec{Name: "hello-boot", Class: "HelloBoot", Description: "say hello", Summary: "hello boot"}, nil
}

func (hello) Validate(context.Context, sdk.Request) sdk.Diagnostics { return nil }

// helloBoot says hello. It has nothing to undo, so it has no Cleanup method.
type helloBoot struct{}

func (helloBoot) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	who, _ := call.Block.Params["greeting"].(string)
	if who == "" {
		who = "world"
	}
	// every Host call returns its failure (the host is gone, its job log
	// cannot be written): the action fails with it
	if err := host.Log(sdk.LevelInfo, fmt.Sprintf("hello, %s, from job %s on %s", who, call.Job.ID, call.Device.Name)); err != nil {
		return err
	}
	return host.Result(sdk.Result{Definition: "lava", Case: "hello", Level: call.Level, Result: "pass"})
}

func main() {
	sdk.Serve(sdk.ServeConfig{Name: "hello", Version: "0.1.0", Methods: []sdk.Method{newHello()}})
}
