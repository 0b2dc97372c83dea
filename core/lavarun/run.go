package lavarun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/core/device/lavayaml"
	"github.com/lavacore/lavacore/core/job"
	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/core/report"
	"github.com/lavacore/lavacore/core/runner"
	"github.com/lavacore/lavacore/sdk"
)

// Plugins are the method and protocol plugins a run uses (the command's
// plugin registry).
type Plugins interface {
	Registry() pipeline.Registry
	JobOptions() job.Options
	Prepare(ctx context.Context, jobs ...*job.Job) error
	Protocol(name string) (sdk.Protocol, error)
	Close()
}

// Env is what Main needs from the command around it.
type Env struct {
	Prog           string // the name in messages: "lava-run" or "lavacore lava-run"
	Stdout, Stderr io.Writer
	// OpenPlugins opens the plugins, once the command line is valid.
	OpenPlugins func() Plugins
	// Signals delivers the worker's signals (nil: Main listens for LAVA's:
	// SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2).
	Signals <-chan os.Signal
	Places  Places // empty fields: DefaultPlaces()'s
	Client  *http.Client
	Clock   Clock
	// FailureSleep is the log sender's pause after a failed POST (0: 5 s).
	FailureSleep time.Duration
	// FlushTimeout bounds the final flush of the log (0: 10 minutes); a
	// second signal ends it at once.
	FlushTimeout time.Duration
	UserAgent    string
	// Environ is lava-run's environment, the base of the DUT environment
	// of --env-dut (nil: os.Environ()).
	Environ []string
}

// RunDir is the output directory's subdirectory lavacore's runner writes
// its own files to (log.yaml, results.yaml, junit.xml, console transcripts).
const RunDir = "lavacore"

// Exit statuses, as lava-run's.
const (
	ExitPass  = 0 // the job passed
	ExitFail  = 1 // the job failed or was canceled
	ExitUsage = 2 // argparse refused the command line
)

// Main is lava-run: it parses LAVA's command line, runs the (sub-)job on
// the rendered device with lavacore's runner, streams the log to the
// server, writes description.yaml and result.yaml in the output directory
// and returns the exit status.
func Main(ctx context.Context, args []string, env Env) int {
	if env.Prog == "" {
		env.Prog = "lava-run"
	}
	if env.Places.DownloadDir == "" {
		env.Places.DownloadDir = DownloadDir
	}
	if env.Places.TFTPDefaults == "" {
		env.Places.TFTPDefaults = TFTPDefaults
	}
	if env.Places.CoordinatorConf == "" {
		env.Places.CoordinatorConf = CoordinatorConf
	}
	opts, err := Parse(args)
	var ue *UsageError
	switch {
	case errors.Is(err, ErrHelp):
		fmt.Fprint(env.Stdout, Help(env.Prog))
		return ExitPass
	case errors.As(err, &ue):
		fmt.Fprint(env.Stderr, Usage(env.Prog))
		fmt.Fprintf(env.Stderr, "%s: error: %s\n", env.Prog, ue.Msg)
		return ExitUsage
	case err != nil:
		fmt.Fprintf(env.Stderr, "%s: error: %v\n", env.Prog, err)
		return ExitUsage
	}
	out, err := filepath.Abs(opts.OutputDir)
	if err == nil {
		err = os.MkdirAll(out, 0o755)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "%s: Unable to create %s: %v\n", env.Prog, opts.OutputDir, err)
		return ExitFail
	}
	opts.OutputDir = out

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	again := make(chan struct{})
	stopSignals := watchSignals(env.Signals, cancel, again)
	defer stopSignals()

	sink, closeSink, err := openSink(opts, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "%s: %v\n", env.Prog, err)
		return ExitFail
	}
	res := run(ctx, opts, env, sink, cancel)

	// as lava-run: the log is flushed before result.yaml is written
	fctx, fcancel := context.WithTimeoutCause(context.Background(), flushTimeout(env),
		errors.New("the flush timeout"))
	go func() {
		select {
		case <-again:
			fcancel()
		case <-fctx.Done():
		}
	}()
	if err := closeSink(fctx); err != nil {
		fmt.Fprintf(env.Stderr, "%s: %v\n", env.Prog, err)
	}
	fcancel()
	if err := WriteResult(filepath.Join(opts.OutputDir, "result.yaml"), res); err != nil {
		fmt.Fprintf(env.Stderr, "%s: %v\n", env.Prog, err)
	}
	if res.Result != "pass" {
		return ExitFail
	}
	return ExitPass
}

func flushTimeout(env Env) time.Duration {
	if env.FlushTimeout > 0 {
		return env.FlushTimeout
	}
	return 10 * time.Minute
}

// watchSignals cancels the run on the first signal (LAVA: JobCanceled, then
// the job's cleanup) and closes again on the second (LAVA: "canceled again":
// stop waiting for the log's flush).
func watchSignals(ch <-chan os.Signal, cancel func(), again chan struct{}) (stop func()) {
	var own chan os.Signal
	if ch == nil {
		own = make(chan os.Signal, 2)
		signal.Notify(own, syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGUSR1, syscall.SIGUSR2)
		ch = own
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		n := 0
		for {
			select {
			case <-ch:
				n++
				if n == 1 {
					cancel()
				} else if n == 2 {
					close(again)
				}
			case <-quit:
				return
			}
		}
	}()
	return func() {
		close(quit)
		wg.Wait()
		if own != nil {
			signal.Stop(own)
		}
	}
}

// openSink is where log records go: the server (--url), else stderr as
// LAVA's StreamHandler.
func openSink(opts Options, env Env) (report.Sink, func(context.Context) error, error) {
	if opts.URL == "" {
		s := &lineSink{w: env.Stderr}
		return s, func(context.Context) error { return nil }, nil
	}
	st, err := NewStreamer(StreamConfig{
		URL:   LogsURL(opts.URL, opts.JobID),
		Token: opts.Token, JobID: opts.JobID,
		Interval:     time.Duration(opts.LogInterval) * time.Second,
		Spool:        filepath.Join(opts.OutputDir, "lava-run-log.spool"),
		Client:       env.Client,
		Clock:        env.Clock,
		FailureSleep: env.FailureSleep,
		Stderr:       env.Stderr,
		UserAgent:    env.UserAgent,
	})
	if err != nil {
		return nil, nil, err
	}
	return st, st.Close, nil
}

// LogsURL is the path LAVA's lava-run posts its log to.
func LogsURL(server, jobID string) string {
	return strings.TrimRight(server, "/") + "/scheduler/internal/v1/jobs/" + jobID + "/logs/"
}

// lineSink writes each record on its own line (no --url).
type lineSink struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *lineSink) Write(r report.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintln(s.w, r.YAML())
}

// setupError is a failure before the runner starts: logged as lava-run
// logs its errors (the message, the error help, the job's result).
func setupError(sink report.Sink, typ sdk.ErrorType, msg string) Result {
	err := &sdk.Error{Type: typ, Msg: msg}
	l := report.NewLog(nil, sink)
	l.Errorf("%s", msg)
	l.Errorf("%s", ErrorHelp(typ))
	l.Result(pipeline.JobResult(err))
	return Result{Result: "fail", ErrorMsg: msg, ErrorType: string(typ)}
}

// run loads everything and runs the job; it returns lava-run's result.
func run(ctx context.Context, opts Options, env Env, sink report.Sink, cancel func()) Result {
	if st, ok := sink.(*Streamer); ok {
		st.cfg.OnJobGone = cancel // LAVA HEAD: "The job was deleted on the lava-server"
	}
	fail := func(typ sdk.ErrorType, format string, a ...any) Result {
		return setupError(sink, typ, fmt.Sprintf(format, a...))
	}
	disp, err := ReadDispatcher(opts.Dispatcher)
	if err != nil {
		return fail(sdk.Configuration, "dispatcher configuration: %v", err)
	}
	pl := env.OpenPlugins()
	defer pl.Close()
	reg := pl.Registry()
	j, diags := job.LoadWith(opts.Definition, pl.JobOptions())
	if len(diags) > 0 {
		msgs := make([]string, len(diags))
		for i, d := range diags {
			msgs[i] = d.String()
		}
		return fail(sdk.Job, "Invalid job definition: %s", strings.Join(msgs, "; "))
	}
	if j.MultiNode != nil {
		return fail(sdk.Job, "%s is a MultiNode submission: lava-run runs one sub-job, as lava-server splits it (lavacore run runs a whole group)", opts.Definition)
	}
	dev, probs := lavayaml.LoadFile(opts.Device, lavayaml.Options{Type: j.DeviceType, Spec: pipeline.SpecFunc(reg)})
	if probs.HasErrors() {
		return fail(sdk.Configuration, "device configuration: %v", probs)
	}
	lab, ldiags := device.NewLab("", device.LoadOptions{Spec: pipeline.SpecFunc(reg)})
	if ldiags.HasErrors() {
		return fail(sdk.Bug, "device types: %s", ldiags.Error())
	}
	if err := lab.AddDevice(dev); err != nil {
		return fail(sdk.Configuration, "device configuration: %v", err)
	}
	log := report.NewLog(nil, sink)
	for _, p := range probs {
		log.Debugf("%s", p.String())
	}
	warnings, err := disp.Apply(lab, env.Places)
	if err != nil {
		return fail(sdk.Infrastructure, "%v", err)
	}
	for _, w := range warnings {
		log.Add("warning", w)
	}
	environ := env.Environ
	if environ == nil {
		environ = os.Environ()
	}
	dutEnv, err := loadEnvDUT(opts.EnvDUT, environ, log)
	if err != nil {
		return fail(sdk.Configuration, "%v", err)
	}
	coord := ""
	if _, ok := j.Protocols["lava-multinode"]; ok && disp.Coordinator != "" {
		coord = disp.Coordinator
		log.Debugf("MultiNode coordinator %s (dispatcher.yaml lavacore.coordinator)", coord)
	} else if ok {
		if coord, err = Coordinator(env.Places.CoordinatorConf); err != nil {
			return fail(sdk.Infrastructure, "%v", err)
		}
	}
	if err := pl.Prepare(ctx, j); err != nil {
		log.Add("warning", err.Error())
	}
	if opts.Validate {
		return validate(j, dev, lab, reg, opts, sink)
	}
	var term io.Writer
	if opts.Debug {
		term = env.Stdout
	}
	runDir := filepath.Join(opts.OutputDir, RunDir)
	outcome, err := runner.Run(ctx, runner.Options{
		Job: j, Lab: lab, OutputDir: runDir, JobID: opts.JobID, SubID: -1, Device: dev.Name,
		Coordinator: coord, Registry: reg, Protocols: pl.Protocol,
		Sinks: []report.Sink{sink}, Stdout: term, Console: opts.Debug, Debug: opts.Debug,
		DUTEnvironment: dutEnv,
	})
	if err != nil {
		typ := sdk.TypeOf(err)
		if typ == "" || typ == sdk.Bug {
			typ = sdk.Configuration
		}
		return fail(typ, "%v", err)
	}
	if err := WriteDescription(filepath.Join(opts.OutputDir, "description.yaml"), opts.Definition,
		filepath.Join(runDir, "description.yaml")); err != nil {
		fmt.Fprintf(env.Stderr, "%s: %v\n", env.Prog, err)
	}
	return ResultOf(outcome)
}

// validate is --validate: the pipeline is built and described, nothing runs.
func validate(j *job.Job, dev *device.Device, lab *device.Lab, reg pipeline.Registry, opts Options, sink report.Sink) Result {
	p, err := pipeline.Build(j, dev, reg, pipeline.DispatcherOf(lab))
	if err != nil {
		return setupError(sink, sdk.TypeOf(err), err.Error())
	}
	p.SetJobID(opts.JobID)
	tmp := filepath.Join(opts.OutputDir, RunDir)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return setupError(sink, sdk.Infrastructure, err.Error())
	}
	f, err := os.Create(filepath.Join(tmp, "description.yaml"))
	if err == nil {
		err = p.WriteDescription(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil {
		err = WriteDescription(filepath.Join(opts.OutputDir, "description.yaml"), opts.Definition, f.Name())
	}
	if err != nil {
		return setupError(sink, sdk.Infrastructure, err.Error())
	}
	report.NewLog(nil, sink).Infof("Job finished correctly")
	return Result{Result: "pass"}
}
