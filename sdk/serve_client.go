package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/lavacore/lavacore/sdk/internal/pb"
)

// The host side: Method and Protocol values that call a plugin over gRPC,
// and the HostServices server the plugin calls back.

// CallGrace is how much longer than an action's deadline the host waits for
// a plugin's answer: the plugin's own context ends at the deadline, and the
// grace lets its error (what it was waiting for) come back.
const CallGrace = 3 * time.Second

// describeTimeout bounds Accepts, Describe and Validate, which take no deadline.
const describeTimeout = 30 * time.Second

// TransportError is a failed call to a plugin that the plugin did not answer:
// the process crashed, was killed, or the connection broke.
type TransportError struct {
	Plugin string
	Op     string // "run", "cleanup", "describe" …
	Action string // the action, for run and cleanup
	Err    error
}

func (e *TransportError) Error() string {
	what := e.Op
	if e.Action != "" {
		what += " of action " + e.Action
	}
	return fmt.Sprintf("plugin %s failed during %s: %v", e.Plugin, what, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// IsTransport reports whether err is a plugin that failed to answer (see TransportError).
func IsTransport(err error) bool {
	var t *TransportError
	return errors.As(err, &t)
}

// PluginClient is the host's handle on one plugin connection (what
// go-plugin's Dispense(PluginMethods) returns). Its Method values call the
// plugin; the Host each Run or Cleanup receives is served back to the plugin
// through one brokered HostServices server, set up by Configure for the
// client's life.
type PluginClient struct {
	// Name labels errors ("plugin tftp …"); Describe sets it when empty.
	Name string

	plugin pb.PluginClient
	method pb.MethodClient
	broker *goplugin.GRPCBroker

	cfgMu  sync.Mutex
	cfgErr error
	cfgOK  bool

	mu    sync.Mutex
	hosts map[uint64]lentHost
	next  atomic.Uint64
}

func newPluginClient(broker *goplugin.GRPCBroker, cc *grpc.ClientConn) *PluginClient {
	return &PluginClient{plugin: pb.NewPluginClient(cc), method: pb.NewMethodClient(cc), broker: broker, hosts: map[uint64]lentHost{}}
}

func (c *PluginClient) fail(op, action string, ctx context.Context, err error) error {
	out, transport := statusErr(err)
	if !transport {
		return out
	}
	if ctx != nil && ctx.Err() != nil {
		// the caller's deadline or cancellation, not the plugin's fault
		return ctx.Err()
	}
	return &Error{Type: Infrastructure, Err: &TransportError{Plugin: c.Name, Op: op, Action: action, Err: err},
		Msg: (&TransportError{Plugin: c.Name, Op: op, Action: action, Err: err}).Error()}
}

// Describe asks the plugin what it serves.
func (c *PluginClient) Describe(ctx context.Context) (Manifest, error) {
	m, err := c.plugin.Describe(ctx, &pb.DescribeRequest{})
	if err != nil {
		return Manifest{}, c.fail("describe", "", ctx, err)
	}
	out := manifestFromPB(m)
	if c.Name == "" {
		c.Name = out.Name
	}
	return out, nil
}

// Configure starts the brokered HostServices server and hands its id to the
// plugin, once; Run and Cleanup call it if the host has not.
func (c *PluginClient) Configure(ctx context.Context) error {
	c.cfgMu.Lock()
	defer c.cfgMu.Unlock()
	if c.cfgOK {
		return nil
	}
	id := c.broker.NextId()
	go c.broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
		s := grpc.NewServer(append(opts, grpc.MaxRecvMsgSize(math.MaxInt32), grpc.MaxSendMsgSize(math.MaxInt32),
			grpc.UnaryInterceptor(deadlineUnary), grpc.StreamInterceptor(deadlineStream))...)
		pb.RegisterHostServicesServer(s, &hostServices{c: c})
		return s
	})
	if _, err := c.plugin.Configure(ctx, &pb.ConfigureRequest{HostServices: id}); err != nil {
		c.cfgErr = c.fail("configure", "", ctx, err)
		return c.cfgErr
	}
	c.cfgOK = true
	return nil
}

// Method returns the plugin's method info as an sdk.Method.
func (c *PluginClient) Method(info MethodInfo) Method { return &remoteMethod{c: c, info: info} }

// Methods asks the plugin what it serves and returns its methods.
func (c *PluginClient) Methods(ctx context.Context) ([]Method, error) {
	m, err := c.Describe(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Method, 0, len(m.Methods))
	for _, info := range m.Methods {
		out = append(out, c.Method(info))
	}
	return out, nil
}

// lentHost is the Host lent to one call, and the call's action.
type lentHost struct {
	h      Host
	action string
}

func (c *PluginClient) lend(h Host, action string) (uint64, func()) {
	id := c.next.Add(1)
	c.mu.Lock()
	c.hosts[id] = lentHost{h: h, action: action}
	c.mu.Unlock()
	return id, func() {
		c.mu.Lock()
		delete(c.hosts, id)
		c.mu.Unlock()
	}
}

func (c *PluginClient) host(id uint64) (Host, error) {
	l, err := c.lent(id)
	return l.h, err
}

func (c *PluginClient) lent(id uint64) (lentHost, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.hosts[id]
	if !ok {
		return lentHost{}, InfraErrorf("the host has no call %d (it ended)", id)
	}
	return l, nil
}

// remoteMethod is a Method served by a plugin.
type remoteMethod struct {
	c    *PluginClient
	info MethodInfo
}

func (m *remoteMethod) Info() MethodInfo { return m.info }

func (m *remoteMethod) request(req Request) (*pb.MethodRequest, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, &Error{Type: Bug, Msg: fmt.Sprintf("%s: request: %v", m.info.Key(), err)}
	}
	return &pb.MethodRequest{Method: m.info.Key(), RequestJson: b}, nil
}

func (m *remoteMethod) Accepts(req Request) (bool, string) {
	r, err := m.request(req)
	if err != nil {
		return false, err.Error()
	}
	ctx, cancel := context.WithTimeout(context.Background(), describeTimeout)
	defer cancel()
	out, err := m.c.method.Accepts(ctx, r)
	if err != nil {
		return false, m.c.fail("accepts", "", ctx, err).Error()
	}
	return out.GetOk(), out.GetReason()
}

func (m *remoteMethod) Describe(req Request) (ActionSpec, error) {
	r, err := m.request(req)
	if err != nil {
		return ActionSpec{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), describeTimeout)
	defer cancel()
	out, err := m.c.method.Describe(ctx, r)
	if err != nil {
		return ActionSpec{}, m.c.fail("describe", "", ctx, err)
	}
	return actionSpecFromPB(out.GetAction()), nil
}

func (m *remoteMethod) Validate(ctx context.Context, req Request) Diagnostics {
	r, err := m.request(req)
	if err == nil {
		var out *pb.ValidateResponse
		if out, err = m.c.method.Validate(ctx, r); err == nil {
			return diagnosticsFromPB(out.GetDiagnostics())
		}
		err = m.c.fail("validate", "", ctx, err)
	}
	return Diagnostics{{Summary: err.Error()}}
}

func (m *remoteMethod) Run(ctx context.Context, call Call, host Host) error {
	return m.call(ctx, "run", call, host)
}

func (m *remoteMethod) Cleanup(ctx context.Context, call Call, host Host) error {
	return m.call(ctx, "cleanup", call, host)
}

func (m *remoteMethod) call(ctx context.Context, op string, call Call, host Host) error {
	if err := m.c.Configure(ctx); err != nil {
		return err
	}
	b, err := json.Marshal(call)
	if err != nil {
		return &Error{Type: Bug, Msg: fmt.Sprintf("%s: call: %v", m.info.Key(), err)}
	}
	id, done := m.c.lend(host, call.Action)
	defer done()
	req := &pb.CallRequest{Method: m.info.Key(), CallJson: b, CallId: id}
	rctx := ctx
	if d, ok := ctx.Deadline(); ok {
		req.DeadlineUnixNano = d.UnixNano()
		var cancel context.CancelFunc
		rctx, cancel = graceContext(ctx, d.Add(CallGrace))
		defer cancel()
	}
	if op == "run" {
		_, err = m.c.method.Run(rctx, req)
	} else {
		_, err = m.c.method.Cleanup(rctx, req)
	}
	return m.c.fail(op, call.Action, ctx, err)
}

// deadlineKey carries a call's real deadline in gRPC metadata (as Unix
// nanoseconds) when the gRPC deadline is CallGrace later.
const deadlineKey = "lavacore-deadline"

// graceUnary and graceStream are client interceptors: a call with a
// deadline is sent with the deadline in its metadata and a gRPC deadline
// CallGrace later, so that the other side's error at the deadline (what it
// was waiting for) comes back before the call itself times out.
func graceUnary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if d, ok := ctx.Deadline(); ok {
		ctx = metadata.AppendToOutgoingContext(ctx, deadlineKey, strconv.FormatInt(d.UnixNano(), 10))
		var cancel context.CancelFunc
		ctx, cancel = graceContext(ctx, d.Add(CallGrace))
		defer cancel()
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

func graceStream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	if d, ok := ctx.Deadline(); ok {
		ctx = metadata.AppendToOutgoingContext(ctx, deadlineKey, strconv.FormatInt(d.UnixNano(), 10))
		// the grace context lives as long as the stream
		gctx, cancel := graceContext(ctx, d.Add(CallGrace))
		cs, err := streamer(gctx, desc, cc, method, opts...)
		if err != nil {
			cancel()
			return nil, err
		}
		return &cancelStream{ClientStream: cs, cancel: cancel}, nil
	}
	return streamer(ctx, desc, cc, method, opts...)
}

// cancelStream releases its context when the stream ends.
type cancelStream struct {
	grpc.ClientStream
	cancel context.CancelFunc
}

func (s *cancelStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err != nil {
		s.cancel()
	}
	return err
}

// wireDeadline applies the deadline a call carries in its metadata.
func wireDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get(deadlineKey); len(v) == 1 {
			if n, err := strconv.ParseInt(v[0], 10, 64); err == nil {
				return context.WithDeadline(ctx, time.Unix(0, n))
			}
		}
	}
	return ctx, func() {}
}

// deadlineUnary and deadlineStream are the server interceptors matching graceUnary and graceStream.
func deadlineUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	ctx, cancel := wireDeadline(ctx)
	defer cancel()
	return handler(ctx, req)
}

func deadlineStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx, cancel := wireDeadline(ss.Context())
	defer cancel()
	return handler(srv, &ctxStream{ServerStream: ss, ctx: ctx})
}

type ctxStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *ctxStream) Context() context.Context { return s.ctx }

// graceContext is ctx with a later deadline: it ends at deadline, or as soon
// as ctx is canceled (not when ctx's own deadline passes).
func graceContext(ctx context.Context, deadline time.Time) (context.Context, context.CancelFunc) {
	g, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	stop := context.AfterFunc(ctx, func() {
		if errors.Is(ctx.Err(), context.Canceled) {
			cancel()
		}
	})
	return g, func() { stop(); cancel() }
}

// ---- protocols

// ProtocolClient is the host's handle on a plugin's protocols (what
// go-plugin's Dispense(PluginProtocols) returns).
type ProtocolClient struct {
	// Name labels errors ("plugin multinode …").
	Name string
	c    pb.ProtocolClient
}

// Open returns a new client of the named protocol (one per sub-job).
func (c *ProtocolClient) Open(ctx context.Context, name string) (Protocol, error) {
	r, err := c.c.Open(ctx, &pb.ProtocolOpenRequest{Name: name})
	if err != nil {
		return nil, c.fail("open "+name, ctx, err)
	}
	return &remoteProtocol{c: c, name: name, id: r.GetInstance()}, nil
}

func (c *ProtocolClient) fail(op string, ctx context.Context, err error) error {
	out, transport := statusErr(err)
	if !transport {
		return out
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	t := &TransportError{Plugin: c.Name, Op: op, Err: err}
	return &Error{Type: Infrastructure, Msg: t.Error(), Err: t}
}

type remoteProtocol struct {
	c    *ProtocolClient
	name string
	id   uint64
}

func (p *remoteProtocol) Name() string { return p.name }

func (p *remoteProtocol) Configure(ctx context.Context, cfg ProtocolConfig) error {
	b, err := json.Marshal(cfg.Params)
	if err != nil {
		return &Error{Type: Bug, Msg: fmt.Sprintf("protocol %s: parameters: %v", p.name, err)}
	}
	_, err = p.c.c.Configure(ctx, &pb.ProtocolConfigureRequest{Instance: p.id, JobId: cfg.JobID, ParamsJson: b, Coordinator: cfg.Coordinator})
	return p.c.fail("protocol "+p.name+" configure", ctx, err)
}

func (p *remoteProtocol) Call(ctx context.Context, req map[string]any) (map[string]any, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, &Error{Type: Bug, Msg: fmt.Sprintf("protocol %s: request: %v", p.name, err)}
	}
	r, err := p.c.c.Call(ctx, &pb.ProtocolCallRequest{Instance: p.id, RequestJson: b})
	if err != nil {
		return nil, p.c.fail("protocol "+p.name+" call", ctx, err)
	}
	var out map[string]any
	if len(r.GetReplyJson()) > 0 {
		if err := json.Unmarshal(r.GetReplyJson(), &out); err != nil {
			return nil, InfraErrorf("protocol %s: bad reply: %v", p.name, err)
		}
	}
	return out, nil
}

func (p *remoteProtocol) Finalize(ctx context.Context, ok bool) error {
	_, err := p.c.c.Finalize(ctx, &pb.ProtocolFinalizeRequest{Instance: p.id, Ok: ok})
	return p.c.fail("protocol "+p.name+" finalize", ctx, err)
}

// ---- HostServices (served by the host)

type hostServices struct {
	pb.UnimplementedHostServicesServer
	c *PluginClient
}

func (s *hostServices) console(ctx context.Context, id uint64) (Console, error) {
	h, err := s.c.host(id)
	if err != nil {
		return nil, err
	}
	return h.Console(ctx)
}

func (s *hostServices) ConsoleOpen(ctx context.Context, r *pb.ConsoleOpenRequest) (*pb.Empty, error) {
	h, err := s.c.host(r.GetCallId())
	if err == nil {
		_, err = h.OpenConsole(ctx, consoleSpecFromPB(r.GetSpec()))
	}
	return &pb.Empty{}, errStatus(err)
}

func (s *hostServices) ConsoleCheck(ctx context.Context, r *pb.CallRef) (*pb.Empty, error) {
	_, err := s.console(ctx, r.GetCallId())
	return &pb.Empty{}, errStatus(err)
}

func (s *hostServices) ConsoleClose(ctx context.Context, r *pb.CallRef) (*pb.Empty, error) {
	h, err := s.c.host(r.GetCallId())
	if err == nil {
		err = h.CloseConsole(ctx)
	}
	return &pb.Empty{}, errStatus(err)
}

func (s *hostServices) ConsoleSend(ctx context.Context, r *pb.ConsoleSendRequest) (*pb.Empty, error) {
	con, err := s.console(ctx, r.GetCallId())
	if err == nil {
		if r.GetLine() {
			err = con.SendLine(ctx, string(r.GetData()))
		} else {
			err = con.SendRaw(ctx, string(r.GetData()))
		}
	}
	return &pb.Empty{}, errStatus(err)
}

func (s *hostServices) ConsoleExpect(ctx context.Context, r *pb.ExpectRequest) (*pb.ExpectResponse, error) {
	con, err := s.console(ctx, r.GetCallId())
	if err != nil {
		return nil, errStatus(err)
	}
	m, err := con.Expect(ctx, r.GetPatterns(), time.Duration(r.GetTimeoutNs()))
	if err != nil {
		// a console timeout names the action that waited
		e := errorToPB(err)
		if l, lerr := s.c.lent(r.GetCallId()); lerr == nil && e.GetTimeout() != nil && e.Timeout.Action == "" {
			e.Timeout.Action = utf8(l.action)
		}
		return nil, errStatusPB(err, e)
	}
	return matchToPB(m), nil
}

// streamChunk is the most a ConsoleRead message carries.
const streamChunk = 32 << 10

func (s *hostServices) ConsoleRead(r *pb.CallRef, stream grpc.ServerStreamingServer[pb.ConsoleChunk]) error {
	ctx := stream.Context()
	con, err := s.console(ctx, r.GetCallId())
	if err != nil {
		return errStatus(err)
	}
	st, ok := con.(Streamer)
	if !ok {
		return errStatus(InfraErrorf("the host's console (%T) cannot stream its raw output", con))
	}
	rd, err := st.Stream(ctx)
	if err != nil {
		return errStatus(err)
	}
	defer rd.Close()
	buf := make([]byte, streamChunk)
	for {
		n, err := rd.Read(buf)
		if n > 0 {
			if serr := stream.Send(&pb.ConsoleChunk{Data: buf[:n]}); serr != nil {
				return serr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return errStatus(err)
		}
	}
}

func (s *hostServices) Power(ctx context.Context, r *pb.PowerRequest) (*pb.Empty, error) {
	h, err := s.c.host(r.GetCallId())
	if err == nil {
		err = h.Power(ctx, r.GetOp())
	}
	return &pb.Empty{}, errStatus(err)
}

func (s *hostServices) Log(_ context.Context, r *pb.LogRequest) (*pb.Empty, error) {
	h, err := s.c.host(r.GetCallId())
	if err == nil {
		err = h.Log(LogLevel(r.GetLevel()), string(r.GetMessage()))
	}
	return &pb.Empty{}, errStatus(err)
}

func (s *hostServices) Result(_ context.Context, r *pb.ResultRequest) (*pb.Empty, error) {
	h, err := s.c.host(r.GetCallId())
	if err == nil {
		err = h.Result(resultFromPB(r.GetResult()))
	}
	return &pb.Empty{}, errStatus(err)
}

func (s *hostServices) GetData(_ context.Context, r *pb.GetDataRequest) (*pb.GetDataResponse, error) {
	h, err := s.c.host(r.GetCallId())
	if err != nil {
		return nil, errStatus(err)
	}
	v, ok, err := h.Get(r.GetAction(), r.GetLabel(), r.GetKey())
	if err != nil {
		return nil, errStatus(err)
	}
	return &pb.GetDataResponse{Value: []byte(v), Found: ok}, nil
}

func (s *hostServices) SetData(_ context.Context, r *pb.SetDataRequest) (*pb.Empty, error) {
	h, err := s.c.host(r.GetCallId())
	if err == nil {
		err = h.Set(r.GetAction(), r.GetLabel(), r.GetKey(), string(r.GetValue()))
	}
	return &pb.Empty{}, errStatus(err)
}

func (s *hostServices) Protocol(ctx context.Context, r *pb.ProtocolRequest) (*pb.ProtocolResponse, error) {
	h, err := s.c.host(r.GetCallId())
	if err != nil {
		return nil, errStatus(err)
	}
	var req map[string]any
	if err := json.Unmarshal(r.GetRequestJson(), &req); err != nil {
		return nil, errStatus(InfraErrorf("protocol %s: bad request: %v", r.GetName(), err))
	}
	reply, err := h.Protocol(ctx, r.GetName(), req)
	if err != nil {
		return nil, errStatus(err)
	}
	b, err := json.Marshal(reply)
	if err != nil {
		return nil, errStatus(&Error{Type: Bug, Msg: fmt.Sprintf("protocol %s: reply: %v", r.GetName(), err)})
	}
	return &pb.ProtocolResponse{ReplyJson: b}, nil
}
