// Command testplugin is a plugin for core/pluginhost's tests: a boot method
// whose actions use the host's services, crash, or hang.
package main

import (
	"context"
	"os"
	"time"

	"github.com/lavacore/lavacore/sdk"
)

type method struct{}

func (method) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionBoot, Name: "testplugin", Description: "test plugin"}
}
func (method) Accepts(req sdk.Request) (bool, string) {
	return req.Block.Method == "testplugin", "method"
}
func (method) Describe(req sdk.Request) (sdk.ActionSpec, error) {
	if req.Block.Params["mode"] == "hang" {
		return sdk.ActionSpec{Name: "test-hang", Description: "hang until canceled", Summary: "hang"}, nil
	}
	return sdk.ActionSpec{Name: "test-boot", Children: []sdk.ActionSpec{{Name: "ok"}, {Name: "crash"}, {Name: "hang"}}}, nil
}
func (method) Validate(context.Context, sdk.Request) sdk.Diagnostics {
	return sdk.Diagnostics{{Path: "commands", Summary: "a diagnostic from the plugin"}}
}
func (method) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	switch call.Action {
	case "ok":
		host.Log(sdk.LevelInfo, "hello from the plugin")
		host.Set("test", "plugin", "key", `"value"`)
		v, _ := host.Get("test", "plugin", "key")
		host.Result(sdk.Result{Definition: "lava", Case: "plugin-" + v, Result: "pass"})
		con, err := host.Console(ctx)
		if err != nil {
			return err
		}
		if err := con.SendLine(ctx, "hello"); err != nil {
			return err
		}
		m, err := con.Expect(ctx, []string{"wor(ld)"}, time.Second)
		if err != nil {
			return err
		}
		if m.Groups[0] != "ld" {
			return sdk.TestErrorf("groups %v", m.Groups)
		}
		return sdk.JobErrorf("typed error %s", m.Text)
	case "crash":
		os.Exit(3)
	case "hang":
		<-ctx.Done()
		time.Sleep(time.Hour)
	case "test-hang":
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}
func (method) Cleanup(ctx context.Context, call sdk.Call, host sdk.Host) error {
	if marker, _ := call.Block.Params["marker"].(string); marker != "" {
		return os.WriteFile(marker, []byte("cleanup ran\n"), 0o644)
	}
	return nil
}

func main() {
	sdk.Serve(sdk.ServeConfig{Name: "testplugin", Version: "1.2.3", Methods: []sdk.Method{method{}}})
}
