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

// fakeHost records what a plugin asks of the host; its console answers "world".
type fakeHost struct {
	mu      sync.Mutex
	logs    []string
	results []sdk.Result
	data    map[string]string
	sent    []string
}

func (h *fakeHost) Console(context.Context) (sdk.Console, error) { return h, nil }
func (h *fakeHost) OpenConsole(context.Context, sdk.ConsoleSpec) (sdk.Console, error) {
	return h, nil
}
func (h *fakeHost) CloseConsole(context.Context) error  { return nil }
func (h *fakeHost) Power(context.Context, string) error { return nil }
func (h *fakeHost) Log(l sdk.LogLevel, m string) {
	h.mu.Lock()
	h.logs = append(h.logs, m)
	h.mu.Unlock()
}
func (h *fakeHost) Result(r sdk.Result) { h.mu.Lock(); h.results = append(h.results, r); h.mu.Unlock() }
func (h *fakeHost) Get(a, l, k string) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.data[a+l+k]
	return v, ok
}
func (h *fakeHost) Set(a, l, k, v string) { h.mu.Lock(); h.data[a+l+k] = v; h.mu.Unlock() }
func (h *fakeHost) Protocol(context.Context, string, map[string]any) (map[string]any, error) {
	return nil, nil
}
func (h *fakeHost) SendLine(_ context.Context, s string) error {
	h.sent = append(h.sent, s)
	return nil
}
func (h *fakeHost) SendRaw(_ context.Context, s string) error { return nil }
func (h *fakeHost) Expect(context.Context, []string, time.Duration) (sdk.Match, error) {
	return sdk.Match{Index: 0, Text: "world", Groups: []string{"ld"}}, nil
}

func buildPlugin(t *testing.T) string {
	t.Helper()
	if os.Getenv("LAVACORE_LAB") != "1" {
		t.Skip("builds a plugin binary: set LAVACORE_LAB=1 (make test does)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, Prefix+"testplugin")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/testplugin").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	if _, err := WriteChecksums(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPluginLifecycle(t *testing.T) {
	dir := buildPlugin(t)
	ctx := context.Background()
	h, err := StartAll(ctx, []string{dir}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	p := h.Plugins[0]
	if p.Manifest.Version != "1.2.3" || len(p.Methods) != 1 || p.Methods[0].Info().Key() != "boot/testplugin" {
		t.Fatalf("manifest %+v", p.Manifest)
	}
	m := h.Registry().Methods(sdk.SectionBoot, "testplugin")[0]
	req := sdk.Request{Block: sdk.Block{Section: sdk.SectionBoot, Method: "testplugin"}}
	if ok, _ := m.Accepts(req); !ok {
		t.Fatal("Accepts over the wire")
	}
	spec, err := m.Describe(req)
	if err != nil || spec.Name != "test-boot" || len(spec.Children) != 3 {
		t.Fatalf("Describe: %+v %v", spec, err)
	}
	if d := m.Validate(ctx, req); len(d) != 1 || d[0].Path != "commands" {
		t.Fatalf("Validate: %+v", d)
	}
	// HostServices: log, data, results and the console, through the broker.
	fh := &fakeHost{data: map[string]string{}}
	err = m.Run(ctx, sdk.Call{Request: req, Action: "ok", Level: "1.1"}, fh)
	if sdk.TypeOf(err) != sdk.Job || !strings.Contains(err.Error(), "typed error world") {
		t.Fatalf("typed error lost over the wire: %v (%s)", err, sdk.TypeOf(err))
	}
	if len(fh.logs) != 1 || len(fh.results) != 1 || fh.results[0].Case != `plugin-"value"` || len(fh.sent) != 1 {
		t.Fatalf("host saw logs %v results %v sent %v", fh.logs, fh.results, fh.sent)
	}
	// A deadline travels as the gRPC context.
	start := time.Now()
	tctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	err = m.Run(tctx, sdk.Call{Request: req, Action: "hang", Level: "1.3"}, fh)
	cancel()
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("hang: %v after %s", err, time.Since(start))
	}
	// A crash is an infrastructure error naming the plugin and the action.
	err = m.Run(ctx, sdk.Call{Request: req, Action: "crash", Level: "1.2"}, fh)
	if sdk.TypeOf(err) != sdk.Infrastructure || !strings.Contains(err.Error(), "plugin testplugin") || !strings.Contains(err.Error(), "crash") {
		t.Fatalf("crash: %v (%s)", err, sdk.TypeOf(err))
	}
}

func TestChecksumMismatchRefused(t *testing.T) {
	dir := buildPlugin(t)
	if err := os.WriteFile(filepath.Join(dir, Prefix+"testplugin_SHA256SUM"), []byte("00\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := Discover([]string{dir})
	if len(b) != 1 || !strings.Contains(b[0].Problem, "checksum mismatch") {
		t.Fatalf("%+v", b)
	}
	if _, err := Start(context.Background(), b[0], nil); err == nil {
		t.Fatal("a plugin with a wrong checksum was started")
	}
}

// TestPluginExitsWhenHostDies: a host killed with SIGKILL leaves no plugin behind.
func TestPluginExitsWhenHostDies(t *testing.T) {
	dir := buildPlugin(t)
	if os.Getenv("LAVACORE_TEST_HOST") == "1" {
		return
	}
	// The host is this test binary re-run with TestHelperHost.
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHost$")
	cmd.Env = append(os.Environ(), "LAVACORE_TEST_HOST=1", "LAVACORE_TEST_PLUGINS="+dir)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 256)
	n, _ := out.Read(buf)
	if !strings.Contains(string(buf[:n]), "plugins up") {
		t.Fatalf("helper host said %q", buf[:n])
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if !pluginRunning(dir) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("the plugin was still running 5 s after its host was killed")
}

func TestHelperHost(t *testing.T) {
	if os.Getenv("LAVACORE_TEST_HOST") != "1" {
		t.Skip("helper for TestPluginExitsWhenHostDies")
	}
	h, err := StartAll(context.Background(), []string{os.Getenv("LAVACORE_TEST_PLUGINS")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = h
	os.Stdout.WriteString("plugins up\n")
	time.Sleep(time.Minute)
}

func pluginRunning(dir string) bool {
	out, _ := exec.Command("pgrep", "-f", filepath.Join(dir, Prefix+"testplugin")).Output()
	return len(strings.TrimSpace(string(out))) > 0
}

// TestOutOfTreePlugin builds examples/plugin-hello (its own go.mod), points
// lavacore at it and runs a job that uses its boot method.
func TestOutOfTreePlugin(t *testing.T) {
	if os.Getenv("LAVACORE_LAB") != "1" {
		t.Skip("builds binaries: set LAVACORE_LAB=1 (make test does)")
	}
	root, _ := filepath.Abs("../..")
	dir := t.TempDir()
	build := func(out, pkgDir string, env ...string) {
		cmd := exec.Command("go", "build", "-o", out, ".")
		cmd.Dir = pkgDir
		cmd.Env = append(os.Environ(), env...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", pkgDir, err, b)
		}
	}
	build(filepath.Join(dir, "plugins", Prefix+"hello"), filepath.Join(root, "examples", "plugin-hello"), "GOFLAGS=-mod=mod")
	build(filepath.Join(dir, "lavacore"), filepath.Join(root, "cmd", "lavacore"))
	if _, err := WriteChecksums(filepath.Join(dir, "plugins")); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	cmd := exec.Command(filepath.Join(dir, "lavacore"), "run", "examples/plugin-hello/job.yaml", "--lab", "examples/plugin-hello/lab", "--output-dir", out)
	cmd.Dir = root
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
	dir := buildPlugin(t)
	root, _ := filepath.Abs("../..")
	bin := filepath.Join(t.TempDir(), "lavacore")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/lavacore")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	marker := filepath.Join(t.TempDir(), "cleanup-ran")
	job := filepath.Join(t.TempDir(), "hang.yaml")
	os.WriteFile(job, []byte(`job_name: hang until SIGTERM
device_type: ssh
timeouts: {job: {minutes: 5}}
visibility: public
actions:
- boot: {method: testplugin, mode: hang, marker: `+marker+`}
`), 0o644)
	run := exec.Command(bin, "run", job, "--lab", filepath.Join(root, "examples", "plugin-hello", "lab"), "--output-dir", t.TempDir())
	run.Env = append(os.Environ(), "LAVACORE_PLUGIN_PATH="+dir)
	var out strings.Builder
	run.Stdout, run.Stderr = &out, &out
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "start: 1 test-hang") && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if !pluginRunning(dir) {
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
	time.Sleep(500 * time.Millisecond)
	if pluginRunning(dir) {
		t.Errorf("a plugin process was left behind after SIGTERM")
	}
}

// BenchmarkPluginStart: start a plugin process, handshake (AutoMTLS), read its manifest, stop it.
func BenchmarkPluginStart(b *testing.B) {
	if os.Getenv("LAVACORE_LAB") != "1" {
		b.Skip("set LAVACORE_LAB=1")
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, Prefix+"testplugin")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/testplugin").CombinedOutput(); err != nil {
		b.Fatalf("%v\n%s", err, out)
	}
	WriteChecksums(dir)
	bins := Discover([]string{dir})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := Start(context.Background(), bins[0], nil)
		if err != nil {
			b.Fatal(err)
		}
		(&Host{Plugins: []*Plugin{p}}).Close()
	}
}

// BenchmarkHostRoundTrip: one plugin action that makes host-service calls
// (log, set, get, result, console send and expect) through the broker.
func BenchmarkHostRoundTrip(b *testing.B) {
	if os.Getenv("LAVACORE_LAB") != "1" {
		b.Skip("set LAVACORE_LAB=1")
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, Prefix+"testplugin")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/testplugin").CombinedOutput(); err != nil {
		b.Fatalf("%v\n%s", err, out)
	}
	WriteChecksums(dir)
	h, err := StartAll(context.Background(), []string{dir}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	m := h.Plugins[0].Methods[0]
	fh := &fakeHost{data: map[string]string{}}
	req := sdk.Request{Block: sdk.Block{Section: sdk.SectionBoot, Method: "testplugin"}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = m.Run(context.Background(), sdk.Call{Request: req, Action: "ok"}, fh)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/7, "us/host-call")
}
