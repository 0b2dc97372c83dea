package lavarun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/core/job"
	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

// bootMethod is an in-process boot method named name whose one action runs run.
type bootMethod struct {
	sdk.Actions
	name string
}

func newBoot(name string, a sdk.Action) bootMethod {
	return bootMethod{Actions: sdk.Actions{name + "-boot": a}, name: name}
}

func (m bootMethod) Info() sdk.MethodInfo {
	return sdk.MethodInfo{Section: sdk.SectionBoot, Name: m.name, Description: "test double"}
}
func (m bootMethod) Accepts(req sdk.Request) (bool, string) { return req.Block.Method == m.name, "" }
func (m bootMethod) Describe(sdk.Request) (sdk.ActionSpec, error) {
	return sdk.ActionSpec{Name: m.name + "-boot", Class: "TestBoot", Description: "test", Summary: "test"}, nil
}
func (bootMethod) Validate(context.Context, sdk.Request) sdk.Diagnostics { return nil }

// helloAction passes at once.
type helloAction struct{}

func (helloAction) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	if err := host.Log(sdk.LevelInfo, "hello from job "+call.Job.ID); err != nil {
		return err
	}
	return host.Result(sdk.Result{Definition: "lava", Case: "hello", Level: call.Level, Result: "pass"})
}

// waitAction runs until the job is canceled; its Cleanup is recorded.
type waitAction struct{ started, cleaned chan struct{} }

func (a waitAction) Run(ctx context.Context, _ sdk.Call, _ sdk.Host) error {
	close(a.started)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(sanity):
		return errors.New("never canceled")
	}
}

func (a waitAction) Cleanup(context.Context, sdk.Call, sdk.Host) error {
	close(a.cleaned)
	return nil
}

// fakePlugins serves methods in process.
type fakePlugins struct{ reg *sdktest.Registry }

func (p fakePlugins) Registry() pipeline.Registry              { return p.reg }
func (p fakePlugins) JobOptions() job.Options                  { return job.Options{Methods: p.reg.Infos()} }
func (fakePlugins) Prepare(context.Context, ...*job.Job) error { return nil }
func (fakePlugins) Protocol(name string) (sdk.Protocol, error) {
	return nil, fmt.Errorf("no protocol %s", name)
}
func (fakePlugins) Close() {}

// workerDir writes what lava-worker writes for a job: job.yaml (with the
// server's compatibility), device.yaml (rendered), dispatcher.yaml.
func workerDir(t *testing.T, method string) (dir string, args []string) {
	t.Helper()
	dir = t.TempDir()
	w := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w("job.yaml", "job_name: a lava-run test\ndevice_type: ssh\ntimeouts:\n  job:\n    minutes: 2\nvisibility: public\n"+
		"actions:\n- boot:\n    method: "+method+"\ncompatibility: 2\n")
	w("device.yaml", "hostname: board-01\ndevice_type: ssh\ncommands:\n  power_off: touch "+filepath.Join(dir, "powered-off")+"\n"+
		"actions:\n  deploy:\n    methods:\n      ssh:\n        host: localhost\n        port: 22\n        user: root\n  boot:\n    methods:\n      ssh:\n")
	w("dispatcher.yaml", "dispatcher_ip: 192.0.2.1\n")
	return dir, []string{"--device=" + filepath.Join(dir, "device.yaml"), "--dispatcher=" + filepath.Join(dir, "dispatcher.yaml"),
		"--output-dir=" + dir, "--job-id=7", "--job-log-interval=0", filepath.Join(dir, "job.yaml")}
}

func testEnv(t *testing.T, stdout, stderr *bytes.Buffer, methods ...sdk.Method) Env {
	reg := sdktest.NewRegistry(t).Add(methods...)
	d := t.TempDir()
	return Env{Stdout: stdout, Stderr: stderr, OpenPlugins: func() Plugins { return fakePlugins{reg} },
		Signals: make(chan os.Signal), FailureSleep: time.Millisecond,
		Places: Places{DownloadDir: filepath.Join(d, "tmp"), TFTPDefaults: filepath.Join(d, "tftpd-hpa"), CoordinatorConf: filepath.Join(d, "coord.conf")}}
}

func readResult(t *testing.T, dir string) Result {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "result.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var r Result
	if err := yaml.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// A bad command line exits 2 with argparse's usage and error, before
// anything is started.
func TestMain_UsageErrorsExit2(t *testing.T) {
	_, args := workerDir(t, "hello")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no arguments", nil, "lava-run: error: the following arguments are required: --job-id, --output-dir, --device, definition\n"},
		{"unknown flag", append([]string{"--lab=x"}, args...), "lava-run: error: unrecognized arguments: --lab=x\n"},
		{"two definitions", append(args, args[len(args)-1]), "lava-run: error: unrecognized arguments: "},
		{"bad interval", append(args, "--job-log-interval=5s"), "lava-run: error: argument --job-log-interval: invalid int value: '5s'\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			env := testEnv(t, &stdout, &stderr)
			env.OpenPlugins = func() Plugins { t.Fatal("plugins opened for a bad command line"); return nil }
			if code := Main(context.Background(), tt.args, env); code != ExitUsage {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.HasPrefix(stderr.String(), "usage: lava-run [-h] --job-id ID") || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr:\n%s", stderr.String())
			}
		})
	}
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"--help"}, testEnv(t, &stdout, &stderr)); code != 0 || !strings.Contains(stdout.String(), "--job-log-interval SECONDS") {
		t.Errorf("--help: exit %d\n%s", code, stdout.String())
	}
}

// The worker's cancel (SIGTERM) cancels the job as LAVA does: the running
// action stops, finalize powers the device off, the actions' cleanups run,
// the log ends with the Canceled job result, result.yaml says so and
// lava-run exits 1.
func TestMain_CancelRunsCleanupAndReportsCanceled(t *testing.T) {
	srv := newFakeServer(t, nil)
	dir, args := workerDir(t, "wait")
	wa := waitAction{started: make(chan struct{}), cleaned: make(chan struct{})}
	var stdout, stderr bytes.Buffer
	env := testEnv(t, &stdout, &stderr, newBoot("wait", wa))
	sig := make(chan os.Signal, 2)
	env.Signals = sig
	done := make(chan int)
	go func() { done <- Main(context.Background(), append(args, "--url="+srv.URL, "--token=T"), env) }()
	select {
	case <-wa.started:
	case <-time.After(sanity):
		t.Fatal("the job never started")
	}
	sig <- syscall.SIGTERM
	var code int
	select {
	case code = <-done:
	case <-time.After(sanity):
		t.Fatal("lava-run did not end after SIGTERM")
	}
	if code != ExitFail {
		t.Errorf("exit %d, want 1; stderr:\n%s", code, stderr.String())
	}
	select {
	case <-wa.cleaned:
	default:
		t.Error("the action's cleanup did not run")
	}
	if _, err := os.Stat(filepath.Join(dir, "powered-off")); err != nil {
		t.Errorf("finalize did not power the device off: %v", err)
	}
	if r := readResult(t, dir); r != (Result{Case: "job", Definition: "lava", Result: "fail", ErrorMsg: "The job was canceled", ErrorType: "Canceled"}) {
		t.Errorf("result.yaml %+v", r)
	}
	var body []string
	for _, p := range srv.drain() {
		body = append(body, p.lines)
	}
	log := strings.Join(body, "\n")
	for _, want := range []string{"JobCanceled: The job was canceled",
		`"msg": {"definition": "lava", "case": "job", "result": "fail", "error_msg": "The job was canceled", "error_type": "Canceled"}}`} {
		if !strings.Contains(log, want) {
			t.Errorf("the server's log lacks %q:\n%s", want, log)
		}
	}
}

// A job that passes: exit 0, result.yaml pass, description.yaml in LAVA's
// shape (compatibility, pipeline), every record of log.yaml on the server.
func TestMain_PassWritesResultDescriptionAndLog(t *testing.T) {
	srv := newFakeServer(t, nil)
	dir, args := workerDir(t, "hello")
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), append(args, "--url="+srv.URL+"/", "--token=T"), testEnv(t, &stdout, &stderr, newBoot("hello", helloAction{})))
	if code != ExitPass {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	if r := readResult(t, dir); r != (Result{Case: "job", Definition: "lava", Result: "pass"}) {
		t.Errorf("result.yaml %+v", r)
	}
	desc, _ := os.ReadFile(filepath.Join(dir, "description.yaml"))
	var d struct {
		Compatibility int              `yaml:"compatibility"`
		Pipeline      []map[string]any `yaml:"pipeline"`
	}
	if err := yaml.Unmarshal(desc, &d); err != nil || d.Compatibility != 2 || len(d.Pipeline) == 0 || d.Pipeline[0]["name"] != "hello-boot" {
		t.Errorf("description.yaml (%v):\n%s", err, desc)
	}
	var body []string
	for _, p := range srv.drain() {
		if p.path != "/scheduler/internal/v1/jobs/7/logs/" || p.token != "T" {
			t.Errorf("POST to %s with token %q", p.path, p.token)
		}
		body = append(body, p.lines)
	}
	logYAML, _ := os.ReadFile(filepath.Join(dir, RunDir, "log.yaml"))
	if got := strings.Join(body, "\n") + "\n"; got != string(logYAML) {
		t.Errorf("the server's log differs from log.yaml:\n%s\n---\n%s", got, logYAML)
	}
}

// Failures before the job runs are the job's result too: logged, in
// result.yaml with LAVA's error type, exit 1.
func TestMain_SetupFailures(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(dir string)
		wantTyp string
		wantMsg string
	}{
		{"invalid job", func(d string) { os.WriteFile(filepath.Join(d, "job.yaml"), []byte("job_name: x\n"), 0o644) }, "Job", "Invalid job definition"},
		{"bad device file", func(d string) { os.WriteFile(filepath.Join(d, "device.yaml"), []byte("[1, 2\n"), 0o644) }, "Configuration", "device configuration"},
		{"bad dispatcher.yaml", func(d string) { os.WriteFile(filepath.Join(d, "dispatcher.yaml"), []byte("prefix: a/b\n"), 0o644) }, "Configuration", "dispatcher configuration"},
		{"MultiNode without a coordinator", func(d string) {
			b, _ := os.ReadFile(filepath.Join(d, "job.yaml"))
			os.WriteFile(filepath.Join(d, "job.yaml"), append(b, []byte("protocols:\n  lava-multinode:\n    role: a\n    target_group: g\n    group_size: 2\n    sub_id: 0\n    roles: {'7': a, '8': b}\n")...), 0o644)
		}, "Infrastructure", "Missing coordinator configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, args := workerDir(t, "hello")
			tt.edit(dir)
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), args, testEnv(t, &stdout, &stderr, newBoot("hello", helloAction{})))
			r := readResult(t, dir)
			if code != ExitFail || r.Result != "fail" || r.ErrorType != tt.wantTyp || !strings.Contains(r.ErrorMsg, tt.wantMsg) {
				t.Errorf("exit %d, result %+v", code, r)
			}
			// without --url the records go to stderr, the job's result last
			if !strings.Contains(stderr.String(), `"case": "job", "result": "fail"`) {
				t.Errorf("stderr:\n%s", stderr.String())
			}
		})
	}
}

// --validate builds and describes the pipeline; nothing runs.
func TestMain_ValidateDoesNotRun(t *testing.T) {
	dir, args := workerDir(t, "wait")
	wa := waitAction{started: make(chan struct{}), cleaned: make(chan struct{})}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), append(args, "--validate"), testEnv(t, &stdout, &stderr, newBoot("wait", wa)))
	if code != ExitPass {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	select {
	case <-wa.started:
		t.Error("--validate ran the job")
	default:
	}
	if desc, _ := os.ReadFile(filepath.Join(dir, "description.yaml")); !strings.HasPrefix(string(desc), "compatibility: 2\npipeline:\n") ||
		!strings.Contains(string(desc), "name: wait-boot") {
		t.Errorf("description.yaml:\n%s", desc)
	}
}
