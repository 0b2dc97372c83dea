// Package multinode is the lava-multinode protocol: a sub-job registers with
// its group's coordinator (embedded in the process, lavacore's over TCP, or
// Debian's lava-coordinator), waits for lava_start when its role asks for a
// delayed start, serves the test shell's and actions' lava-send / lava-wait /
// lava-wait-all / lava-sync, and clears the group when it ends — telling its
// peers when it failed, so their waits fail at once instead of timing out.
package multinode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/lavacore/lavacore/protocols/multinode/coordinator"
	"github.com/lavacore/lavacore/sdk"
)

// Name is the protocol's name in job files.
const Name = "lava-multinode"

// SystemTimeout bounds registration (group_data) and clear_group, as LAVA's.
const SystemTimeout = 90 * time.Second

// MultinodeTimeout is the error type of a protocol timeout (LAVA's MultinodeProtocolTimeoutError).
const MultinodeTimeout sdk.ErrorType = "MultinodeTimeout"

// Protocol is one sub-job's lava-multinode client.
type Protocol struct {
	coord   *coordinator.Coordinator // embedded, when no address is given
	client  coordinator.Client
	unwatch func() error

	jobID, group, role, hostname string
	size                         int
	roleTimeout                  time.Duration
	request, expectRole          string
}

// NewWith returns a protocol that uses the in-process coordinator c unless
// Configure names a coordinator address. The sub-jobs of a group run in one
// process share c; c may be nil when Configure names a coordinator address.
func NewWith(c *coordinator.Coordinator) sdk.Protocol { return &Protocol{coord: c} }

// Factory returns a protocol factory whose protocols share one new
// in-process coordinator (a plugin process's, or one lavacore run's).
func Factory() func() sdk.Protocol {
	c := coordinator.New()
	return func() sdk.Protocol { return NewWith(c) }
}

// Name implements sdk.Protocol.
func (p *Protocol) Name() string { return Name }

// maxTimeout bounds a timeout read from the job (a role's timeout, a call's
// timeout): a year, as job validation does, so that no value wraps.
const maxTimeout = 365 * 24 * time.Hour

// durationOf reads a LAVA timeout ({minutes: 5} or a number of seconds);
// a negative or non-number value counts as 0 and the total is at most maxTimeout.
func durationOf(v any) time.Duration {
	units := map[string]time.Duration{"days": 24 * time.Hour, "hours": time.Hour, "minutes": time.Minute, "seconds": time.Second}
	part := func(n any, unit time.Duration) time.Duration {
		var f float64
		switch x := n.(type) {
		case int:
			f = float64(x)
		case float64:
			f = x
		}
		if !(f > 0) {
			return 0 // negative, zero or NaN
		}
		if f*float64(unit) >= float64(maxTimeout) {
			return maxTimeout
		}
		return time.Duration(f * float64(unit))
	}
	switch t := v.(type) {
	case map[string]any:
		var d time.Duration
		for k, n := range t {
			if u, ok := units[k]; ok {
				d = min(d+part(n, u), maxTimeout)
			}
		}
		return d
	case int, float64:
		return part(t, time.Second)
	}
	return 0
}

func sval(m map[string]any, k string) string {
	if v, ok := m[k]; ok && v != nil {
		return fmt.Sprint(v)
	}
	return ""
}

// Configure registers the sub-job with its group and, for a delayed-start
// role, waits for lava_start from the expected role.
func (p *Protocol) Configure(ctx context.Context, cfg sdk.ProtocolConfig) error {
	par := cfg.Params
	p.jobID = cfg.JobID
	p.group = sval(par, "target_group")
	p.role = sval(par, "role")
	fmt.Sscan(sval(par, "group_size"), &p.size)
	p.roleTimeout = durationOf(par["timeout"])
	p.request, p.expectRole = sval(par, "request"), sval(par, "expect_role")
	p.hostname, _ = os.Hostname()
	if p.group == "" || p.role == "" || p.size < 1 {
		return named(sdk.JobErrorf("the sub-job has no target_group, role or group_size (was the job split?)"))
	}
	if p.request == "lava-start" && p.expectRole == p.role {
		return sdk.JobErrorf("protocol lava-multinode has errors: [expect_role must not match the role declaring lava_start]")
	}
	if cfg.Coordinator != "" {
		t, err := dialCoordinator(ctx, cfg.Coordinator)
		if err != nil {
			return named(sdk.InfraErrorf("%v", err))
		}
		p.client = t
		if !t.Poll {
			if p.unwatch, err = t.Watch(ctx, p.group, p.jobID); err != nil {
				return named(sdk.InfraErrorf("%v", err))
			}
		}
	} else {
		if p.coord == nil {
			return named(sdk.ConfigErrorf("no coordinator address and no in-process coordinator (use NewWith)"))
		}
		p.client = coordinator.Embedded{C: p.coord}
	}
	rctx, cancel := context.WithTimeout(ctx, SystemTimeout)
	defer cancel()
	if _, err := p.call(rctx, coordinator.Request{"request": "group_data", "group_size": p.size}); err != nil {
		return p.wrap("registering with the group", err)
	}
	if p.request == "lava-start" && p.expectRole != "" {
		d := p.roleTimeout
		if d <= 0 {
			d = SystemTimeout
		}
		sctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		if _, err := p.call(sctx, coordinator.Request{"request": "lava_wait_all", "messageID": "lava_start", "waitrole": p.expectRole}); err != nil {
			return p.wrap(fmt.Sprintf("waiting for lava_start from role %s (delayed start, up to %s)", p.expectRole, d), err)
		}
	}
	return nil
}

// dialCoordinator returns a client of the coordinator at addr
// ("HOST:PORT[?secret-file=PATH]", see coordinator.Address): lavacore's
// coordinator requires its lab secret, LAVA's takes none.
func dialCoordinator(ctx context.Context, addr string) (*coordinator.TCP, error) {
	a, err := coordinator.ParseAddress(addr)
	if err != nil {
		return nil, err
	}
	var secret []byte
	if a.SecretFile != "" {
		if secret, err = coordinator.ReadSecret(a.SecretFile); err != nil {
			return nil, err
		}
	}
	t, err := coordinator.Detect(ctx, a.Addr)
	if err != nil {
		return nil, err
	}
	if t.AuthRequired && secret == nil {
		return nil, fmt.Errorf("the coordinator at %s requires its lab secret: give lavacore run --coordinator-secret-file (the file lavacore coordinator --secret-file reads)", a.Addr)
	}
	t.Secret = secret
	return t, nil
}

func (p *Protocol) call(ctx context.Context, req coordinator.Request) (coordinator.Reply, error) {
	req["group_name"] = p.group
	req["client_name"] = p.jobID
	req["role"] = p.role
	req["hostname"] = p.hostname
	req["port"] = 3079
	req["blocksize"] = 4096
	req["poll_delay"] = 1
	return p.client.Call(ctx, req)
}

func (p *Protocol) wrap(what string, err error) error {
	var te *coordinator.TimeoutError
	if errors.As(err, &te) {
		return named(&sdk.Error{Type: MultinodeTimeout, Msg: fmt.Sprintf("%s: %v", what, err), Err: err})
	}
	var pe *coordinator.PeerError
	if errors.As(err, &pe) {
		// the peer error names the request and the message ID itself
		return named(&sdk.Error{Type: sdk.Job, Msg: err.Error(), Err: err})
	}
	return named(sdk.InfraErrorf("%s: %v", what, err))
}

// named is err as the protocol's own error ("lava-multinode: …"): the host
// does not name the protocol again (sdk.ProtocolError carries the name).
func named(err error) error { return &sdk.ProtocolError{Protocol: Name, Err: err} }

// Call handles one request from a method or the test shell:
// {"request": "lava-send"|"lava-wait"|"lava-wait-all"|"lava-sync", "messageID",
// "message", "waitrole"|"role", "timeout"}. The reply is the coordinator's
// ({"response": "ack"|"nack", "message": …}).
func (p *Protocol) Call(ctx context.Context, req map[string]any) (map[string]any, error) {
	if p.client == nil {
		return nil, named(sdk.JobErrorf("the protocol is not configured"))
	}
	if len(req) == 0 {
		return nil, sdk.JobErrorf("No data to be sent over protocol %s", Name)
	}
	request := strings.ReplaceAll(sval(req, "request"), "-", "_")
	id := sval(req, "messageID")
	switch request {
	case "lava_send", "lava_wait", "lava_wait_all", "lava_sync":
	case "aggregate":
		return nil, sdk.JobErrorf("Pipeline submission has not been implemented.")
	case "":
		return nil, sdk.JobErrorf("Bad API call over protocol - missing request")
	default:
		return nil, sdk.TestErrorf("Unsupported api call: %s", request)
	}
	if id == "" {
		return nil, sdk.JobErrorf("Missing messageID")
	}
	out := coordinator.Request{"request": request, "messageID": id}
	switch request {
	case "lava_send":
		msg, _ := req["message"].(map[string]any)
		if msg == nil {
			msg = map[string]any{}
		}
		out["message"] = msg
	case "lava_sync":
		out["message"] = nil
	case "lava_wait_all":
		if r := firstNonEmpty(sval(req, "waitrole"), sval(req, "role")); r != "" {
			out["waitrole"] = r
		}
	}
	if b, err := json.Marshal(out); err != nil {
		return nil, sdk.JobErrorf("Invalid call to %s: %v", Name, err)
	} else if len(b) > coordinator.MaxFrame {
		return nil, sdk.JobErrorf("Message was too long to send! (%s %.40s…: over %d bytes)", request, id, coordinator.MaxFrame)
	}
	d := durationOf(req["timeout"])
	if d <= 0 {
		d = p.roleTimeout
	}
	if d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	r, err := p.call(ctx, out)
	if err != nil {
		return nil, p.wrap(strings.ReplaceAll(request, "_", "-")+" "+id, err)
	}
	return r, nil
}

// Finalize tells the group this sub-job is over: on failure its peers' waits
// fail at once; then clear_group.
func (p *Protocol) Finalize(ctx context.Context, ok bool) error {
	if p.client == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, SystemTimeout)
	defer cancel()
	if !ok {
		// A LAVA coordinator nacks this: that is fine.
		_, _ = p.call(ctx, coordinator.Request{"request": "lavacore_fail", "group_size": p.size,
			"reason": "the sub-job ended Incomplete"})
	}
	_, err := p.call(ctx, coordinator.Request{"request": "clear_group", "group_size": p.size})
	if p.unwatch != nil {
		_ = p.unwatch()
		p.unwatch = nil
	}
	if err != nil {
		return p.wrap("clear_group", err)
	}
	return nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
