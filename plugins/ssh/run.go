package ssh

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/bootflow"
)

// Namespace data of a secondary connection.
var (
	keyHostKeys = [3]string{"prepare-scp-overlay", "prepare-scp-overlay", "overlay"}
	keyRemote   = [3]string{"scp-deploy", "scp", "remote_file"}
)

func hostAddrKey(id string) [3]string {
	return [3]string{"prepare-scp-overlay", "prepare-scp-overlay", id}
}

// deployActions is the code of every action scp-overlay's tree declares.
func deployActions() sdk.Actions {
	t := sdk.Actions{
		"scp-overlay":         sdk.Group{},
		"prepare-scp-overlay": sdk.ActionFunc(prepareScp),
		"extract-rootfs":      sdk.Noop("an ssh deploy has no rootfs to extract"),
		"extract-modules":     sdk.Noop("an ssh deploy has no modules to extract"),
		"deploy-device-env":   sdk.Noop("the overlay carries the environment"),
	}
	maps.Copy(t, bootflow.OverlayActions(deploy{}.Describe))
	return t
}

// prepareScp waits for the host's message (the block's lava-multinode call for
// this action) and keeps the `$` values it names: the host's address.
func prepareScp(ctx context.Context, call sdk.Call, host sdk.Host) error {
	calls, diags := ScpCalls(call.Block.Params)
	if diags.HasErrors() {
		return sdk.JobErrorf("%s: %s", diags[0].Path, diags[0].Summary)
	}
	var ids []string
	for _, c := range calls {
		if bootflow.Str(c, "action") != "prepare-scp-overlay" {
			continue
		}
		id := bootflow.Str(c, "messageID")
		msg, _ := c["message"].(map[string]any)
		req := map[string]any{"request": bootflow.Str(c, "request"), "messageID": id, "timeout": c["timeout"]}
		if err := host.Log(sdk.LevelInfo, fmt.Sprintf("prepare-scp-overlay: waiting for message %q", id)); err != nil {
			return err
		}
		reply, err := host.Protocol(ctx, "lava-multinode", req)
		if err != nil {
			return err
		}
		data, _ := reply["message"].(map[string]any)
		if reply["response"] != "ack" || len(data) == 0 {
			return sdk.JobErrorf("prepare-scp-overlay: no data for message %q (reply %v)", id, reply["response"])
		}
		// LAVA's collate: the first `$` key of the call's message, looked up
		// in the first sender's data.
		senders := make([]string, 0, len(data))
		for s := range data {
			senders = append(senders, s)
		}
		first := senders[0]
		for _, s := range senders {
			if s < first {
				first = s
			}
		}
		sent, _ := data[first].(map[string]any)
		var keys []string
		for k, v := range msg {
			if s, ok := v.(string); ok && strings.HasPrefix(s, "$") {
				keys = append(keys, k)
			}
		}
		if len(keys) == 0 {
			return sdk.JobErrorf("Unable to identify replaceable values in the parameters: %v", msg)
		}
		val, ok := sent[keys[0]]
		if !ok {
			return sdk.JobErrorf("Unable to identify replaceable values in the parameters: the message %q from %s has no %q", id, first, keys[0])
		}
		addr := fmt.Sprint(val)
		if err := bootflow.CheckHost(addr); err != nil {
			return err
		}
		if err := bootflow.SetString(host, hostAddrKey(id), addr); err != nil {
			return err
		}
		ids = append(ids, id)
		if err := host.Log(sdk.LevelInfo, fmt.Sprintf("prepare-scp-overlay: %s %s=%s (from %s)", id, keys[0], addr, first)); err != nil {
			return err
		}
	}
	b, err := json.Marshal(ids)
	if err != nil {
		return &sdk.Error{Type: sdk.Bug, Msg: fmt.Sprintf("prepare-scp-overlay: %v", err)}
	}
	return host.Set(keyHostKeys[0], keyHostKeys[1], keyHostKeys[2], string(b))
}

// bootActions is the code of every action login-ssh's tree declares.
func bootActions() sdk.Actions {
	return sdk.Actions{
		"login-ssh":               sdk.Group{},
		"auto-login-action":       sdk.Group{},
		"prepare-ssh":             sdk.Noop("scp-deploy finds the host address and connects"),
		"scp-deploy":              sdk.ActionFunc(scpDeploy),
		"ssh-connection":          sdk.ActionFunc(sshConnection),
		"login-action":            sdk.ActionFunc(login),
		"expect-shell-connection": bootflow.ExpectShellConnection{},
		"export-device-env":       sdk.Noop("the overlay's environment file is sourced by the test shell"),
		"scp-overlay-unpack":      sdk.ActionFunc(scpOverlayUnpack),
	}
}

// sshConnection checks that scp-deploy opened the connection.
func sshConnection(ctx context.Context, call sdk.Call, host sdk.Host) error {
	if _, err := host.Console(ctx); err != nil {
		return sdk.JobErrorf("Unable to identify host address. Primary? False")
	}
	return host.Log(sdk.LevelDebug, "Already connected")
}

// login logs in with auto_login; kernel messages are not watched over ssh.
func login(ctx context.Context, call sdk.Call, host sdk.Host) error {
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	o := bootflow.LoginFromParams(call.Block.Params)
	o.KernelMessages = false
	return bootflow.Login(ctx, con, host, call.Level, o)
}

// scpOverlayUnpack unpacks the overlay scp-deploy copied.
func scpOverlayUnpack(ctx context.Context, call sdk.Call, host sdk.Host) error {
	remote, err := bootflow.GetString(host, keyRemote)
	if err != nil || remote == "" {
		return err
	}
	con, err := host.Console(ctx)
	if err != nil {
		return err
	}
	w, err := bootflow.ShellWord("overlay file", remote)
	if err != nil {
		return err
	}
	if err := con.SendLine(ctx, "tar  -C / -xzf "+w); err != nil {
		return err
	}
	_, err = con.Expect(ctx, bootflow.StringList(call.Block.Params["prompts"]), 0)
	if err != nil {
		return sdk.JobErrorf("scp-overlay-unpack: no prompt after unpacking %s: %w", remote, err)
	}
	return nil
}

// hostAddress is the address of the device to log into: the prepare-scp-overlay
// value named by parameters.hostID (secondary), else the device's ssh host (primary).
func hostAddress(call sdk.Call, host sdk.Host) (string, error) {
	params, _ := call.Block.Params["parameters"].(map[string]any)
	if id := bootflow.Str(params, "hostID"); id != "" {
		a, err := bootflow.GetString(host, hostAddrKey(id))
		if err != nil {
			return "", err
		}
		if a == "" {
			return "", sdk.JobErrorf("Unable to retrieve %s - missing ssh deploy?", id)
		}
		return a, nil
	}
	if h := bootflow.Str(call.Device.Methods["deploy/ssh"], "host"); h != "" {
		return h, nil
	}
	return "", sdk.JobErrorf("Unable to identify host address. Primary? True")
}

// scpDeploy opens the ssh console, makes the results directory, and copies the
// overlay to /<job_id>-overlay-<level>.tar.gz on the device.
func scpDeploy(ctx context.Context, call sdk.Call, host sdk.Host) error {
	addr, err := hostAddress(call, host)
	if err != nil {
		return err
	}
	id, err := bootflow.IdentityOf(call.Device)
	if err != nil {
		return err
	}
	port, user := bootflow.SSHPort(call.Device), bootflow.SSHUser(call.Device)
	con, err := host.OpenConsole(ctx, sdk.ConsoleSpec{SSH: &sdk.SSHSpec{Host: addr, Port: port, User: user, IdentityFile: id.PrivatePath}})
	if err != nil {
		return sdk.InfraErrorf("scp-deploy: ssh %s@%s:%d: %v", user, addr, port, err)
	}
	prompts := bootflow.StringList(call.Block.Params["prompts"])
	if len(prompts) > 0 {
		if err := bootflow.ExpectShell(ctx, con, prompts); err != nil {
			return err
		}
	}
	results, err := bootflow.GetString(host, bootflow.KeyResultsDir)
	if err != nil {
		return err
	}
	if results == "" {
		results = "/lava-" + call.Job.ID
	}
	resW, err := bootflow.ShellWord("lava_test_results_dir", results)
	if err != nil {
		return err
	}
	if err := con.SendLine(ctx, "mkdir -p "+resW); err != nil {
		return err
	}
	if len(prompts) > 0 {
		if _, err := con.Expect(ctx, prompts, 0); err != nil {
			return sdk.JobErrorf("scp-deploy: no prompt after mkdir: %w", err)
		}
	}
	local, err := bootflow.GetString(host, bootflow.KeyOverlay)
	if err != nil {
		return err
	}
	if local == "" {
		return nil // no test: nothing to copy
	}
	level := strings.TrimSuffix(strings.TrimPrefix(path.Base(local), "overlay-"), ".tar.gz")
	remote := fmt.Sprintf("/%s-overlay-%s.tar.gz", call.Job.ID, level)
	if err := copyFile(ctx, addr, port, user, id.Signer, local, remote); err != nil {
		return sdk.JobErrorf("Unable to copy overlay: %v", err)
	}
	if err := bootflow.SetString(host, keyRemote, remote); err != nil {
		return err
	}
	return host.Log(sdk.LevelInfo, fmt.Sprintf("overlay copied to %s@%s:%s", user, addr, remote))
}

// copyFile copies local to remote with the scp protocol over x/crypto/ssh.
func copyFile(ctx context.Context, addr string, port int, user string, signer gossh.Signer, local, remote string) error {
	f, err := os.Open(local)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	cfg := &gossh.ClientConfig{User: user, Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		// LAVA's secondary connections use StrictHostKeyChecking=no: the host was booted by this job.
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 30 * time.Second}
	d := net.Dialer{Timeout: 30 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", net.JoinHostPort(addr, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	c, chans, reqs, err := gossh.NewClientConn(nc, net.JoinHostPort(addr, strconv.Itoa(port)), cfg)
	if err != nil {
		nc.Close()
		return err
	}
	client := gossh.NewClient(c, chans, reqs)
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		return err
	}
	defer sess.Close()
	w, err := sess.StdinPipe()
	if err != nil {
		return err
	}
	out, _ := sess.StdoutPipe()
	if err := sess.Start("scp -t " + bootflow.ShellQuote(remote)); err != nil {
		return err
	}
	ack := func() error {
		b := make([]byte, 1)
		if _, err := io.ReadFull(out, b); err != nil {
			return fmt.Errorf("scp: %w", err)
		}
		if b[0] != 0 {
			msg, _ := io.ReadAll(io.LimitReader(out, 512))
			return fmt.Errorf("scp: %s", strings.TrimSpace(string(msg)))
		}
		return nil
	}
	if err := ack(); err != nil {
		return err
	}
	fmt.Fprintf(w, "C0644 %d %s\n", st.Size(), path.Base(remote))
	if err := ack(); err != nil {
		return err
	}
	if _, err := io.Copy(w, f); err != nil {
		return err
	}
	if _, err := w.Write([]byte{0}); err != nil {
		return err
	}
	if err := ack(); err != nil {
		return err
	}
	w.Close()
	return sess.Wait()
}
