package pipeline

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/core/job"
	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/lavaversion"
)

// DefaultActionTimeout is LAVA's Timeout default (30 s), used when neither the
// job nor the device nor the method gives an action a timeout.
const DefaultActionTimeout = 30 * time.Second

// DefaultConnectionTimeout is LAVA's default per-expect limit.
const DefaultConnectionTimeout = 30 * time.Second

// Node is one action of the tree.
type Node struct {
	Level       string
	Name        string
	Class       string
	Description string
	Summary     string
	URL         string
	Section     sdk.Section
	Namespace   string

	// Method runs the node (nil for the built-in finalize actions).
	Method sdk.Method
	// Request is the block's request, shared by every node of the block.
	Request *sdk.Request
	// Block is the index of the block in Pipeline.Job.Actions (-1 for finalize).
	Block int

	// Retry marks LAVA's RetryAction; MaxRetries is its max_retries (1 otherwise).
	Retry      bool
	MaxRetries int
	// Repeat: the retry action runs MaxRetries times (repeat: N) instead of
	// stopping at the first success (failure_retry).
	Repeat        bool
	RetryInterval time.Duration

	Timeout           time.Duration
	ConnectionTimeout time.Duration
	// TimeoutError is the error type of this node's own timeout.
	TimeoutError sdk.ErrorType
	// SkipTimeout is the block timeout's `skip: true`.
	SkipTimeout bool

	Parent   *Node
	Children []*Node
}

// Pipeline is a (sub-)job's action tree, finalize included.
type Pipeline struct {
	Job        *job.Job
	Device     *device.Device
	Dispatcher sdk.Dispatcher
	// JobTimeout is the job's `timeouts.job`.
	JobTimeout time.Duration
	// Actions are the top-level nodes; the last is finalize.
	Actions []*Node
	// Info is the job as methods see it (shared by every Request).
	Info sdk.JobInfo

	requests []*sdk.Request
	// Grace is how long Run waits for a method that ignores its deadline
	// before it gives up on it (default 5 s).
	Grace time.Duration
	// Sleep replaces the pause between retries (tests).
	Sleep func(d time.Duration)
}

// SetJobID sets the job id every method request carries (the runner knows it,
// Build does not).
func (p *Pipeline) SetJobID(id string) {
	p.Info.ID = id
	for _, r := range p.requests {
		r.Job.ID = id
	}
}

// SetDUTEnvironment sets the DUT environment (lava-run --env-dut) every
// method request carries; the overlay writes it to its secrets file.
func (p *Pipeline) SetDUTEnvironment(env map[string]string) {
	p.Info.DUTEnvironment = env
	for _, r := range p.requests {
		r.Job.DUTEnvironment = env
	}
}

// Walk calls fn for every node, depth first, parents before children.
func (p *Pipeline) Walk(fn func(n *Node) bool) {
	var walk func(ns []*Node) bool
	walk = func(ns []*Node) bool {
		for _, n := range ns {
			if !fn(n) || !walk(n.Children) {
				return false
			}
		}
		return true
	}
	walk(p.Actions)
}

// Find returns the first node with the given level ("1.1.5"), or nil.
func (p *Pipeline) Find(level string) *Node {
	var found *Node
	p.Walk(func(n *Node) bool {
		if n.Level == level {
			found = n
			return false
		}
		return true
	})
	return found
}

// SectionWord is how LAVA names a section's strategies in its selection error.
func sectionWords(s sdk.Section) (string, string) {
	switch s {
	case sdk.SectionDeploy:
		return "deployment", "deployment"
	case sdk.SectionBoot:
		return "boot", "boot"
	case sdk.SectionTest:
		return "test", "test"
	case sdk.SectionCommand:
		return "command", "command"
	}
	return string(s), string(s)
}

// SDKBlock converts a job block to the block a method sees.
func SDKBlock(b *job.ActionBlock) sdk.Block {
	ns := b.Namespace
	if ns == "" {
		ns = "common"
	}
	return sdk.Block{Section: sdk.Section(b.Section), Method: b.Method, Index: b.Index, Namespace: ns, Params: b.Params, Order: KeyOrder(b.Node)}
}

// JobInfo converts a (sub-)job to what methods see of it.
func JobInfo(j *job.Job) sdk.JobInfo {
	info := sdk.JobInfo{
		Name:        j.Name,
		Role:        j.Role,
		SubID:       j.SubID,
		GroupSize:   j.GroupSize,
		TargetGroup: j.TargetGroup,
		Context:     j.Context,
		Secrets:     j.Secrets,
		Protocols:   j.Protocols,
	}
	info.Blocks = make([]sdk.Block, len(j.Actions))
	for i := range j.Actions {
		info.Blocks[i] = SDKBlock(&j.Actions[i])
		info.Blocks[i].Index = i
	}
	return info
}

// Select picks the method for a block as LAVA's strategies do: every method
// of the section is asked; the accepting one with the highest priority (the
// first registered among equals) wins. Methods implementing Prioritised may
// say their priority; others have 0.
func Select(reg Registry, req sdk.Request) (sdk.Method, error) {
	section := req.Block.Section
	var willing []sdk.Method
	type reply struct{ name, reason string }
	var replies []reply
	seen := map[string]bool{}
	candidates := reg.Methods(section, req.Block.Method)
	if section == sdk.SectionCommand {
		// A command block's name is a device command, not a method: every
		// command method is asked (those registered under the name first).
		for _, m := range reg.All() {
			if info := m.Info(); info.Section == section && info.Name != req.Block.Method {
				candidates = append(candidates, m)
			}
		}
	}
	for _, m := range candidates {
		seen[m.Info().Name] = true
		ok, why := m.Accepts(req)
		if ok {
			willing = append(willing, m)
			continue
		}
		replies = append(replies, reply{m.Info().Name, why})
	}
	for _, m := range reg.All() {
		info := m.Info()
		if info.Section != section || seen[info.Name] {
			continue
		}
		seen[info.Name] = true
		replies = append(replies, reply{info.Name, notMethodReason(section, info.Name)})
	}
	if len(willing) == 0 {
		word, params := sectionWords(section)
		var b strings.Builder
		sort.SliceStable(replies, func(i, j int) bool { return replies[i].name < replies[j].name })
		for _, r := range replies {
			fmt.Fprintf(&b, "%s: %s\n", r.name, r.reason)
		}
		if len(replies) == 0 {
			fmt.Fprintf(&b, "%s: no method is registered for %s %q\n", req.Block.Method, section, req.Block.Method)
		}
		return nil, sdk.JobErrorf("None of the %s strategies accepted your %s parameters, reasons given:\n%s", word, params, b.String())
	}
	sort.SliceStable(willing, func(i, j int) bool { return priority(willing[i]) > priority(willing[j]) })
	return willing[0], nil
}

// Prioritised is implemented by methods that compete for the same block.
type Prioritised interface{ Priority() int }

func priority(m sdk.Method) int {
	if p, ok := m.(Prioritised); ok {
		return p.Priority()
	}
	return 0
}

func notMethodReason(s sdk.Section, name string) string {
	switch s {
	case sdk.SectionDeploy:
		return fmt.Sprintf("\"to\" parameter is not %q", name)
	case sdk.SectionBoot:
		return fmt.Sprintf("\"method\" was not %q", name)
	}
	return fmt.Sprintf("%q not in parameters", name)
}

// Build builds the action tree of a (sub-)job on a device: one top-level
// action per job block (chosen from reg), numbered, with LAVA's timeouts and
// retries, followed by finalize.
func Build(j *job.Job, dev *device.Device, reg Registry, disp sdk.Dispatcher) (*Pipeline, error) {
	if j == nil || dev == nil || reg == nil {
		return nil, sdk.JobErrorf("pipeline: a job, a device and a registry are needed")
	}
	version, err := lavaversion.Parse(disp.LavaVersion)
	if err != nil {
		return nil, &sdk.Error{Type: sdk.Configuration, Msg: "lava_version: " + err.Error(), Err: err}
	}
	p := &Pipeline{Job: j, Device: dev, Dispatcher: disp, Info: JobInfo(j)}
	p.JobTimeout = 0
	if j.Timeouts.Job != nil {
		p.JobTimeout = j.Timeouts.Job.Duration
	}
	var errs []error
	for i := range j.Actions {
		b := &j.Actions[i]
		sb := p.Info.Blocks[i]
		key := sb.Section
		req := &sdk.Request{Job: p.Info, Block: sb, Device: dev.SDK(string(key) + "/" + sb.Method), Dispatcher: disp}
		p.requests = append(p.requests, req)
		m, err := Select(reg, *req)
		if err != nil {
			errs = append(errs, blockErr(b, err))
			continue
		}
		spec, err := m.Describe(*req)
		if err == nil {
			// the tree of the LAVA release the dispatcher follows
			spec = lavaversion.Apply(version, spec)
			err = checkSpec(spec, m.Info().Key())
		}
		if err != nil {
			errs = append(errs, blockErr(b, err))
			continue
		}
		n := p.newNode(spec, nil, len(p.Actions)+1, b, i, m, req)
		p.Actions = append(p.Actions, n)
	}
	if len(errs) == 1 {
		return nil, errs[0]
	}
	if len(errs) > 1 {
		return nil, &sdk.Error{Type: sdk.TypeOf(errs[0]), Msg: errors.Join(errs...).Error(), Err: errors.Join(errs...)}
	}
	p.Actions = append(p.Actions, p.newNode(FinalizeSpec(), nil, len(p.Actions)+1, nil, -1, newFinalize(len(dev.Power.Off) > 0), &sdk.Request{Job: p.Info, Block: sdk.Block{Namespace: "common", Index: -1}, Device: dev.SDK(""), Dispatcher: disp}))
	return p, nil
}

func blockErr(b *job.ActionBlock, err error) error {
	if b.Pos.File == "" {
		return err
	}
	msg := fmt.Sprintf("%s:%d:%d: actions[%d].%s.%s: %s", b.Pos.File, b.Pos.Line, b.Pos.Column, b.Index, b.Section, b.Method, err.Error())
	return &sdk.Error{Type: sdk.TypeOf(err), Msg: msg, Err: err}
}

// newNode turns a spec into a node at position pos (1-based) under parent.
func (p *Pipeline) newNode(spec sdk.ActionSpec, parent *Node, pos int, b *job.ActionBlock, bi int, m sdk.Method, req *sdk.Request) *Node {
	n := &Node{
		Name: spec.Name, Class: spec.Class, Description: spec.Description, Summary: spec.Summary, URL: spec.URL,
		Method: m, Request: req, Block: bi, Parent: parent, Retry: spec.Retry, MaxRetries: 1,
		RetryInterval: time.Second, TimeoutError: spec.TimeoutError,
		Namespace: req.Block.Namespace, Section: req.Block.Section,
	}
	if parent == nil {
		n.Level = strconv.Itoa(pos)
	} else {
		n.Level = parent.Level + "." + strconv.Itoa(pos)
	}
	if n.TimeoutError == "" {
		n.TimeoutError = sdk.Job
		if n.Section == sdk.SectionTest {
			n.TimeoutError = sdk.Test
		}
	}
	if b != nil && b.Timeout != nil {
		n.SkipTimeout = b.Timeout.Skip
	}
	if n.Retry {
		p.retries(n, b)
	}
	n.Timeout = p.actionTimeout(n, spec, b)
	n.ConnectionTimeout = p.connectionTimeout(n.Name)
	for i, c := range spec.Children {
		n.Children = append(n.Children, p.newNode(c, n, i+1, b, bi, m, req))
	}
	return n
}

// retries sets max_retries as LAVA's RetryAction does: the block's repeat or
// failure_retry (inherited by nested retry actions), else the device constant
// boot_retry (boot sections) or failure_retry, else 1.
func (p *Pipeline) retries(n *Node, b *job.ActionBlock) {
	n.MaxRetries = 1
	if v, ok := constInt(p.Device, "failure_retry"); ok && v > 0 {
		n.MaxRetries = v
	}
	if n.Section == sdk.SectionBoot {
		if v, ok := constInt(p.Device, "boot_retry"); ok && v > 0 {
			n.MaxRetries = v
		}
	}
	if b == nil {
		return
	}
	if b.FailureRetryInterval > 0 {
		n.RetryInterval = b.FailureRetryInterval
	}
	switch {
	case b.Repeat > 0:
		n.MaxRetries, n.Repeat = b.Repeat, true
	case b.FailureRetry > 0:
		n.MaxRetries = b.FailureRetry
	}
}

func constInt(d *device.Device, name string) (int, bool) {
	v, ok := d.Constant(name)
	if !ok || v == nil {
		return 0, false
	}
	switch x := v.(type) {
	case float64:
		return int(x), true
	case int:
		return x, true
	case string:
		i, err := strconv.Atoi(strings.TrimSpace(x))
		return i, err == nil
	}
	return 0, false
}

// actionTimeout is LAVA's six-step precedence (reference §2.4); each step
// overrides the previous one when it is set.
func (p *Pipeline) actionTimeout(n *Node, spec sdk.ActionSpec, b *job.ActionBlock) time.Duration {
	t := DefaultActionTimeout
	if spec.Timeout > 0 {
		t = spec.Timeout
	}
	jt := p.Job.Timeouts
	if jt.Action != nil && jt.Action.Duration > 0 { // 1
		t = jt.Action.Duration
	}
	if d, ok := p.Device.ActionTimeouts[n.Name]; ok && d > 0 { // 2
		t = d
	}
	// 3; LAVA's parser gives a command block its parameters after adding
	// its action, so the block's timeout counts only while the action still
	// has the default one (refs db410c.yaml, kvm-command.yaml)
	if b != nil && b.Timeout != nil && b.Timeout.Duration > 0 && (b.Section != "command" || t == DefaultActionTimeout) {
		t = b.Timeout.Duration
	}
	if par := n.Parent; par != nil && par.Retry && par.MaxRetries > 1 { // 4
		secs := int64(par.Timeout/time.Second) / int64(par.MaxRetries)
		t = time.Duration(secs) * time.Second
	}
	if d, ok := jt.Actions[n.Name]; ok && d.Duration > 0 { // 5
		t = d.Duration
	}
	if b != nil {
		if d, ok := b.Timeouts[n.Name]; ok && d.Duration > 0 { // 6
			t = d.Duration
		}
	}
	return t
}

// connectionTimeout: job `timeouts.connection`, then device
// `timeouts.connections[name]`, then job `timeouts.connections[name]`.
func (p *Pipeline) connectionTimeout(name string) time.Duration {
	t := DefaultConnectionTimeout
	jt := p.Job.Timeouts
	if jt.Connection != nil && jt.Connection.Duration > 0 {
		t = jt.Connection.Duration
	}
	if d, ok := p.Device.ConnectionTimeouts[name]; ok && d > 0 {
		t = d
	}
	if d, ok := jt.Connections[name]; ok && d.Duration > 0 {
		t = d.Duration
	}
	return t
}

// checkSpec rejects declarations LAVA's Action.validate would: every action
// needs a kebab-case name (the key of timeout overrides and result cases).
func checkSpec(s sdk.ActionSpec, method string) error {
	if s.Name == "" || strings.ContainsAny(s.Name, " _\t") {
		return &sdk.Error{Type: sdk.Bug, Msg: fmt.Sprintf("method %s declares an action named %q: names are kebab-case, without spaces or underscores", method, s.Name)}
	}
	for _, c := range s.Children {
		if err := checkSpec(c, method); err != nil {
			return err
		}
	}
	return nil
}
