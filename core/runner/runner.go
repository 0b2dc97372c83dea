// Package runner runs a LAVA job: every sub-job of a MultiNode group at once
// (each with its own output directory, log and results), one pipeline per
// sub-job, protocols configured before and finalized after, and a group summary.
package runner

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/core/console"
	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/core/job"
	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/core/report"
	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/safejoin"
)

// ProtocolFactory returns a fresh client of the named protocol for one sub-job.
type ProtocolFactory func(name string) (sdk.Protocol, error)

// Options say what to run and where.
type Options struct {
	Job       *job.Job // a loaded, valid job
	Lab       *device.Lab
	OutputDir string // the job's output directory; sub-jobs get <role>-<sub_id>/ below it
	JobID     string // numeric base id; sub-job i of a group gets base+i
	Role      string // run only this role ("" all)
	SubID     int    // with Role: run only this sub_id (-1 all of the role)
	Device    string // pin the (single) device sub-job to this device
	// Coordinator is host:port of a coordinator for groups that span machines ("" embedded).
	Coordinator string
	Registry    pipeline.Registry
	Protocols   ProtocolFactory
	// Terminal output (nil: none); JSON prints NDJSON records instead of
	// text. Progress is how text is drawn: "auto" (""), "plain" or "tty"
	// (report.DetectMode).
	Stdout   io.Writer
	JSON     bool
	Progress string
	Console  bool // also show console lines on the terminal
	Debug    bool
	// Sinks also receive every record of every sub-job's log (lava-run's
	// stream to the server).
	Sinks []report.Sink
	// KeepOverlay keeps the overlay tarballs and trees (which hold the job's
	// secrets) in each sub-job's work directory after the run.
	KeepOverlay bool
	// KeepWork keeps each sub-job's work directory (downloads, overlays
	// with KeepOverlay) after the run; by default it is removed.
	KeepWork bool
	// DUTEnvironment is the worker's DUT environment (lava-run --env-dut),
	// given to every method; the overlay appends it to its secrets file.
	DUTEnvironment map[string]string
}

// SubOutcome is how one sub-job ended.
type SubOutcome struct {
	Role   string  `yaml:"role,omitempty"`
	SubID  int     `yaml:"sub_id"`
	JobID  string  `yaml:"job_id"`
	Device string  `yaml:"device,omitempty"`
	Dir    string  `yaml:"output_dir"`
	Health string  `yaml:"health"` // Complete, Incomplete, Canceled
	Error  string  `yaml:"error,omitempty"`
	Type   string  `yaml:"error_type,omitempty"`
	Took   string  `yaml:"duration"`
	Timing *Timing `yaml:"timing,omitempty"`
}

// Outcome is how the whole job (group) ended.
type Outcome struct {
	Job     string       `yaml:"job_name"`
	Health  string       `yaml:"health"`
	SubJobs []SubOutcome `yaml:"sub_jobs"`
}

// OK reports whether every sub-job completed.
func (o *Outcome) OK() bool { return o.Health == "Complete" }

// DefaultJobID returns a numeric job id from the clock (unique per second).
func DefaultJobID() string { return strconv.FormatInt(time.Now().Unix()%1_000_000_000, 10) }

var slugRE = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// maxSlug bounds a directory name made by Slug.
const maxSlug = 100

// Slug makes a job (or role) name a directory name: letters, digits, ".", "_"
// and "-", every other run of characters a "-", no leading or trailing "." or
// "-" (so never "." or ".."), at most 100 bytes, "job" when nothing is left.
// The job keeps its own name in its results; only its directory is sanitised.
func Slug(s string) string {
	s = strings.Trim(slugRE.ReplaceAllString(s, "-"), "-.")
	if len(s) > maxSlug {
		s = strings.Trim(s[:maxSlug], "-.")
	}
	if s == "" {
		return "job"
	}
	return s
}

// Run runs the job. The returned error is about the run itself (bad options, a
// lab that cannot hold the job); how the job went is in the Outcome.
func Run(ctx context.Context, o Options) (*Outcome, error) {
	if o.Job == nil || o.Lab == nil || o.Registry == nil {
		return nil, fmt.Errorf("runner: job, lab and registry are required")
	}
	view, stopView, err := startView(ctx, o)
	if err != nil {
		return nil, err
	}
	defer stopView()
	explicitID := o.JobID != ""
	if o.JobID == "" {
		o.JobID = DefaultJobID()
	}
	base, err := strconv.Atoi(o.JobID)
	if err != nil {
		return nil, fmt.Errorf("runner: job id %q must be a number (LAVA job ids are)", o.JobID)
	}
	subs, err := job.Split(o.Job)
	if err != nil {
		return nil, fmt.Errorf("split %s: %w", o.Job.File, err)
	}
	var roles map[string]*job.Role
	if o.Job.MultiNode != nil {
		roles = o.Job.MultiNode.Roles
	}
	assigned, err := pipeline.AssignDevices(subs, roles, o.Lab, o.Device)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.OutputDir, 0o755); err != nil {
		return nil, fmt.Errorf("output dir: %w", err)
	}
	multi := len(assigned) > 1 || o.Job.MultiNode != nil
	type planned struct {
		sj  pipeline.SubJob
		id  string
		dir string
	}
	var plan []planned
	for i, sj := range assigned {
		if o.Role != "" && (sj.Job.Role != o.Role || (o.SubID >= 0 && sj.Job.SubID != o.SubID)) {
			continue
		}
		dir := o.OutputDir
		if multi {
			d, err := safejoin.Join(o.OutputDir, fmt.Sprintf("%s-%d", Slug(sj.Job.Role), sj.Job.SubID))
			if err != nil {
				return nil, fmt.Errorf("output dir of role %q: %w", sj.Job.Role, err)
			}
			dir = d
		}
		plan = append(plan, planned{sj: sj, id: strconv.Itoa(base + i), dir: dir})
	}
	if len(plan) == 0 {
		return nil, fmt.Errorf("no sub-job matches --role %q --sub-id %d", o.Role, o.SubID)
	}
	if o.Job.MultiNode != nil && o.Coordinator != "" {
		// Sub-jobs run by separate lavacore processes must agree on the group:
		// with --coordinator, it is named after the (shared) --job-id.
		if !explicitID {
			return nil, fmt.Errorf("runner: --coordinator needs --job-id, the same for every process of the group")
		}
		for _, sj := range assigned {
			if mn, ok := sj.Job.Protocols["lava-multinode"].(map[string]any); ok {
				mn["target_group"] = "lavacore-" + o.JobID
			}
			sj.Job.TargetGroup = "lavacore-" + o.JobID
		}
	}
	if o.Job.MultiNode != nil {
		// LAVA's scheduler writes roles: {<job id>: <role>} for the sub-jobs
		// that have a device (guests with a connection are left out).
		ids := map[string]any{}
		for i, sj := range assigned {
			if r := roles[sj.Job.Role]; r != nil && r.Connection != "" {
				continue
			}
			ids[strconv.Itoa(base+i)] = sj.Job.Role
		}
		for _, sj := range assigned {
			if mn, ok := sj.Job.Protocols["lava-multinode"].(map[string]any); ok {
				cp := make(map[string]any, len(mn))
				for k, v := range mn {
					cp[k] = v
				}
				cp["roles"] = ids
				sj.Job.Protocols = copyProtocols(sj.Job.Protocols)
				sj.Job.Protocols["lava-multinode"] = cp
			}
		}
	}
	out := &Outcome{Job: o.Job.Name, SubJobs: make([]SubOutcome, len(plan))}
	var wg sync.WaitGroup
	for i, p := range plan {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out.SubJobs[i] = runSubjob(ctx, o, view, p.sj, p.id, p.dir, multi)
		}()
	}
	wg.Wait()
	out.Health = "Complete"
	for _, s := range out.SubJobs {
		if s.Health != "Complete" {
			out.Health = s.Health
			if s.Health == "Incomplete" {
				break
			}
		}
	}
	if err := writeYAML(filepath.Join(o.OutputDir, "summary.yaml"), out); err != nil {
		return out, err
	}
	return out, nil
}

func copyProtocols(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func writeYAML(path string, v any) error {
	b, err := yaml.Marshal(v)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// runSubjob runs one sub-job to its end and writes its output directory,
// whatever happens.
func runSubjob(ctx context.Context, o Options, view *report.View, sj pipeline.SubJob, id, dir string, multi bool) (so SubOutcome) {
	start := time.Now()
	so = SubOutcome{Role: sj.Job.Role, SubID: sj.Job.SubID, JobID: id, Dir: dir}
	if sj.Device != nil {
		so.Device = sj.Device.Name
	}
	fail := func(err error) SubOutcome {
		so.Health, so.Error, so.Type = health(err), err.Error(), string(sdk.TypeOf(err))
		so.Took = time.Since(start).Round(time.Millisecond).String()
		return so
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(sdk.InfraErrorf("output dir: %v", err))
	}
	prefix := ""
	if multi {
		prefix = fmt.Sprintf("[%s.%d] ", sj.Job.Role, sj.Job.SubID)
	}
	sinks := append([]report.Sink(nil), o.Sinks...)
	var sub *report.SubView // nil: no view
	if view != nil {
		sub = view.SubJob(report.SubJob{Role: sj.Job.Role, SubID: sj.Job.SubID, JobID: id, Prefix: prefix})
		defer sub.Done()
		sinks = append(sinks, sub)
	}
	log, err := report.CreateLog(filepath.Join(dir, "log.yaml"), sinks...)
	if err != nil {
		return fail(sdk.InfraErrorf("%v", err))
	}
	defer log.Close()
	for _, v := range sj.Job.Secrets {
		log.Mask(v)
	}
	results := &report.Results{JobID: id}
	clk := &clock{peers: groupOf(o.Job)}
	if sub != nil {
		clk.view = sub
	}
	addResult := func(r sdk.Result) {
		msg, at := log.Result(r)
		results.AddLogged(r, msg, at)
	}
	actions := newActionResults(addResult)
	defer func() {
		if err := results.WriteFiles(dir, sj.Job.Name); err != nil {
			log.Errorf("%v", err)
		}
		so.Took = time.Since(start).Round(time.Millisecond).String()
		so.Timing = clk.timing(time.Since(start))
		_ = writeYAML(filepath.Join(dir, "result.yaml"), so)
	}()

	disp := pipeline.DispatcherOf(o.Lab)
	disp.WorkDir = filepath.Join(dir, "work")
	disp.OutputDir = dir
	defer func() {
		if err := cleanWork(disp.WorkDir, o.KeepWork, o.KeepOverlay); err != nil {
			log.Errorf("%v", err)
		}
	}()
	vstart := time.Now()
	p, err := pipeline.Build(sj.Job, sj.Device, o.Registry, disp)
	// LAVA's validate result: the job's pipeline was built and validated
	log.Infof("validate duration: %.02f", time.Since(vstart).Seconds())
	addResult(validateResult(err))
	if err != nil {
		log.Errorf("%s", errorHelp(err))
		addResult(pipeline.JobResult(err))
		return fail(err)
	}
	p.SetJobID(id)
	p.SetDUTEnvironment(o.DUTEnvironment)
	if f, err := os.Create(filepath.Join(dir, "description.yaml")); err == nil {
		_ = p.WriteDescription(f)
		f.Close()
	}
	log.Infof("lavacore: job %s (%s) on %s", id, sj.Job.Name, deviceName(sj.Device))

	protocols := map[string]sdk.Protocol{}
	for name, params := range sj.Job.Protocols {
		if o.Protocols == nil {
			err := sdk.ConfigErrorf("protocol %q: no protocol plugins available", name)
			addResult(pipeline.JobResult(err))
			return fail(err)
		}
		pr, err := o.Protocols(name)
		if err != nil {
			err = sdk.InfraErrorf("protocol %q: %v", name, err)
			addResult(pipeline.JobResult(err))
			return fail(err)
		}
		pm, _ := params.(map[string]any)
		// a delayed start (request: lava-start) waits here for the group
		t0 := time.Now()
		delayed := ""
		done := func() {}
		if pm["request"] == "lava-start" && pm["expect_role"] != nil {
			delayed = "lava-wait-all lava_start"
			log.Add("debug", protoRequestMsg(name, delayed))
			done = clk.waiting(protocolWait(name, map[string]any{"request": "lava-wait-all", "messageID": "lava_start",
				"waitrole": fmt.Sprint(pm["expect_role"])}, clk.peers), time.Time{})
		}
		err = pr.Configure(ctx, sdk.ProtocolConfig{JobID: id, Params: pm, Coordinator: o.Coordinator})
		done()
		if delayed != "" {
			log.Add("debug", protoReplyMsg(name, delayed, nil, err))
		}
		clk.since(&clk.group, t0)
		if err != nil {
			err = fmt.Errorf("protocol %s: %w", name, err)
			addResult(pipeline.JobResult(err))
			return fail(err)
		}
		protocols[name] = pr
	}

	opener := func(ctx context.Context, ns string, spec sdk.ConsoleSpec) (OpenedConsole, error) {
		log.Infof("[%s] connect-device Connecting to device using '%s'", ns, describeSpec(spec))
		c, err := console.Dial(ctx, spec, console.Options{Name: ns, Dir: dir,
			Log: func(level sdk.LogLevel, msg string) { log.Add(string(level), msg) }})
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	var power PowerRunner
	if sj.Device != nil {
		power = devicePower(sj.Device, clk, log)
	}
	sh := newSubjobHost(opener, power, log, actions.add, protocols)
	env := &runEnv{sh: sh, log: log, result: addResult, actions: actions, view: sub, dev: sj.Device, clock: clk}

	err = p.Run(ctx, env)
	for name, pr := range protocols {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		if ferr := pr.Finalize(fctx, err == nil); ferr != nil {
			log.Errorf("protocol %s: finalize: %v", name, ferr)
		}
		cancel()
	}
	sh.closeAll()
	// as lava-run: the error help or "Job finished correctly", then the job's result
	if err != nil {
		log.Errorf("%s", errorHelp(err))
		addResult(pipeline.JobResult(err))
		return fail(err)
	}
	log.Infof("Job finished correctly")
	addResult(pipeline.JobResult(nil))
	so.Health = "Complete"
	return so
}

// validateResult is LAVA's {definition: lava, case: validate, result}.
func validateResult(err error) sdk.Result {
	r := sdk.Result{Definition: "lava", Case: "validate", Result: "pass"}
	if err != nil {
		r.Result = "fail"
	}
	return r
}

func deviceName(d *device.Device) string {
	if d == nil {
		return "no device"
	}
	return d.Name + " (" + d.Type + ")"
}

func describeSpec(s sdk.ConsoleSpec) string {
	switch {
	case s.Command != "":
		return s.Command
	case s.TCP != "":
		return "tcp " + s.TCP
	case s.Serial != "":
		return "serial " + console.SerialSettingsOf(s).String()
	case s.SSH != nil:
		return fmt.Sprintf("ssh %s@%s:%d", s.SSH.User, s.SSH.Host, s.SSH.Port)
	}
	return "?"
}

func powerCommands(d *device.Device, op string) []string {
	switch op {
	case "power_on":
		return d.Power.On
	case "power_off":
		return d.Power.Off
	case "hard_reset":
		if len(d.Power.HardReset) > 0 {
			return d.Power.HardReset
		}
		if len(d.Power.Off) > 0 && len(d.Power.On) > 0 {
			return append(append([]string{}, d.Power.Off...), d.Power.On...)
		}
	}
	return nil
}

func health(err error) string {
	if sdk.TypeOf(err) == sdk.Canceled {
		return "Canceled"
	}
	return "Incomplete"
}

// errorHelp is LAVA's error_help line for each error type.
func errorHelp(err error) string {
	switch sdk.TypeOf(err) {
	case sdk.Infrastructure:
		return "InfrastructureError: The Infrastructure is not working correctly. Please report this error to LAVA admins."
	case sdk.Job:
		return "JobError: Your job cannot terminate cleanly."
	case sdk.Test:
		return "TestError: A test failed to run, look at the error message."
	case sdk.Configuration:
		return "ConfigurationError: The LAVA instance is not configured correctly. Please report this error to LAVA admins."
	case sdk.Canceled:
		return "JobCanceled: The job was canceled"
	}
	return "LAVABug: This is probably a bug in LAVA, please report it."
}

// runEnv is the pipeline.RunEnv of one sub-job.
type runEnv struct {
	sh      *subjobHost
	log     *report.Log
	result  func(sdk.Result)
	actions *actionResults
	view    *report.SubView // nil: no view
	dev     *device.Device
	clock   *clock
}

func (e *runEnv) Host(ns string, call sdk.Call) sdk.Host {
	h := e.sh.view(ns)
	var delay time.Duration
	if e.dev != nil {
		delay = e.dev.CharacterDelays[string(call.Block.Section)]
	}
	return &delayHost{Host: &timedHost{Host: h, c: e.clock}, delay: delay, c: e.clock}
}

func (e *runEnv) Log(level sdk.LogLevel, msg string) { e.log.Add(string(level), msg) }
func (e *runEnv) Result(r sdk.Result)                { e.result(r) }
func (e *runEnv) ActionStart(ev pipeline.ActionEvent) {
	e.actions.start(ev)
	e.view.ActionStarted(ev.Level, ev.Name, ev.Start, ev.Deadline)
}
func (e *runEnv) ActionEnd(ev pipeline.ActionEvent) {
	e.clock.actionEnd(ev)
	e.actions.end(ev)
	e.view.ActionEnded(ev.Level)
}

// delayHost applies the section's character delay to console sends.
type delayHost struct {
	sdk.Host
	delay time.Duration
	c     *clock
}

func (h *delayHost) Console(ctx context.Context) (sdk.Console, error) {
	c, err := h.Host.Console(ctx)
	if err != nil {
		return nil, err
	}
	return &delayConsole{Console: &timedConsole{Console: c, c: h.c}, delay: h.delay}, nil
}

func (h *delayHost) OpenConsole(ctx context.Context, spec sdk.ConsoleSpec) (sdk.Console, error) {
	c, err := h.Host.OpenConsole(ctx, spec)
	if err != nil {
		return nil, err
	}
	return &delayConsole{Console: &timedConsole{Console: c, c: h.c}, delay: h.delay}, nil
}

type delayConsole struct {
	sdk.Console
	delay time.Duration
}

// Stream passes the console's raw output through (sdk.Streamer).
func (c *delayConsole) Stream(ctx context.Context) (io.ReadCloser, error) {
	return stream(ctx, c.Console)
}

func (c *delayConsole) SendLine(ctx context.Context, s string) error {
	if c.delay > 0 {
		ctx = console.WithCharDelay(ctx, c.delay)
	}
	return c.Console.SendLine(ctx, s)
}
