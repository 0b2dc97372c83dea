// Command testplugin is a plugin for core/pluginhost's tests: a boot method
// whose actions use the host's services, crash, hang, start children, or
// stream the console; and a protocol that counts.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"time"

	"github.com/lavacore/lavacore/sdk"
)

type method struct{}

func (method) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionBoot, Name: "testplugin", Description: "test plugin",
		DeviceSpec: &sdk.BlockSpec{Attrs: []sdk.AttrSpec{{Name: "prompt", Type: "string", Required: true}}}}
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

func num(call sdk.Call, key string) int {
	f, _ := call.Block.Params[key].(float64)
	return int(f)
}

func (method) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	switch call.Action {
	case "ok":
		if err := host.Log(sdk.LevelInfo, "hello from the plugin"); err != nil {
			return err
		}
		if err := host.Set("test", "plugin", "key", `"value"`); err != nil {
			return err
		}
		v, _, err := host.Get("test", "plugin", "key")
		if err != nil {
			return err
		}
		if err := host.Result(sdk.Result{Definition: "lava", Case: "plugin-" + v, Result: "pass"}); err != nil {
			return err
		}
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
		sdk.Logger().Error("testplugin: crashing on purpose")
		os.Exit(3)
	case "panic-goroutine":
		go func() { panic("testplugin: a goroutine panicked") }()
		time.Sleep(time.Hour)
	case "hang":
		<-ctx.Done()
		time.Sleep(time.Hour)
	case "wait-prompt":
		// what a real method does: wait on the console until the deadline
		con, err := host.Console(ctx)
		if err != nil {
			return err
		}
		_, err = con.Expect(ctx, []string{"login:"}, 0)
		return err
	case "test-hang":
		<-ctx.Done()
		return ctx.Err()
	case "spawn":
		// a child in its own process group, as telnet or qemu would be
		name, _ := call.Block.Params["child"].(string)
		cmd := sdk.Command(context.WithoutCancel(ctx), "bash", "-c", "(exec -a "+name+"-grandchild sleep 600) & exec -a "+name+" sleep 600")
		if err := cmd.Start(); err != nil {
			return err
		}
		children[name] = cmd
		return host.Set("spawn", "child", "pid", fmt.Sprint(cmd.Process.Pid))
	case "expect":
		con, err := host.Console(ctx)
		if err != nil {
			return err
		}
		for i := 0; i < num(call, "n"); i++ {
			if _, err := con.Expect(ctx, []string{"# "}, 10*time.Second); err != nil {
				return err
			}
		}
		return nil
	case "stream":
		con, err := host.Console(ctx)
		if err != nil {
			return err
		}
		s, ok := con.(sdk.Streamer)
		if !ok {
			return sdk.InfraErrorf("no stream")
		}
		r, err := s.Stream(ctx)
		if err != nil {
			return err
		}
		defer r.Close()
		n, err := io.CopyN(io.Discard, r, int64(num(call, "bytes")))
		if err != nil {
			return sdk.InfraErrorf("streamed %d bytes: %v", n, err)
		}
		return nil
	case "env":
		// the plugin's environment, one variable a log line
		for _, kv := range os.Environ() {
			host.Log(sdk.LevelInfo, kv)
		}
		return nil
	case "protocol":
		r, err := host.Protocol(ctx, "counter", map[string]any{"request": "count"})
		if err != nil {
			return err
		}
		return host.Log(sdk.LevelInfo, fmt.Sprint(r["n"]))
	}
	return nil
}

var children = map[string]*osexec.Cmd{}

func (method) Cleanup(ctx context.Context, call sdk.Call, host sdk.Host) error {
	if name, _ := call.Block.Params["child"].(string); name != "" {
		if cmd := children[name]; cmd != nil {
			if err := sdk.KillGroup(cmd); err != nil {
				return err
			}
			_ = cmd.Wait()
			delete(children, name)
		}
	}
	if marker, _ := call.Block.Params["marker"].(string); marker != "" {
		return os.WriteFile(marker, []byte("cleanup ran "+call.Action+"\n"), 0o644)
	}
	return nil
}

// counter counts the calls of one client.
type counter struct{ n int }

func (c *counter) Name() string                                        { return "counter" }
func (c *counter) Configure(context.Context, sdk.ProtocolConfig) error { return nil }
func (c *counter) Call(_ context.Context, req map[string]any) (map[string]any, error) {
	c.n++
	return map[string]any{"n": c.n}, nil
}
func (c *counter) Finalize(context.Context, bool) error { return nil }

func main() {
	sdk.Serve(sdk.ServeConfig{Name: "testplugin", Version: "1.2.3", Methods: []sdk.Method{method{}},
		ProtocolFactories: map[string]func() sdk.Protocol{"counter": func() sdk.Protocol { return &counter{} }}})
}
