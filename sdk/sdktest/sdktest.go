// Package sdktest runs a plugin's methods in-process over go-plugin's test
// gRPC connection, against a fake Host with a scripted console, so a plugin's
// own tests need no device and no plugin binary.
package sdktest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/lavacore/lavacore/sdk"
)

// Serve serves methods over an in-memory go-plugin gRPC connection and
// returns them as the host sees them (every call crosses the wire, and the
// Host a method receives is served back through the brokered HostServices).
func Serve(t testing.TB, methods ...sdk.Method) []sdk.Method {
	t.Helper()
	pc, _ := ServeConfig(t, sdk.ServeConfig{Name: "sdktest", Version: "0.0.0", Methods: methods})
	ms, err := pc.Methods(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// ServeConfig serves a whole plugin configuration in-process and returns the
// host's clients of its methods and protocols. Everything is closed when the
// test ends.
func ServeConfig(t testing.TB, cfg sdk.ServeConfig) (*sdk.PluginClient, *sdk.ProtocolClient) {
	t.Helper()
	client, server := goplugin.TestPluginGRPCConn(t, false, sdk.PluginSet(cfg))
	// The server stops first: the client's Close asks a running server to
	// stop itself (go-plugin's controller Shutdown), which would race with
	// our own Stop (both write the server's broker: go test -race).
	t.Cleanup(func() { server.Stop(); client.Close() })
	// the host side's set: Dispense finds the client half of each plugin there
	client.Plugins = sdk.ClientPluginSet()
	raw, err := client.Dispense(sdk.PluginMethods)
	if err != nil {
		t.Fatal(err)
	}
	pc := raw.(*sdk.PluginClient)
	pc.Name = cfg.Name
	if err := pc.Configure(context.Background()); err != nil {
		t.Fatal(err)
	}
	raw, err = client.Dispense(sdk.PluginProtocols)
	if err != nil {
		t.Fatal(err)
	}
	prc := raw.(*sdk.ProtocolClient)
	prc.Name = cfg.Name
	return pc, prc
}

// Step is one exchange of a scripted console: when the method sends a line
// matching Expect (a regexp; "" matches anything), the console prints Reply.
type Step struct {
	Expect string
	Reply  string
}

// Host is a fake sdk.Host: it records logs, results and namespace data, and
// its console plays a script.
type Host struct {
	mu       sync.Mutex
	Logs     []string
	Results  []sdk.Result
	Data     map[string]string
	Sent     []string
	PowerOps []string
	// ProtocolFunc answers Protocol calls (nil: every call is acknowledged).
	ProtocolFunc func(ctx context.Context, name string, req map[string]any) (map[string]any, error)
	// Fail, when set, is asked before each Log, Result, Get and Set ("log",
	// "result", "get", "set"): a non-nil error is that call's failure (a
	// host that cannot write its log, …), which the method receives.
	Fail   func(call string) error
	script []Step
	output strings.Builder
}

// NewHost returns a Host whose console starts by printing banner and then
// follows script.
func NewHost(banner string, script ...Step) *Host {
	h := &Host{Data: map[string]string{}, script: script}
	h.output.WriteString(banner)
	return h
}

func (h *Host) Console(context.Context) (sdk.Console, error) { return (*console)(h), nil }
func (h *Host) OpenConsole(context.Context, sdk.ConsoleSpec) (sdk.Console, error) {
	return (*console)(h), nil
}
func (h *Host) CloseConsole(context.Context) error { return nil }

// Power records a power operation.
func (h *Host) Power(_ context.Context, op string) error {
	h.mu.Lock()
	h.PowerOps = append(h.PowerOps, op)
	h.mu.Unlock()
	return nil
}

// Log records a log line ("level: message"), or returns Fail("log") if set.
func (h *Host) Log(l sdk.LogLevel, m string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.fail("log"); err != nil {
		return err
	}
	h.Logs = append(h.Logs, string(l)+": "+m)
	return nil
}

// Result records a result, or returns Fail("result") if set.
func (h *Host) Result(r sdk.Result) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.fail("result"); err != nil {
		return err
	}
	h.Results = append(h.Results, r)
	return nil
}

// Get reads Data["action/label/key"], or returns Fail("get") if set.
func (h *Host) Get(a, l, k string) (string, bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.fail("get"); err != nil {
		return "", false, err
	}
	v, ok := h.Data[a+"/"+l+"/"+k]
	return v, ok, nil
}

// Set writes Data["action/label/key"]; a value that is not JSON is a Bug
// error, as on lavacore's host; Fail("set"), if set, is returned instead.
func (h *Host) Set(a, l, k, v string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.fail("set"); err != nil {
		return err
	}
	if !json.Valid([]byte(v)) {
		return &sdk.Error{Type: sdk.Bug, Msg: fmt.Sprintf("namespace data %s/%s/%s: the value is not JSON: %.80q", a, l, k, v)}
	}
	h.Data[a+"/"+l+"/"+k] = v
	return nil
}

func (h *Host) fail(call string) error {
	if h.Fail == nil {
		return nil
	}
	return h.Fail(call)
}

// Protocol calls ProtocolFunc, or answers {"response": "ack"}.
func (h *Host) Protocol(ctx context.Context, name string, req map[string]any) (map[string]any, error) {
	if h.ProtocolFunc != nil {
		return h.ProtocolFunc(ctx, name, req)
	}
	return map[string]any{"response": "ack"}, nil
}

// console is the scripted console.
type console Host

func (c *console) SendLine(_ context.Context, s string) error {
	h := (*Host)(c)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.Sent = append(h.Sent, s)
	if len(h.script) > 0 {
		st := h.script[0]
		if st.Expect == "" || regexp.MustCompile(st.Expect).MatchString(s) {
			h.output.WriteString(st.Reply)
			h.script = h.script[1:]
		}
	}
	return nil
}

func (c *console) SendRaw(ctx context.Context, s string) error { return c.SendLine(ctx, s) }

// Expect finds the earliest match in what the console printed (ties: the
// first pattern) and consumes the output up to its end. No match is a
// timeout (*sdk.TimeoutError) quoting the output's last lines.
func (c *console) Expect(ctx context.Context, patterns []string, timeout time.Duration) (sdk.Match, error) {
	h := (*Host)(c)
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.output.String()
	best, bestAt := -1, -1
	var loc []int
	for i, p := range patterns {
		re, err := regexp.Compile(p)
		if err != nil {
			return sdk.Match{}, sdk.TestErrorf("bad pattern %q: %v", p, err)
		}
		if l := re.FindStringSubmatchIndex(out); l != nil && (bestAt < 0 || l[0] < bestAt) {
			best, bestAt, loc = i, l[0], l
		}
	}
	if best < 0 {
		// a scripted console prints only when spoken to: what is not there
		// now never comes, so the wait times out at once, as the host's
		// console would at its timeout (an *sdk.TimeoutError in a Job error)
		te := &sdk.TimeoutError{Patterns: append([]string(nil), patterns...), Wait: timeout, LastLines: lastLines(out, 20)}
		return sdk.Match{}, &sdk.Error{Type: sdk.Job, Msg: te.Error(), Err: te}
	}
	m := sdk.Match{Index: best, Before: out[:loc[0]], Text: out[loc[0]:loc[1]]}
	for i := 2; i+1 < len(loc); i += 2 {
		if loc[i] >= 0 {
			m.Groups = append(m.Groups, out[loc[i]:loc[i+1]])
		} else {
			m.Groups = append(m.Groups, "")
		}
	}
	h.output.Reset()
	h.output.WriteString(out[loc[1]:])
	return m, nil
}

// lastLines is the last n non-empty lines of s.
func lastLines(s string, n int) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimRight(l, "\r"); l != "" {
			out = append(out, l)
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return out
}

// Stream implements sdk.Streamer: what the console printed and nobody
// consumed yet, then io.EOF (a scripted console prints only when spoken to).
func (c *console) Stream(ctx context.Context) (io.ReadCloser, error) {
	h := (*Host)(c)
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.output.String()
	h.output.Reset()
	return io.NopCloser(strings.NewReader(out)), nil
}

// Output is what the console printed that no Expect has consumed.
func (h *Host) Output() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.output.String()
}

// Print makes the console print s (as if the device wrote it).
func (h *Host) Print(s string) {
	h.mu.Lock()
	h.output.WriteString(s)
	h.mu.Unlock()
}
