package qemu

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"time"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/bootflow"
	"github.com/lavacore/lavacore/sdk/shlex"
)

// bootActions is the code of boot-image-retry's tree.
func bootActions(name string) sdk.Actions {
	return sdk.Actions{
		"boot-image-retry":        sdk.Group{},
		"boot-qemu-image":         sdk.Group{},
		"execute-qemu":            executeQemu{name},
		"auto-login-action":       sdk.ActionFunc(bootflow.AutoLogin),
		"login-action":            sdk.ActionFunc(bootflow.LoginAction),
		"expect-shell-connection": bootflow.ExpectShellConnection{},
		"overlay-unpack":          sdk.ActionFunc(overlayUnpack),
		"export-device-env":       sdk.ActionFunc(exportDeviceEnv),
	}
}

// executeQemu starts QEMU as the namespace's console.
type executeQemu struct{ name string }

// Command builds the QEMU command line of the call (words, unquoted).
func (e executeQemu) Command(call sdk.Call, host sdk.Host) ([]string, error) {
	b := boot{name: e.name}
	dm := b.methodBlock(call.Device)
	words, err := deviceWords(dm)
	if err != nil {
		return nil, sdk.ConfigErrorf("Unable to parse device options: %v", err)
	}
	var labels []string
	v, ok, err := host.Get(keyImages[0], keyImages[1], keyImages[2])
	if err != nil {
		return nil, err
	}
	if ok {
		_ = json.Unmarshal([]byte(v), &labels)
	}
	subs := map[string]string{"{NFS_SERVER_IP}": call.Dispatcher.IP}
	var args [][]string
	rd := bootflow.Reader{H: host}
	for _, l := range labels {
		if l == "offset" || l == "available_loops" || l == "uefi" || l == "nfsrootfs" {
			continue
		}
		arg, file := rd.String(argKey(l)), rd.String(fileKey(l))
		if rd.Err != nil {
			return nil, rd.Err
		}
		if arg == "" || file == "" {
			if err := host.Log(sdk.LevelWarning, "Missing image arg for "+l); err != nil {
				return nil, err
			}
			continue
		}
		w, err := imageArgWords(arg)
		if err != nil {
			return nil, sdk.JobErrorf("images.%s: %v", l, err)
		}
		args = append(args, w)
		subs["{"+l+"}"] = file
	}
	for _, a := range args {
		words = append(words, substitute(a, subs)...)
	}
	uefi, guest, nfsRoot := rd.String(keyUEFI), rd.String(keyGuest), rd.String(bootflow.KeyNFSRoot)
	if rd.Err != nil {
		return nil, rd.Err
	}
	if uefi != "" {
		words = append(words, "-L", uefi, "-monitor", "none")
	}
	switch {
	case e.name == "qemu-nfs":
		app, _ := call.Device.Methods["boot/qemu-nfs"]["append"].(map[string]any)
		if app == nil {
			return nil, sdk.ConfigErrorf("Invalid device configuration - missing parameters: boot \"qemu-nfs\" has no append")
		}
		subs["{NFSROOTFS}"] = nfsRoot
		if err := host.Log(sdk.LevelDebug, "Adding NFS arguments to kernel command line."); err != nil {
			return nil, err
		}
		words = append(words, "--append", nfsAppend(app, subs))
	case guest != "":
		_, iface, driveID := guestParams(call.Device)
		if iface == "" {
			iface = "virtio"
			if arch, _ := call.Job.Context["arch"].(string); slices.Contains([]string{"amd64", "x86_64", "i386"}, arch) {
				iface = "ide"
			}
		}
		if err := host.Log(sdk.LevelInfo, "Extending command line for the guest test overlay"); err != nil {
			return nil, err
		}
		words = append(words, "-drive", fmt.Sprintf("format=raw,file=%s,media=disk,if=%s,id=%s", guest, iface, driveID))
	}
	return words, nil
}

func (e executeQemu) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	start := time.Now()
	// a retry, or a second boot: the previous QEMU goes first (LAVA finalises the connection)
	if err := host.CloseConsole(ctx); err != nil {
		return err
	}
	words, err := e.Command(call, host)
	if err != nil {
		return err
	}
	if slices.Contains(words, "-enable-kvm") {
		if _, err := os.Stat("/sys/class/misc/kvm"); err != nil {
			return sdk.InfraErrorf("Device configuration contains -enable-kvm option but kvm module is not enabled.")
		}
	}
	if _, err := exec.LookPath(words[0]); err != nil {
		return sdk.InfraErrorf("execute-qemu: %s: %v", words[0], err)
	}
	arch, _ := call.Job.Context["arch"].(string)
	data, line := qemuData(ctx, arch, commandOutput)
	if line != "" {
		if err := host.Log(sdk.LevelInfo, line); err != nil {
			return err
		}
	}
	cmd := shlex.Join(words)
	if err := host.Log(sdk.LevelInfo, "Boot command: "+cmd); err != nil {
		return err
	}
	// The host runs the command on a pty in its own session and process
	// group, and kills the group when the console closes (Cleanup, retries,
	// the end of the job).
	if _, err := host.OpenConsole(ctx, sdk.ConsoleSpec{Command: cmd}); err != nil {
		return err
	}
	if err := host.Log(sdk.LevelDebug, "started a shell command"); err != nil {
		return err
	}
	if data == nil {
		return nil
	}
	// LAVA's execute-qemu result: its results are the QEMU's data (log_action_results)
	return host.Result(sdk.Result{Definition: "lava", Case: call.Action, Level: call.Level,
		Duration: fmt.Sprintf("%.2f", time.Since(start).Seconds()), Result: "pass", Extra: data})
}

// Cleanup stops QEMU (the host kills the console's process group).
func (executeQemu) Cleanup(ctx context.Context, call sdk.Call, host sdk.Host) error {
	return host.CloseConsole(ctx)
}

// exportDeviceEnv exports the NFS root's location, then runs the guest
// drive's mount commands (LAVA's pre-command-list, which its test shell
// runs first).
func exportDeviceEnv(ctx context.Context, call sdk.Call, host sdk.Host) error {
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	prompts := bootflow.StringList(call.Block.Params["prompts"])
	env := map[string]string{}
	rd := bootflow.Reader{H: host}
	if nfs := rd.String(bootflow.KeyNFSRoot); nfs != "" {
		env["NFS_ROOTFS"] = nfs
		env["NFS_SERVER_IP"] = call.Dispatcher.IP
	}
	if rd.Err != nil {
		return rd.Err
	}
	if err := bootflow.ExportEnv(ctx, con, prompts, env); err != nil {
		return err
	}
	var pre []string
	v, ok, err := host.Get(keyPre[0], keyPre[1], keyPre[2])
	if err != nil {
		return err
	}
	if ok {
		_ = json.Unmarshal([]byte(v), &pre)
	}
	for _, c := range pre {
		if err := con.SendLine(ctx, c); err != nil {
			return err
		}
		if _, err := con.Expect(ctx, prompts, 0); err != nil {
			return sdk.JobErrorf("export-device-env: no prompt after %q: %w", c, err)
		}
	}
	return nil
}

// overlayUnpack is LAVA's transfer_overlay, which lavacore does not do for QEMU.
func overlayUnpack(ctx context.Context, call sdk.Call, host sdk.Host) error {
	return sdk.InfraErrorf("%s: transfer_overlay is not supported by the %s boot method", call.Action, call.Block.Method)
}
