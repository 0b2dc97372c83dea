package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime/debug"
	"sync"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/lavacore/lavacore/sdk/internal/pb"
)

// The plugin side: the Plugin, Method and Protocol services over a
// ServeConfig, and the Host a method receives, which calls back the host's
// brokered HostServices.

// served is the state one plugin process serves.
type served struct {
	cfg     ServeConfig
	methods map[string]Method

	mu     sync.Mutex
	broker *goplugin.GRPCBroker
	hostID uint32
	conn   *grpc.ClientConn
	hs     pb.HostServicesClient

	pmu       sync.Mutex
	instances map[uint64]Protocol
	next      uint64
}

func newServed(cfg ServeConfig) *served {
	s := &served{cfg: cfg, methods: map[string]Method{}, instances: map[uint64]Protocol{}}
	for _, m := range cfg.Methods {
		s.methods[m.Info().Key()] = m
	}
	return s
}

// methodsPlugin is the go-plugin plugin "methods": the Plugin and Method
// services on the plugin side, a *PluginClient on the host side.
type methodsPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	st *served
}

func (p *methodsPlugin) GRPCServer(broker *goplugin.GRPCBroker, s *grpc.Server) error {
	p.st.mu.Lock()
	p.st.broker = broker
	p.st.mu.Unlock()
	pb.RegisterPluginServer(s, &pluginServer{st: p.st})
	pb.RegisterMethodServer(s, &methodServer{st: p.st})
	return nil
}

func (p *methodsPlugin) GRPCClient(_ context.Context, broker *goplugin.GRPCBroker, cc *grpc.ClientConn) (any, error) {
	return newPluginClient(broker, cc), nil
}

// protocolsPlugin is the go-plugin plugin "protocols".
type protocolsPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	st *served
}

func (p *protocolsPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterProtocolServer(s, &protocolServer{st: p.st})
	return nil
}

func (p *protocolsPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, cc *grpc.ClientConn) (any, error) {
	return &ProtocolClient{c: pb.NewProtocolClient(cc)}, nil
}

// ---- Plugin service

type pluginServer struct {
	pb.UnimplementedPluginServer
	st *served
}

func (s *pluginServer) Describe(context.Context, *pb.DescribeRequest) (*pb.Manifest, error) {
	return manifestToPB(ManifestOf(s.st.cfg)), nil
}

// Configure dials the host's HostServices once; the connection lives as long as the plugin.
func (s *pluginServer) Configure(_ context.Context, req *pb.ConfigureRequest) (*pb.Empty, error) {
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.conn != nil && st.hostID == req.GetHostServices() {
		return &pb.Empty{}, nil
	}
	conn, err := st.broker.DialWithOptions(req.GetHostServices(), grpc.WithChainUnaryInterceptor(graceUnary), grpc.WithChainStreamInterceptor(graceStream))
	if err != nil {
		return nil, errStatus(InfraErrorf("plugin %s: cannot reach the host's services (broker id %d): %v", st.cfg.Name, req.GetHostServices(), err))
	}
	if st.conn != nil {
		_ = st.conn.Close()
	}
	st.conn, st.hostID, st.hs = conn, req.GetHostServices(), pb.NewHostServicesClient(conn)
	return &pb.Empty{}, nil
}

func (st *served) hostServices() (pb.HostServicesClient, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.hs == nil {
		return nil, InfraErrorf("plugin %s: the host did not configure its services", st.cfg.Name)
	}
	return st.hs, nil
}

// ---- Method service

type methodServer struct {
	pb.UnimplementedMethodServer
	st *served
}

func (s *methodServer) lookup(key string) (Method, error) {
	m, ok := s.st.methods[key]
	if !ok {
		return nil, InfraErrorf("plugin %s serves no method %s", s.st.cfg.Name, key)
	}
	return m, nil
}

func (s *methodServer) request(r *pb.MethodRequest) (Method, Request, error) {
	m, err := s.lookup(r.GetMethod())
	if err != nil {
		return nil, Request{}, err
	}
	var req Request
	if err := json.Unmarshal(r.GetRequestJson(), &req); err != nil {
		return nil, Request{}, InfraErrorf("plugin %s: %s: bad request: %v", s.st.cfg.Name, r.GetMethod(), err)
	}
	return m, req, nil
}

// guard turns a panic in a plugin author's code into a Bug error instead of a dead plugin.
func guard(name, what string, err *error) {
	if r := recover(); r != nil {
		Logger().Error("panic", "in", what, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		*err = &Error{Type: Bug, Msg: fmt.Sprintf("plugin %s panicked in %s: %v", name, what, r)}
	}
}

func (s *methodServer) Accepts(_ context.Context, r *pb.MethodRequest) (out *pb.AcceptsResponse, err error) {
	defer func() { err = errStatus(err) }()
	defer guard(s.st.cfg.Name, "Accepts", &err)
	m, req, err := s.request(r)
	if err != nil {
		return nil, err
	}
	ok, why := m.Accepts(req)
	return &pb.AcceptsResponse{Ok: ok, Reason: utf8(why)}, nil
}

func (s *methodServer) Describe(_ context.Context, r *pb.MethodRequest) (out *pb.DescribeMethodResponse, err error) {
	defer func() { err = errStatus(err) }()
	defer guard(s.st.cfg.Name, "Describe", &err)
	m, req, err := s.request(r)
	if err != nil {
		return nil, err
	}
	a, err := m.Describe(req)
	if err != nil {
		return nil, err
	}
	return &pb.DescribeMethodResponse{Action: actionSpecToPB(a)}, nil
}

func (s *methodServer) Validate(ctx context.Context, r *pb.MethodRequest) (out *pb.ValidateResponse, err error) {
	defer func() { err = errStatus(err) }()
	defer guard(s.st.cfg.Name, "Validate", &err)
	m, req, err := s.request(r)
	if err != nil {
		return nil, err
	}
	return &pb.ValidateResponse{Diagnostics: diagnosticsToPB(m.Validate(ctx, req))}, nil
}

func (s *methodServer) Run(ctx context.Context, r *pb.CallRequest) (*pb.Empty, error) {
	return s.call(ctx, r, "Run")
}

func (s *methodServer) Cleanup(ctx context.Context, r *pb.CallRequest) (*pb.Empty, error) {
	return s.call(ctx, r, "Cleanup")
}

func (s *methodServer) call(ctx context.Context, r *pb.CallRequest, op string) (_ *pb.Empty, err error) {
	defer func() { err = errStatus(err) }()
	m, err := s.lookup(r.GetMethod())
	if err != nil {
		return nil, err
	}
	var call Call
	if err := json.Unmarshal(r.GetCallJson(), &call); err != nil {
		return nil, InfraErrorf("plugin %s: %s: bad call: %v", s.st.cfg.Name, r.GetMethod(), err)
	}
	defer guard(s.st.cfg.Name, op+" "+call.Action, &err)
	hs, err := s.st.hostServices()
	if err != nil {
		return nil, err
	}
	// The action's own deadline: the gRPC deadline is a little later, so that
	// the method's error (what it waited for) reaches the host.
	if d := r.GetDeadlineUnixNano(); d != 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, time.Unix(0, d))
		defer cancel()
	}
	host := &hostClient{hs: hs, id: r.GetCallId(), plugin: s.st.cfg.Name}
	if op == "Run" {
		err = m.Run(ctx, call, host)
	} else {
		err = m.Cleanup(ctx, call, host)
	}
	if err != nil {
		return nil, err
	}
	return &pb.Empty{}, nil
}

// ---- Protocol service

type protocolServer struct {
	pb.UnimplementedProtocolServer
	st *served
}

func (s *protocolServer) Open(_ context.Context, r *pb.ProtocolOpenRequest) (*pb.ProtocolOpenResponse, error) {
	st := s.st
	var p Protocol
	if f, ok := st.cfg.ProtocolFactories[r.GetName()]; ok {
		p = f()
	} else {
		for _, x := range st.cfg.Protocols {
			if x.Name() == r.GetName() {
				p = x
			}
		}
	}
	if p == nil {
		return nil, errStatus(InfraErrorf("plugin %s serves no protocol %q", st.cfg.Name, r.GetName()))
	}
	st.pmu.Lock()
	defer st.pmu.Unlock()
	st.next++
	st.instances[st.next] = p
	return &pb.ProtocolOpenResponse{Instance: st.next}, nil
}

func (s *protocolServer) instance(id uint64) (Protocol, error) {
	s.st.pmu.Lock()
	defer s.st.pmu.Unlock()
	p, ok := s.st.instances[id]
	if !ok {
		return nil, InfraErrorf("plugin %s: no protocol client %d (finalized?)", s.st.cfg.Name, id)
	}
	return p, nil
}

func (s *protocolServer) Configure(ctx context.Context, r *pb.ProtocolConfigureRequest) (_ *pb.Empty, err error) {
	defer func() { err = errStatus(err) }()
	defer guard(s.st.cfg.Name, "protocol Configure", &err)
	p, err := s.instance(r.GetInstance())
	if err != nil {
		return nil, err
	}
	cfg := ProtocolConfig{JobID: r.GetJobId(), Coordinator: r.GetCoordinator()}
	if len(r.GetParamsJson()) > 0 {
		if err := json.Unmarshal(r.GetParamsJson(), &cfg.Params); err != nil {
			return nil, InfraErrorf("protocol %s: bad parameters: %v", p.Name(), err)
		}
	}
	if err := p.Configure(ctx, cfg); err != nil {
		return nil, err
	}
	return &pb.Empty{}, nil
}

func (s *protocolServer) Call(ctx context.Context, r *pb.ProtocolCallRequest) (_ *pb.ProtocolCallResponse, err error) {
	defer func() { err = errStatus(err) }()
	defer guard(s.st.cfg.Name, "protocol Call", &err)
	p, err := s.instance(r.GetInstance())
	if err != nil {
		return nil, err
	}
	var req map[string]any
	if err := json.Unmarshal(r.GetRequestJson(), &req); err != nil {
		return nil, InfraErrorf("protocol %s: bad request: %v", p.Name(), err)
	}
	reply, err := p.Call(ctx, req)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(reply)
	if err != nil {
		return nil, &Error{Type: Bug, Msg: fmt.Sprintf("protocol %s: reply: %v", p.Name(), err)}
	}
	return &pb.ProtocolCallResponse{ReplyJson: b}, nil
}

func (s *protocolServer) Finalize(ctx context.Context, r *pb.ProtocolFinalizeRequest) (_ *pb.Empty, err error) {
	defer func() { err = errStatus(err) }()
	defer guard(s.st.cfg.Name, "protocol Finalize", &err)
	p, err := s.instance(r.GetInstance())
	if err != nil {
		return nil, err
	}
	err = p.Finalize(ctx, r.GetOk())
	s.st.pmu.Lock()
	delete(s.st.instances, r.GetInstance())
	s.st.pmu.Unlock()
	if err != nil {
		return nil, err
	}
	return &pb.Empty{}, nil
}

// ---- the Host a plugin's method receives

// hostClient is the sdk.Host of one call, served back by the host.
type hostClient struct {
	hs     pb.HostServicesClient
	id     uint64
	plugin string
}

// hostTimeout bounds the Host calls that take no context (Log, Result, Get, Set).
const hostTimeout = 30 * time.Second

func (h *hostClient) err(ctx context.Context, what string, err error) error {
	out, transport := statusErr(err)
	if transport {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return InfraErrorf("plugin %s: %s: lost the host: %v", h.plugin, what, err)
	}
	return out
}

func (h *hostClient) bg() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), hostTimeout)
}

// bgErr is err for the calls that take no context: their own hostTimeout
// ending is the host not answering, not a caller's deadline.
func (h *hostClient) bgErr(ctx context.Context, what string, err error) error {
	if _, transport := statusErr(err); transport && ctx.Err() != nil {
		return InfraErrorf("plugin %s: %s: the host did not answer within %s", h.plugin, what, hostTimeout)
	}
	return h.err(ctx, what, err)
}

func (h *hostClient) Console(ctx context.Context) (Console, error) {
	if _, err := h.hs.ConsoleCheck(ctx, &pb.CallRef{CallId: h.id}); err != nil {
		return nil, h.err(ctx, "console", err)
	}
	return &consoleClient{h}, nil
}

func (h *hostClient) OpenConsole(ctx context.Context, spec ConsoleSpec) (Console, error) {
	if _, err := h.hs.ConsoleOpen(ctx, &pb.ConsoleOpenRequest{CallId: h.id, Spec: consoleSpecToPB(spec)}); err != nil {
		return nil, h.err(ctx, "open console", err)
	}
	return &consoleClient{h}, nil
}

func (h *hostClient) CloseConsole(ctx context.Context) error {
	_, err := h.hs.ConsoleClose(ctx, &pb.CallRef{CallId: h.id})
	return h.err(ctx, "close console", err)
}

func (h *hostClient) Power(ctx context.Context, op string) error {
	_, err := h.hs.Power(ctx, &pb.PowerRequest{CallId: h.id, Op: op})
	return h.err(ctx, "power "+op, err)
}

func (h *hostClient) Log(level LogLevel, msg string) error {
	ctx, cancel := h.bg()
	defer cancel()
	_, err := h.hs.Log(ctx, &pb.LogRequest{CallId: h.id, Level: string(level), Message: []byte(msg)})
	return h.bgErr(ctx, "job log", err)
}

func (h *hostClient) Result(r Result) error {
	ctx, cancel := h.bg()
	defer cancel()
	_, err := h.hs.Result(ctx, &pb.ResultRequest{CallId: h.id, Result: resultToPB(r)})
	return h.bgErr(ctx, "result "+r.Case, err)
}

func (h *hostClient) Get(action, label, key string) (string, bool, error) {
	ctx, cancel := h.bg()
	defer cancel()
	r, err := h.hs.GetData(ctx, &pb.GetDataRequest{CallId: h.id, Action: utf8(action), Label: utf8(label), Key: utf8(key)})
	if err != nil {
		return "", false, h.bgErr(ctx, "namespace data "+action+"/"+label+"/"+key, err)
	}
	return string(r.GetValue()), r.GetFound(), nil
}

func (h *hostClient) Set(action, label, key, value string) error {
	ctx, cancel := h.bg()
	defer cancel()
	_, err := h.hs.SetData(ctx, &pb.SetDataRequest{CallId: h.id, Action: utf8(action), Label: utf8(label), Key: utf8(key), Value: []byte(value)})
	return h.bgErr(ctx, "namespace data "+action+"/"+label+"/"+key, err)
}

func (h *hostClient) Protocol(ctx context.Context, name string, req map[string]any) (map[string]any, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, &Error{Type: Bug, Msg: fmt.Sprintf("protocol %s: request: %v", name, err)}
	}
	r, err := h.hs.Protocol(ctx, &pb.ProtocolRequest{CallId: h.id, Name: name, RequestJson: b})
	if err != nil {
		return nil, h.err(ctx, "protocol "+name, err)
	}
	var out map[string]any
	if len(r.GetReplyJson()) > 0 {
		if err := json.Unmarshal(r.GetReplyJson(), &out); err != nil {
			return nil, InfraErrorf("protocol %s: bad reply: %v", name, err)
		}
	}
	return out, nil
}

// consoleClient is the namespace's console as a plugin sees it.
type consoleClient struct{ h *hostClient }

func (c *consoleClient) SendLine(ctx context.Context, s string) error {
	_, err := c.h.hs.ConsoleSend(ctx, &pb.ConsoleSendRequest{CallId: c.h.id, Data: []byte(s), Line: true})
	return c.h.err(ctx, "console", err)
}

func (c *consoleClient) SendRaw(ctx context.Context, s string) error {
	_, err := c.h.hs.ConsoleSend(ctx, &pb.ConsoleSendRequest{CallId: c.h.id, Data: []byte(s)})
	return c.h.err(ctx, "console", err)
}

func (c *consoleClient) Expect(ctx context.Context, patterns []string, timeout time.Duration) (Match, error) {
	r, err := c.h.hs.ConsoleExpect(ctx, &pb.ExpectRequest{CallId: c.h.id, Patterns: patterns, TimeoutNs: int64(timeout)})
	if err != nil {
		return Match{}, c.h.err(ctx, "console", err)
	}
	return matchFromPB(r), nil
}

// Stream implements Streamer: the console's raw output, streamed by the host.
func (c *consoleClient) Stream(ctx context.Context) (io.ReadCloser, error) {
	ctx, cancel := context.WithCancel(ctx)
	s, err := c.h.hs.ConsoleRead(ctx, &pb.CallRef{CallId: c.h.id})
	if err != nil {
		cancel()
		return nil, c.h.err(ctx, "console stream", err)
	}
	return &chunkReader{recv: func() ([]byte, error) {
		ch, err := s.Recv()
		if err == io.EOF {
			return nil, io.EOF
		}
		if err != nil {
			return nil, c.h.err(ctx, "console stream", err)
		}
		return ch.GetData(), nil
	}, cancel: cancel}, nil
}

// chunkReader reads a stream of chunks as an io.ReadCloser.
type chunkReader struct {
	recv   func() ([]byte, error)
	buf    []byte
	cancel func()
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		b, err := r.recv()
		if err != nil {
			return 0, err
		}
		r.buf = b
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

func (r *chunkReader) Close() error { r.cancel(); return nil }
