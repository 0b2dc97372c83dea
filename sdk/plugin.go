package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// Handshake is lavacore's go-plugin handshake. A plugin binary run by hand
// (not by lavacore) says so and exits.
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "LAVACORE_PLUGIN",
	MagicCookieValue: "a7f2c1e0-lavacore-method-plugin",
}

// PluginName is the go-plugin plugin name every lavacore plugin serves.
const PluginName = "lavacore"

// Manifest is what a plugin binary declares: its name, version, methods and protocols.
type Manifest struct {
	Name      string       `json:"name"`
	Version   string       `json:"version"`
	Methods   []MethodInfo `json:"methods"`
	Protocols []string     `json:"protocols,omitempty"`
}

func manifestOf(cfg ServeConfig) Manifest {
	m := Manifest{Name: cfg.Name, Version: cfg.Version}
	for _, x := range cfg.Methods {
		m.Methods = append(m.Methods, x.Info())
	}
	for _, p := range cfg.Protocols {
		m.Protocols = append(m.Protocols, p.Name())
	}
	return m
}

// GRPCPlugin is the go-plugin plugin: the server side wraps a ServeConfig,
// the client side returns a *PluginClient.
type GRPCPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	Config ServeConfig // plugin side only
}

// GRPCServer registers the plugin's service.
func (p *GRPCPlugin) GRPCServer(broker *goplugin.GRPCBroker, s *grpc.Server) error {
	srv := &pluginServer{cfg: p.Config, broker: broker, methods: map[string]Method{}, hosts: map[uint32]*grpc.ClientConn{}}
	for _, m := range p.Config.Methods {
		srv.methods[m.Info().Key()] = m
	}
	s.RegisterService(serviceDesc("lavacore.Plugin"), handler(srv.handle))
	return nil
}

// GRPCClient returns the host's view of the plugin.
func (p *GRPCPlugin) GRPCClient(ctx context.Context, broker *goplugin.GRPCBroker, cc *grpc.ClientConn) (any, error) {
	return &PluginClient{cc: cc, broker: broker, hosts: map[string]Host{}}, nil
}

// Requests of the plugin service.
type methodReq struct {
	Key     string  `json:"key"`
	Request Request `json:"request"`
}

type callReq struct {
	Key    string `json:"key"`
	Call   Call   `json:"call"`
	Broker uint32 `json:"broker"`
	CallID string `json:"call_id"`
}

type acceptsReply struct {
	OK     bool   `json:"ok"`
	Reason string `json:"reason"`
}

// pluginServer runs inside the plugin process.
type pluginServer struct {
	cfg     ServeConfig
	broker  *goplugin.GRPCBroker
	methods map[string]Method
	mu      sync.Mutex
	hosts   map[uint32]*grpc.ClientConn
}

func (s *pluginServer) method(key string) (Method, error) {
	m, ok := s.methods[key]
	if !ok {
		return nil, InfraErrorf("plugin %s serves no method %s", s.cfg.Name, key)
	}
	return m, nil
}

func (s *pluginServer) hostConn(id uint32) (*grpc.ClientConn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.hosts[id]; ok {
		return c, nil
	}
	c, err := s.broker.Dial(id)
	if err != nil {
		return nil, InfraErrorf("plugin %s: cannot reach the host's services: %v", s.cfg.Name, err)
	}
	s.hosts[id] = c
	return c, nil
}

func (s *pluginServer) handle(ctx context.Context, op string, args json.RawMessage) (any, error) {
	switch op {
	case "manifest":
		return manifestOf(s.cfg), nil
	case "accepts", "describe", "validate":
		var r methodReq
		if err := json.Unmarshal(args, &r); err != nil {
			return nil, err
		}
		m, err := s.method(r.Key)
		if err != nil {
			return nil, err
		}
		switch op {
		case "accepts":
			ok, why := m.Accepts(r.Request)
			return acceptsReply{ok, why}, nil
		case "describe":
			return m.Describe(r.Request)
		default:
			return m.Validate(ctx, r.Request), nil
		}
	case "run", "cleanup":
		var r callReq
		if err := json.Unmarshal(args, &r); err != nil {
			return nil, err
		}
		m, err := s.method(r.Key)
		if err != nil {
			return nil, err
		}
		cc, err := s.hostConn(r.Broker)
		if err != nil {
			return nil, err
		}
		h := &hostClient{cc: cc, id: r.CallID}
		if op == "run" {
			return nil, m.Run(ctx, r.Call, h)
		}
		return nil, m.Cleanup(ctx, r.Call, h)
	}
	return nil, InfraErrorf("plugin %s: unknown operation %q", s.cfg.Name, op)
}

// serve runs the plugin with go-plugin.
func serveGRPC(cfg ServeConfig) {
	if len(os.Args) > 1 && os.Args[1] == "describe" {
		b, _ := json.MarshalIndent(manifestOf(cfg), "", "  ")
		fmt.Println(string(b))
		os.Exit(0)
	}
	// Exit when the host dies: go-plugin's host holds our stdin open.
	go func() {
		ppid := os.Getppid()
		for range time.Tick(time.Second) {
			if os.Getppid() != ppid {
				os.Exit(2)
			}
		}
	}()
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         goplugin.PluginSet{PluginName: &GRPCPlugin{Config: cfg}},
		GRPCServer:      goplugin.DefaultGRPCServer,
		Logger:          hclog.New(&hclog.LoggerOptions{Name: "plugin-" + cfg.Name, Level: hclog.Warn, Output: os.Stderr}),
	})
	os.Exit(0)
}

func init() { serve = serveGRPC }
