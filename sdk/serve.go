package sdk

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// ServeConfig lists what one plugin binary serves.
type ServeConfig struct {
	Name      string // plugin name, e.g. "tftp"
	Version   string // semver, e.g. "0.1.0"
	Methods   []Method
	Protocols []Protocol // served as they are: every client the host opens shares the value
	// ProtocolFactories serve protocols by name with a fresh value for every
	// client the host opens (one per sub-job), e.g. {"lava-multinode": multinode.New}.
	ProtocolFactories map[string]func() Protocol
}

// Serve runs the plugin: `<binary> describe` prints its Manifest as JSON
// (no handshake needed); otherwise it serves cfg over go-plugin gRPC, with
// mutual TLS when the host asks for it (serve_tls.go), until the host stops
// it or dies. It does not return.
//
// Nothing may be written to stdout before Serve: go-plugin's handshake is the
// first line there. Log with Logger (hclog on stderr) or, for the job log,
// with Host.Log.
func Serve(cfg ServeConfig) {
	if len(os.Args) > 1 && os.Args[1] == "describe" {
		b, err := json.MarshalIndent(ManifestOf(cfg), "", "  ")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(string(b))
		os.Exit(0)
	}
	keepExecFile()
	if os.Getenv(Handshake.MagicCookieKey) == Handshake.MagicCookieValue {
		// A dead host's stderr pipe must not kill the plugin with SIGPIPE
		// before it has killed its children: writes fail with EPIPE instead.
		signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
		go exitWithParent(os.Getppid())
	}
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         PluginSet(cfg),
		GRPCServer:      newGRPCServer,
		TLSProvider:     pluginTLS,
		Logger:          Logger(),
	})
	killChildren()
	os.Exit(0)
}

// ExecFileEnv names, in a plugin's environment, the descriptor of its own
// binary: the host executes the file it checked against its checksum through
// that descriptor. The plugin keeps it from its children (keepExecFile).
const ExecFileEnv = "LAVACORE_PLUGIN_EXEC_FD"

// keepExecFile marks the plugin's descriptor of its own binary close-on-exec
// and removes its variable, so the programs the plugin starts inherit neither.
// It names the process after its binary again (executed as /proc/self/fd/N,
// ps and top would show "N").
func keepExecFile() {
	v, ok := os.LookupEnv(ExecFileEnv)
	if !ok {
		return
	}
	_ = os.Unsetenv(ExecFileEnv)
	if fd, err := strconv.Atoi(v); err == nil && fd > 2 {
		syscall.CloseOnExec(fd)
	}
	setProcessName(filepath.Base(os.Args[0]))
}

// exitWithParent ends the plugin (and its children's process groups) when
// its host dies: a plugin's parent is the host, so a new parent means the host
// is gone (go-plugin alone would leave the plugin running).
func exitWithParent(ppid int) {
	for range time.Tick(250 * time.Millisecond) {
		if os.Getppid() != ppid {
			killChildren()
			Logger().Warn("the host (pid " + fmt.Sprint(ppid) + ") died: exiting")
			os.Exit(2)
		}
	}
}

// newGRPCServer is the plugin's gRPC server with gRPC's 4 MiB receive cap raised.
func newGRPCServer(opts []grpc.ServerOption) *grpc.Server {
	return grpc.NewServer(append(opts, grpc.MaxRecvMsgSize(math.MaxInt32), grpc.MaxSendMsgSize(math.MaxInt32))...)
}

var (
	loggerOnce sync.Once
	logger     hclog.Logger
)

// Logger is the plugin's debug log: hclog (JSON) on stderr, which the host
// re-emits under the plugin's name. Its level is $LAVACORE_PLUGIN_LOG
// (trace, debug, info, warn, error; default info). It is not the job log.
func Logger() hclog.Logger {
	loggerOnce.Do(func() {
		lvl := hclog.LevelFromString(os.Getenv("LAVACORE_PLUGIN_LOG"))
		if lvl == hclog.NoLevel {
			lvl = hclog.Info
		}
		logger = hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: lvl, Output: os.Stderr, JSONFormat: true})
	})
	return logger
}

// Handshake is lavacore's go-plugin handshake. A plugin binary run by hand
// (not by lavacore) says so and exits. ProtocolVersion is the wire protocol's
// version (sdk/internal/proto/lavacore.proto), the plugin API version: a
// plugin built for another is refused at the handshake. 3: errors carry
// their console timeout and protocol as fields; Host.Log, Result, Get and
// Set return their failures. 4: the host and the plugin authenticate each
// other with their own mutual TLS (serve_tls.go), not go-plugin's AutoMTLS.
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  4,
	MagicCookieKey:   "LAVACORE_PLUGIN",
	MagicCookieValue: "a7f2c1e0-lavacore-method-plugin",
}

// The names in a plugin's go-plugin set.
const (
	PluginMethods   = "methods"   // dispenses a *PluginClient
	PluginProtocols = "protocols" // dispenses a *ProtocolClient
)

// Manifest is what a plugin binary declares: its name, version, methods and protocols.
type Manifest struct {
	Name       string       `json:"name"`
	Version    string       `json:"version"`
	APIVersion int          `json:"api_version"`
	Methods    []MethodInfo `json:"methods"`
	Protocols  []string     `json:"protocols,omitempty"`
}

// ManifestOf is the Manifest of a ServeConfig.
func ManifestOf(cfg ServeConfig) Manifest {
	m := Manifest{Name: cfg.Name, Version: cfg.Version, APIVersion: int(Handshake.ProtocolVersion), Methods: []MethodInfo{}}
	for _, x := range cfg.Methods {
		m.Methods = append(m.Methods, x.Info())
	}
	for _, p := range cfg.Protocols {
		m.Protocols = append(m.Protocols, p.Name())
	}
	for name := range cfg.ProtocolFactories {
		m.Protocols = append(m.Protocols, name)
	}
	sort.Strings(m.Protocols)
	return m
}

// PluginSet is the go-plugin set a plugin serves (sdktest serves it in-process).
func PluginSet(cfg ServeConfig) goplugin.PluginSet {
	st := newServed(cfg)
	return goplugin.PluginSet{PluginMethods: &methodsPlugin{st: st}, PluginProtocols: &protocolsPlugin{st: st}}
}

// ClientPluginSet is the go-plugin set a host dispenses from.
func ClientPluginSet() goplugin.PluginSet {
	return goplugin.PluginSet{PluginMethods: &methodsPlugin{}, PluginProtocols: &protocolsPlugin{}}
}
