package pluginhost

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lavacore/lavacore/sdk"
)

// buildHello builds examples/plugin-hello (an out-of-tree plugin with its own
// go.mod) into dir.
func buildHello(t *testing.T, dir string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the example plugin (not with -short)")
	}
	root, _ := filepath.Abs("../..")
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, Prefix+"hello"), ".")
	cmd.Dir = filepath.Join(root, "examples", "plugin-hello")
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build examples/plugin-hello: %v\n%s", err, b)
	}
	if _, err := RecordDir(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
}

// TestOutOfTreePlugin: the example plugin, found through $LAVACORE_PLUGIN_PATH,
// declares its action and runs it against a fake host.
func TestOutOfTreePlugin(t *testing.T) {
	dir := t.TempDir()
	buildHello(t, dir)
	t.Setenv(PathEnv, dir+":"+filepath.Join(dir, "nothing-here"))
	h, err := StartAll(context.Background(), Dirs(), Options{Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ms := h.Registry().Methods(sdk.SectionBoot, "hello")
	if len(ms) != 1 {
		t.Fatalf("boot/hello not served: %v", h.Registry().All())
	}
	req := sdk.Request{Block: sdk.Block{Section: sdk.SectionBoot, Method: "hello", Params: map[string]any{"greeting": "plugin host"}},
		Job: sdk.JobInfo{ID: "17"}, Device: sdk.Device{Name: "hello-01"}}
	a, err := ms[0].Describe(req)
	if err != nil || a.Name != "hello-boot" {
		t.Fatalf("Describe: %+v %v", a, err)
	}
	fh := newFakeHost()
	if err := ms[0].Run(context.Background(), sdk.Call{Request: req, Action: a.Name, Level: "1"}, fh); err != nil {
		t.Fatal(err)
	}
	if len(fh.logs) != 1 || fh.logs[0] != "hello, plugin host, from job 17 on hello-01" {
		t.Errorf("logs %q", fh.logs)
	}
	if len(fh.results) != 1 || fh.results[0].Case != "hello" || fh.results[0].Result != "pass" {
		t.Errorf("results %+v", fh.results)
	}
}

// lavacoreBin returns a lavacore binary: $LAVACORE_BIN/lavacore (make test
// sets it), else one built for the test under LAVACORE_LAB=1.
var (
	lavacoreOnce sync.Once
	lavacorePath string
	lavacoreErr  error
)

func lavacoreBin(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("LAVACORE_BIN"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "lavacore")); err == nil {
			return filepath.Join(d, "lavacore")
		}
	}
	if os.Getenv("LAVACORE_LAB") != "1" {
		t.Skip("runs lavacore: set LAVACORE_LAB=1 or LAVACORE_BIN (make test does)")
	}
	lavacoreOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pluginhost-lavacore-")
		if err != nil {
			lavacoreErr = err
			return
		}
		root, _ := filepath.Abs("../..")
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "lavacore"), "./cmd/lavacore")
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			lavacoreErr = err
			t.Log(string(b))
		}
		lavacorePath = filepath.Join(dir, "lavacore")
	})
	if lavacoreErr != nil {
		t.Fatal(lavacoreErr)
	}
	return lavacorePath
}

// TestOutOfTreePluginJob: a job uses the example plugin's boot method.
func TestOutOfTreePluginJob(t *testing.T) {
	bin := lavacoreBin(t)
	dir := t.TempDir()
	buildHello(t, dir)
	root, _ := filepath.Abs("../..")
	out := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command(bin, "run", "examples/plugin-hello/job.yaml", "--lab", "examples/plugin-hello/lab", "--output-dir", out)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), PathEnv+"="+dir)
	b, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(b), "hello, lavacore, from job") {
		t.Fatalf("run: %v\n%s", err, b)
	}
	res, err := os.ReadFile(filepath.Join(out, "results.yaml"))
	if err != nil || !strings.Contains(string(res), "name: hello") {
		t.Fatalf("results.yaml: %v\n%s", err, res)
	}
}

// TestSIGTERMRunsCleanupThenStopsPlugins: SIGTERM to `lavacore run` cancels
// the job, runs the plugin's Cleanup, then stops the plugins: nothing is left.
func TestSIGTERMRunsCleanupThenStopsPlugins(t *testing.T) {
	bin := lavacoreBin(t)
	dir := needBinaries(t)
	root, _ := filepath.Abs("../..")
	tmp := t.TempDir()
	marker := filepath.Join(tmp, "cleanup-ran")
	job := filepath.Join(tmp, "hang.yaml")
	os.WriteFile(job, []byte(`job_name: hang until SIGTERM
device_type: ssh
timeouts: {job: {minutes: 5}}
visibility: public
actions:
- boot: {method: testplugin, mode: hang, marker: `+marker+`}
`), 0o644)
	run := exec.Command(bin, "run", job, "--lab", filepath.Join(root, "examples", "plugin-hello", "lab"), "--output-dir", filepath.Join(tmp, "out"))
	run.Env = append(os.Environ(), PathEnv+"="+dir)
	var out syncBuffer
	run.Stdout, run.Stderr = &out, &out
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "start: 1 test-hang") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !alive(filepath.Join(dir, Prefix+"testplugin")) {
		t.Fatalf("the plugin is not running:\n%s", out.String())
	}
	run.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- run.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		run.Process.Kill()
		t.Fatalf("lavacore did not stop after SIGTERM:\n%s", out.String())
	}
	if b, err := os.ReadFile(marker); err != nil || !strings.Contains(string(b), "cleanup ran") {
		t.Errorf("the plugin's Cleanup did not run (%v):\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "Canceled") {
		t.Errorf("the job did not end Canceled:\n%s", out.String())
	}
	if left := leftovers(binDir); len(left) > 0 {
		t.Errorf("left behind after SIGTERM:\n%s", strings.Join(left, "\n"))
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
