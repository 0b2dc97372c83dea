package sdk

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// PluginClient is the host's handle on one plugin process. Its methods are
// sdk.Method values that call the plugin over gRPC; the Host each Run or
// Cleanup receives is served back to the plugin through one brokered
// lavacore.Host service for the client's life.
type PluginClient struct {
	cc     *grpc.ClientConn
	broker *goplugin.GRPCBroker

	once   sync.Once
	hostID uint32
	mu     sync.Mutex
	hosts  map[string]Host
	next   atomic.Uint64
	// Name labels errors ("plugin tftp").
	Name string
}

// Manifest asks the plugin what it serves.
func (c *PluginClient) Manifest(ctx context.Context) (Manifest, error) {
	var m Manifest
	err := invoke(ctx, c.cc, "lavacore.Plugin", "manifest", nil, &m)
	return m, err
}

// Methods returns the plugin's methods as sdk.Method values.
func (c *PluginClient) Methods(ctx context.Context) ([]Method, error) {
	m, err := c.Manifest(ctx)
	if err != nil {
		return nil, err
	}
	if c.Name == "" {
		c.Name = m.Name
	}
	out := make([]Method, 0, len(m.Methods))
	for _, info := range m.Methods {
		out = append(out, &remoteMethod{c: c, info: info})
	}
	return out, nil
}

// hostService starts the brokered Host service once and returns its broker id.
func (c *PluginClient) hostService() uint32 {
	c.once.Do(func() {
		c.hostID = c.broker.NextId()
		srv := &hostServer{c: c}
		go c.broker.AcceptAndServe(c.hostID, func(opts []grpc.ServerOption) *grpc.Server {
			s := grpc.NewServer(opts...)
			s.RegisterService(serviceDesc("lavacore.Host"), handler(srv.handle))
			return s
		})
	})
	return c.hostID
}

func (c *PluginClient) lend(h Host) (string, func()) {
	id := strconv.FormatUint(c.next.Add(1), 10)
	c.mu.Lock()
	c.hosts[id] = h
	c.mu.Unlock()
	return id, func() {
		c.mu.Lock()
		delete(c.hosts, id)
		c.mu.Unlock()
	}
}

func (c *PluginClient) host(id string) (Host, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.hosts[id]
	if !ok {
		return nil, InfraErrorf("the host has no call %s (it ended)", id)
	}
	return h, nil
}

// remoteMethod is a Method served by a plugin process.
type remoteMethod struct {
	c    *PluginClient
	info MethodInfo
}

func (m *remoteMethod) Info() MethodInfo { return m.info }

func (m *remoteMethod) wrap(op, action string, err error) error {
	if err == nil {
		return nil
	}
	if IsTransport(err) {
		return InfraErrorf("plugin %s (%s) failed during %s %s: %v", m.c.Name, m.info.Key(), op, action, err)
	}
	return err
}

func (m *remoteMethod) Accepts(req Request) (bool, string) {
	var r acceptsReply
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := invoke(ctx, m.c.cc, "lavacore.Plugin", "accepts", methodReq{m.info.Key(), req}, &r); err != nil {
		return false, m.wrap("accepts", "", err).Error()
	}
	return r.OK, r.Reason
}

func (m *remoteMethod) Describe(req Request) (ActionSpec, error) {
	var s ActionSpec
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := invoke(ctx, m.c.cc, "lavacore.Plugin", "describe", methodReq{m.info.Key(), req}, &s)
	return s, m.wrap("describe", "", err)
}

func (m *remoteMethod) Validate(ctx context.Context, req Request) Diagnostics {
	var d Diagnostics
	if err := invoke(ctx, m.c.cc, "lavacore.Plugin", "validate", methodReq{m.info.Key(), req}, &d); err != nil {
		return Diagnostics{{Summary: m.wrap("validate", "", err).Error()}}
	}
	return d
}

func (m *remoteMethod) call(ctx context.Context, op string, call Call, host Host) error {
	id, done := m.c.lend(host)
	defer done()
	err := invoke(ctx, m.c.cc, "lavacore.Plugin", op, callReq{Key: m.info.Key(), Call: call, Broker: m.c.hostService(), CallID: id}, nil)
	return m.wrap(op, call.Action, err)
}

func (m *remoteMethod) Run(ctx context.Context, call Call, host Host) error {
	return m.call(ctx, "run", call, host)
}

func (m *remoteMethod) Cleanup(ctx context.Context, call Call, host Host) error {
	return m.call(ctx, "cleanup", call, host)
}

var _ = fmt.Sprint
