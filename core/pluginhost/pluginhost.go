// Package pluginhost finds lavacore's plugins, checks them against their
// checksum files, starts them with go-plugin (gRPC, mutual TLS with a key
// pair per process on each side, the binary's sha256 checked through the
// open file that is then executed) and offers their methods as a
// pipeline.Registry and their protocols as protocol clients.
//
// The runner's view:
//
//	h, err := pluginhost.StartAll(ctx, pluginhost.Dirs(), pluginhost.Options{Log: os.Stderr})
//	// err lists the plugins that failed; h still serves the others
//	defer h.Close()            // after the job's cleanup: stops every plugin, kills what they left
//	reg := h.Registry()        // pipeline.Registry of sdk.Method values served over gRPC
//	p, err := h.Protocol("lava-multinode") // a new protocol client (one per sub-job)
//
// A plugin that crashes fails the action it was running with an
// Infrastructure error naming the plugin, the action, its exit status and the
// tail of its stderr; the next call (the action's Cleanup, a retry) starts it
// again. Every process a plugin started is killed when the plugin stops:
// the SDK kills its children's process groups, and Close kills whatever still
// carries the plugin's instance mark in its environment. A plugin's
// environment is explicit and minimal (passedEnv): secrets in the
// dispatcher's environment do not reach it.
package pluginhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/sdk"
)

// InstanceEnv marks a plugin process, and everything it starts, in their
// environment: Close kills whatever still carries the mark.
const InstanceEnv = "LAVACORE_PLUGIN_INSTANCE"

// maxRestarts bounds how often a crashed plugin is started again.
const maxRestarts = 5

func apiVersion() int { return int(sdk.Handshake.ProtocolVersion) }

// Options says how plugins are started.
type Options struct {
	// Log receives go-plugin's log and the plugins' own (hclog on their
	// stderr), at Level and above. Nil discards it.
	Log   io.Writer
	Level hclog.Level // default hclog.Warn
	// StartTimeout bounds the handshake (default 30 s).
	StartTimeout time.Duration
}

// Plugin is a started plugin binary.
type Plugin struct {
	Binary   Binary
	Manifest sdk.Manifest

	opts     Options
	instance string
	methods  []sdk.Method
	stderr   *tail

	mu        sync.Mutex
	client    *goplugin.Client
	cmd       *exec.Cmd
	pc        *sdk.PluginClient
	prc       *sdk.ProtocolClient
	restarts  int
	verified  *verified // the binary as last checked
	stopped   bool
	lastCrash string
}

var instances atomic.Uint64

// Start starts one plugin binary, shakes hands, asks it what it serves and
// lends it the host's services.
func Start(ctx context.Context, b Binary, opts Options) (*Plugin, error) {
	if b.Problem != "" {
		return nil, fmt.Errorf("plugin %s: %s", b.Name, b.Problem)
	}
	p := &Plugin{Binary: b, opts: opts, stderr: newTail(64, 16<<10),
		instance: fmt.Sprintf("%s-%d-%d", b.Name, os.Getpid(), instances.Add(1))}
	if err := p.start(ctx); err != nil {
		return nil, err
	}
	m, err := p.pc.Describe(ctx)
	if err != nil {
		p.Kill()
		return nil, fmt.Errorf("plugin %s: describe: %w%s", b.Name, err, p.stderrNote())
	}
	if b.Version != "" && m.Version != b.Version {
		p.Kill()
		return nil, fmt.Errorf("plugin %s: the file name says version %s, the plugin says %s", b.Name, b.Version, m.Version)
	}
	p.Manifest = m
	for _, info := range m.Methods {
		p.methods = append(p.methods, newMethod(p, info))
	}
	return p, nil
}

// start runs the process and configures it; p.mu is held or p is new.
func (p *Plugin) start(ctx context.Context) error {
	b := p.Binary
	sum, err := hex.DecodeString(b.Checksum)
	if err != nil || len(sum) != sha256.Size {
		return fmt.Errorf("plugin %s: bad checksum %q in %s%s", b.Name, b.Checksum, b.Path, ChecksumSuffix)
	}
	out := p.opts.Log
	if out == nil {
		out = io.Discard
	}
	lvl := p.opts.Level
	if lvl == hclog.NoLevel {
		lvl = hclog.Warn
	}
	st := p.opts.StartTimeout
	if st == 0 {
		st = 30 * time.Second
	}
	// the host's end of the mutual TLS; the pipe for the plugin's certificate is its fd 3
	mtls, err := sdk.NewHostTLS(3)
	if err != nil {
		return fmt.Errorf("plugin %s: %w", b.Name, err)
	}
	defer mtls.Close()
	// the binary, checked through the file that is executed (verify.go): the plugin's fd 4
	bin, v, err := openVerified(b, sum, p.verified)
	if err != nil {
		return fmt.Errorf("plugin %s: %w", b.Name, err)
	}
	defer bin.Close()
	p.verified = v
	cmd := exec.Command(fmt.Sprintf("/proc/self/fd/%d", execFD))
	cmd.Args[0] = b.Path
	cmd.Env = append(pluginEnv(p.instance), mtls.Env...)
	cmd.Env = append(cmd.Env, fmt.Sprintf("%s=%d", sdk.ExecFileEnv, execFD))
	cmd.ExtraFiles = []*os.File{mtls.File, bin}
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		SkipHostEnv:      true, // cmd.Env is all the plugin gets from the host (env.go)
		Plugins:          sdk.ClientPluginSet(),
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		TLSConfig:        mtls.Config,
		Managed:          true,
		StartTimeout:     st,
		Stderr:           p.stderr,
		SyncStderr:       p.stderr,
		SyncStdout:       io.Discard,
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: lvl, Output: out}),
	})
	fail := func(what string, err error) error {
		client.Kill()
		reap(p.instance)
		return fmt.Errorf("plugin %s: %s: %w%s", b.Name, what, err, p.stderrNote())
	}
	_, err = client.Start()
	mtls.Started()
	if err != nil {
		return fail("handshake failed", err)
	}
	if err := mtls.TrustPlugin(st); err != nil {
		return fail("handshake failed", err)
	}
	rpc, err := client.Client()
	if err != nil {
		return fail("handshake failed", err)
	}
	raw, err := rpc.Dispense(sdk.PluginMethods)
	if err != nil {
		return fail("dispense methods", err)
	}
	pc := raw.(*sdk.PluginClient)
	pc.Name = b.Name
	raw, err = rpc.Dispense(sdk.PluginProtocols)
	if err != nil {
		return fail("dispense protocols", err)
	}
	prc := raw.(*sdk.ProtocolClient)
	prc.Name = b.Name
	if err := pc.Configure(ctx); err != nil {
		return fail("configure", err)
	}
	p.client, p.cmd, p.pc, p.prc = client, cmd, pc, prc
	return nil
}

// clients returns the live connection, starting the plugin again after a crash.
func (p *Plugin) clients(ctx context.Context) (*sdk.PluginClient, *sdk.ProtocolClient, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return nil, nil, sdk.InfraErrorf("plugin %s was stopped", p.Binary.Name)
	}
	if !p.client.Exited() {
		return p.pc, p.prc, nil
	}
	reap(p.instance)
	if p.restarts >= maxRestarts {
		return nil, nil, sdk.InfraErrorf("plugin %s crashed %d times; not starting it again (last: %s)", p.Binary.Name, p.restarts, p.lastCrash)
	}
	p.restarts++
	if err := p.start(ctx); err != nil {
		return nil, nil, sdk.InfraErrorf("%v", err)
	}
	return p.pc, p.prc, nil
}

// crashed turns a transport failure into an Infrastructure error naming the
// plugin, the operation and the action, with its exit status and stderr.
func (p *Plugin) crashed(op, action string, err error) error {
	// go-plugin notices the exit a moment after the connection breaks
	deadline := time.Now().Add(2 * time.Second)
	for !p.Exited() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	what := op
	if action != "" {
		what += " of action " + action
	}
	p.mu.Lock()
	state := ""
	if p.client.Exited() && p.cmd.ProcessState != nil {
		state = p.cmd.ProcessState.String()
	}
	p.mu.Unlock()
	var msg string
	if state != "" {
		msg = fmt.Sprintf("plugin %s (%s) crashed during %s: %s", p.Binary.Name, p.Binary.Path, what, state)
	} else {
		msg = fmt.Sprintf("plugin %s (%s) failed during %s: %v", p.Binary.Name, p.Binary.Path, what, errors.Unwrap(err))
	}
	p.mu.Lock()
	p.lastCrash = msg
	p.mu.Unlock()
	return &sdk.Error{Type: sdk.Infrastructure, Msg: msg + p.stderrNote(), Err: err}
}

func (p *Plugin) stderrNote() string {
	if t := p.stderr.String(); t != "" {
		return "; its stderr ends:\n" + indent(t, "    ")
	}
	return ""
}

// Methods returns the plugin's methods as sdk.Method values.
func (p *Plugin) Methods() []sdk.Method { return p.methods }

// OpenProtocol returns a new client of one of the plugin's protocols.
func (p *Plugin) OpenProtocol(ctx context.Context, name string) (sdk.Protocol, error) {
	_, prc, err := p.clients(ctx)
	if err != nil {
		return nil, err
	}
	pr, err := prc.Open(ctx, name)
	if sdk.IsTransport(err) {
		return nil, p.crashed("open protocol "+name, "", err)
	}
	return pr, err
}

// Exited reports whether the plugin process has exited.
func (p *Plugin) Exited() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.client == nil || p.client.Exited()
}

// Pid is the plugin process's id (0 once it has exited).
func (p *Plugin) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil || p.client.Exited() {
		return 0
	}
	return p.cmd.Process.Pid
}

// Instance is the mark in the environment of the plugin and its children.
func (p *Plugin) Instance() string { return p.instance }

// Stderr is the tail of what the plugin wrote on stderr.
func (p *Plugin) Stderr() string { return p.stderr.String() }

// Kill stops the plugin (go-plugin's graceful shutdown, SIGKILL after 2 s),
// then kills every process that still carries its instance mark.
func (p *Plugin) Kill() {
	p.mu.Lock()
	p.stopped = true
	c := p.client
	p.mu.Unlock()
	if c != nil {
		c.Kill()
	}
	reap(p.instance)
}

// newMethod is one of p's methods: a call goes to the live process
// (started again after a crash), and a crash becomes an Infrastructure error.
func newMethod(p *Plugin, info sdk.MethodInfo) *proxy {
	return &proxy{info: info, crashed: p.crashed, remote: func(ctx context.Context) (sdk.Method, error) {
		pc, _, err := p.clients(ctx)
		if err != nil {
			return nil, err
		}
		return pc.Method(info), nil
	}}
}

// Host holds every started plugin.
type Host struct {
	Plugins []*Plugin
	reg     *pipeline.StaticRegistry
}

// StartAll starts every plugin of dirs, in parallel. The error lists those
// that failed (the Host serves the others); Close the Host in any case.
func StartAll(ctx context.Context, dirs []string, opts Options) (*Host, error) {
	bins := Discover(dirs)
	started := make([]*Plugin, len(bins))
	errs := make([]error, len(bins))
	var wg sync.WaitGroup
	for i, b := range bins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started[i], errs[i] = Start(ctx, b, opts)
		}()
	}
	wg.Wait()
	h := &Host{reg: pipeline.NewStaticRegistry()}
	for _, p := range started {
		if p == nil {
			continue
		}
		h.Plugins = append(h.Plugins, p)
		for _, m := range p.Methods() {
			h.reg.Add(m)
		}
	}
	return h, errors.Join(errs...)
}

// Registry returns the plugins' methods (a pipeline.Registry).
func (h *Host) Registry() pipeline.Registry { return h.reg }

// ProtocolNames lists the protocols the plugins serve.
func (h *Host) ProtocolNames() []string {
	var out []string
	for _, p := range h.Plugins {
		out = append(out, p.Manifest.Protocols...)
	}
	return out
}

// Protocol returns a new client of the named protocol from the plugin that
// serves it (the shape of runner.ProtocolFactory).
func (h *Host) Protocol(name string) (sdk.Protocol, error) {
	for _, p := range h.Plugins {
		for _, n := range p.Manifest.Protocols {
			if n == name {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				return p.OpenProtocol(ctx, name)
			}
		}
	}
	return nil, fmt.Errorf("no plugin serves protocol %q", name)
}

// Close stops every plugin, in parallel, and kills whatever they left.
func (h *Host) Close() {
	var wg sync.WaitGroup
	for _, p := range h.Plugins {
		wg.Add(1)
		go func() { defer wg.Done(); p.Kill() }()
	}
	wg.Wait()
}

// ---- leftovers

// reap kills every process whose environment carries the instance mark.
func reap(instance string) {
	for _, pid := range Marked(instance) {
		_ = killPid(pid)
	}
}

// Marked lists the processes whose environment carries InstanceEnv=instance.
func Marked(instance string) []int { return markedAny([]string{instance}) }

func hasVar(env, mark []byte) bool {
	for len(env) > 0 {
		if len(env) >= len(mark) && string(env[:len(mark)]) == string(mark) {
			return true
		}
		i := strings.IndexByte(string(env), 0)
		if i < 0 {
			return false
		}
		env = env[i+1:]
	}
	return false
}

func killPid(pid int) error {
	proc, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return proc.Kill()
}

// ---- stderr tail

// tail keeps the last lines written to it.
type tail struct {
	mu       sync.Mutex
	lines    []string
	partial  []byte
	max, cap int
}

func newTail(lines, bytes int) *tail { return &tail{max: lines, cap: bytes} }

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.partial = append(t.partial, p...)
	for {
		i := strings.IndexByte(string(t.partial), '\n')
		if i < 0 {
			break
		}
		t.lines = append(t.lines, strings.TrimRight(string(t.partial[:i]), "\r"))
		t.partial = t.partial[i+1:]
		if len(t.lines) > t.max {
			t.lines = t.lines[len(t.lines)-t.max:]
		}
	}
	if len(t.partial) > t.cap {
		t.partial = t.partial[len(t.partial)-t.cap:]
	}
	return len(p), nil
}

// String is the last lines (at most 2 KiB of them).
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := append([]string(nil), t.lines...)
	if len(t.partial) > 0 {
		lines = append(lines, string(t.partial))
	}
	out := ""
	for i := len(lines) - 1; i >= 0; i-- {
		if len(out)+len(lines[i]) > 2048 {
			break
		}
		out = lines[i] + "\n" + out
	}
	return strings.TrimRight(out, "\n")
}

func indent(s, pre string) string {
	return pre + strings.ReplaceAll(s, "\n", "\n"+pre)
}
