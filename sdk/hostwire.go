package sdk

import (
	"context"
	"encoding/json"
	"time"

	"google.golang.org/grpc"
)

// Host service operations (plugin → host).
type hostArgs struct {
	Call     string         `json:"call"`
	Text     string         `json:"text,omitempty"`
	Patterns []string       `json:"patterns,omitempty"`
	Timeout  time.Duration  `json:"timeout,omitempty"`
	Spec     *ConsoleSpec   `json:"spec,omitempty"`
	Level    LogLevel       `json:"level,omitempty"`
	Result   *Result        `json:"result,omitempty"`
	Keys     [4]string      `json:"keys,omitempty"`
	Name     string         `json:"name,omitempty"`
	Req      map[string]any `json:"req,omitempty"`
}

type getReply struct {
	Value string `json:"value"`
	OK    bool   `json:"ok"`
}

// hostServer runs in the host: it answers a plugin's calls with the Host lent to the call.
type hostServer struct{ c *PluginClient }

func (s *hostServer) handle(ctx context.Context, op string, raw json.RawMessage) (any, error) {
	var a hostArgs
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, err
	}
	h, err := s.c.host(a.Call)
	if err != nil {
		return nil, err
	}
	switch op {
	case "console.sendline", "console.sendraw", "console.expect":
		con, err := h.Console(ctx)
		if err != nil {
			return nil, err
		}
		switch op {
		case "console.sendline":
			return nil, con.SendLine(ctx, a.Text)
		case "console.sendraw":
			return nil, con.SendRaw(ctx, a.Text)
		}
		return con.Expect(ctx, a.Patterns, a.Timeout)
	case "console.open":
		if a.Spec == nil {
			return nil, JobErrorf("console.open without a spec")
		}
		_, err := h.OpenConsole(ctx, *a.Spec)
		return nil, err
	case "console.check":
		_, err := h.Console(ctx)
		return nil, err
	case "console.close":
		return nil, h.CloseConsole(ctx)
	case "power":
		return nil, h.Power(ctx, a.Name)
	case "log":
		h.Log(a.Level, a.Text)
		return nil, nil
	case "result":
		if a.Result != nil {
			h.Result(*a.Result)
		}
		return nil, nil
	case "get":
		v, ok := h.Get(a.Keys[0], a.Keys[1], a.Keys[2])
		return getReply{v, ok}, nil
	case "set":
		h.Set(a.Keys[0], a.Keys[1], a.Keys[2], a.Keys[3])
		return nil, nil
	case "protocol":
		return h.Protocol(ctx, a.Name, a.Req)
	}
	return nil, InfraErrorf("host: unknown operation %q", op)
}

// hostClient is the Host a plugin's method receives: every call goes back to the host.
type hostClient struct {
	cc *grpc.ClientConn
	id string
}

func (h *hostClient) do(ctx context.Context, op string, a hostArgs, out any) error {
	a.Call = h.id
	return invoke(ctx, h.cc, "lavacore.Host", op, a, out)
}

func (h *hostClient) bg() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

func (h *hostClient) Console(ctx context.Context) (Console, error) {
	if err := h.do(ctx, "console.check", hostArgs{}, nil); err != nil {
		return nil, err
	}
	return &consoleClient{h}, nil
}

func (h *hostClient) OpenConsole(ctx context.Context, spec ConsoleSpec) (Console, error) {
	if err := h.do(ctx, "console.open", hostArgs{Spec: &spec}, nil); err != nil {
		return nil, err
	}
	return &consoleClient{h}, nil
}

func (h *hostClient) CloseConsole(ctx context.Context) error {
	return h.do(ctx, "console.close", hostArgs{}, nil)
}

func (h *hostClient) Power(ctx context.Context, op string) error {
	return h.do(ctx, "power", hostArgs{Name: op}, nil)
}

func (h *hostClient) Log(level LogLevel, msg string) {
	ctx, cancel := h.bg()
	defer cancel()
	_ = h.do(ctx, "log", hostArgs{Level: level, Text: msg}, nil)
}

func (h *hostClient) Result(r Result) {
	ctx, cancel := h.bg()
	defer cancel()
	_ = h.do(ctx, "result", hostArgs{Result: &r}, nil)
}

func (h *hostClient) Get(action, label, key string) (string, bool) {
	ctx, cancel := h.bg()
	defer cancel()
	var r getReply
	if err := h.do(ctx, "get", hostArgs{Keys: [4]string{action, label, key}}, &r); err != nil {
		return "", false
	}
	return r.Value, r.OK
}

func (h *hostClient) Set(action, label, key, value string) {
	ctx, cancel := h.bg()
	defer cancel()
	_ = h.do(ctx, "set", hostArgs{Keys: [4]string{action, label, key, value}}, nil)
}

func (h *hostClient) Protocol(ctx context.Context, name string, req map[string]any) (map[string]any, error) {
	var out map[string]any
	err := h.do(ctx, "protocol", hostArgs{Name: name, Req: req}, &out)
	return out, err
}

// consoleClient is the namespace's console as a plugin sees it.
type consoleClient struct{ h *hostClient }

func (c *consoleClient) SendLine(ctx context.Context, s string) error {
	return c.h.do(ctx, "console.sendline", hostArgs{Text: s}, nil)
}

func (c *consoleClient) SendRaw(ctx context.Context, s string) error {
	return c.h.do(ctx, "console.sendraw", hostArgs{Text: s}, nil)
}

func (c *consoleClient) Expect(ctx context.Context, patterns []string, timeout time.Duration) (Match, error) {
	var m Match
	err := c.h.do(ctx, "console.expect", hostArgs{Patterns: patterns, Timeout: timeout}, &m)
	return m, err
}
