package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/lavacore/lavacore/sdk"
)

// OpenedConsole is a console the runner owns, and how to close it.
type OpenedConsole interface {
	sdk.Console
	io.Closer
}

// ConsoleOpener opens a device console for a namespace.
type ConsoleOpener func(ctx context.Context, ns string, spec sdk.ConsoleSpec) (OpenedConsole, error)

// PowerRunner runs a device power command ("power_on", "power_off", "hard_reset").
type PowerRunner func(ctx context.Context, op string) error

// Logger is where a sub-job's log records go. Err is the first write the
// log failed (it then drops every record).
type Logger interface {
	Add(lvl string, msg any)
	Err() error
}

// subjobHost holds what a sub-job's actions share: consoles by namespace,
// namespace data, protocols. A Host (per call) is a view of it for one namespace.
type subjobHost struct {
	mu        sync.Mutex
	consoles  map[string]OpenedConsole
	open      ConsoleOpener
	power     PowerRunner
	log       Logger
	result    func(ns string, r sdk.Result)
	data      NSData
	protocols map[string]sdk.Protocol
}

func newSubjobHost(open ConsoleOpener, power PowerRunner, log Logger, result func(ns string, r sdk.Result), protocols map[string]sdk.Protocol) *subjobHost {
	return &subjobHost{consoles: map[string]OpenedConsole{}, open: open, power: power, log: log, result: result, protocols: protocols}
}

// closeAll closes every console (finalize, cleanup).
func (s *subjobHost) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ns, c := range s.consoles {
		_ = c.Close()
		delete(s.consoles, ns)
	}
}

// view returns the sdk.Host of namespace ns.
func (s *subjobHost) view(ns string) sdk.Host { return &nsHost{s: s, ns: ns} }

type nsHost struct {
	s  *subjobHost
	ns string
}

func (h *nsHost) Console(ctx context.Context) (sdk.Console, error) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	c, ok := h.s.consoles[h.ns]
	if !ok {
		return nil, sdk.JobErrorf("No connection to the DUT (namespace %q has no open console)", h.ns)
	}
	return c, nil
}

func (h *nsHost) OpenConsole(ctx context.Context, spec sdk.ConsoleSpec) (sdk.Console, error) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	if c, ok := h.s.consoles[h.ns]; ok {
		return c, nil
	}
	if h.s.open == nil {
		return nil, sdk.ConfigErrorf("no console support configured")
	}
	c, err := h.s.open(ctx, h.ns, spec)
	if err != nil {
		return nil, err
	}
	h.s.consoles[h.ns] = c
	return c, nil
}

func (h *nsHost) CloseConsole(ctx context.Context) error {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	c, ok := h.s.consoles[h.ns]
	if !ok {
		return nil
	}
	delete(h.s.consoles, h.ns)
	return c.Close()
}

func (h *nsHost) Power(ctx context.Context, op string) error {
	if h.s.power == nil {
		return sdk.ConfigErrorf("device has no power control")
	}
	return h.s.power(ctx, op)
}

// Log writes the record; an error is a job log that cannot be written.
func (h *nsHost) Log(level sdk.LogLevel, msg string) error {
	h.s.log.Add(string(level), msg)
	return h.logErr()
}

// Result records the result; an error is a job log that cannot be written
// (results are logged as they come).
func (h *nsHost) Result(r sdk.Result) error {
	h.s.result(h.ns, r)
	return h.logErr()
}

func (h *nsHost) logErr() error {
	if err := h.s.log.Err(); err != nil {
		return &sdk.Error{Type: sdk.Infrastructure, Msg: "job log: " + err.Error(), Err: err}
	}
	return nil
}

func (h *nsHost) Get(action, label, key string) (string, bool, error) {
	v, ok := h.s.data.Get(h.ns, action, label, key)
	return v, ok, nil
}

// Set writes the value, which must be JSON (what Get's readers decode).
func (h *nsHost) Set(action, label, key, value string) error {
	if !json.Valid([]byte(value)) {
		return &sdk.Error{Type: sdk.Bug, Msg: fmt.Sprintf("namespace data %s/%s/%s: the value is not JSON: %.80q", action, label, key, value)}
	}
	h.s.data.Set(h.ns, action, label, key, value)
	return nil
}

func (h *nsHost) Protocol(ctx context.Context, name string, req map[string]any) (map[string]any, error) {
	p, ok := h.s.protocols[name]
	if !ok {
		return nil, sdk.JobErrorf("protocol %q is not configured for this job", name)
	}
	call := protoCall(req)
	if call != "" {
		h.s.log.Add("debug", protoRequestMsg(name, call))
	}
	resp, err := p.Call(ctx, req)
	if call != "" {
		h.s.log.Add("debug", protoReplyMsg(name, call, resp, err))
	}
	if err != nil {
		var pe *sdk.ProtocolError
		if errors.As(err, &pe) && pe.Protocol == name {
			return nil, err // the protocol named itself
		}
		return nil, &sdk.ProtocolError{Protocol: name, Err: err}
	}
	return resp, nil
}
