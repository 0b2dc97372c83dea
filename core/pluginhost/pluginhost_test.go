package pluginhost

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lavacore/lavacore/sdk"
)

// binDir holds the plugin binaries the tests build, once, when the first
// test needs them (not under -short).
var (
	binDir    string
	buildOnce sync.Once
	buildErr  error
)

// childPrefix names the children the test plugin starts (argv[0]).
const childPrefix = "lavacore-pluginhost-test-child-"

func TestMain(m *testing.M) {
	code := m.Run()
	if lavacorePath != "" {
		os.RemoveAll(filepath.Dir(lavacorePath))
	}
	if binDir != "" && os.Getenv("LAVACORE_TEST_HOST") != "1" {
		// No test may leave a plugin or a plugin's child behind: what is
		// being killed gets up to 10 s to go.
		left := leftovers(binDir)
		for deadline := time.Now().Add(10 * time.Second); len(left) > 0 && time.Now().Before(deadline); left = leftovers(binDir) {
			time.Sleep(50 * time.Millisecond)
		}
		if len(left) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: processes left behind 10s after the tests:\n  %s\n", strings.Join(left, "\n  "))
			code = 1
		}
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildPlugins builds the test plugin and lavacore's multinode plugin into dir/plugins.
func buildPlugins(dir string) error {
	pd := filepath.Join(dir, "plugins")
	for name, pkg := range map[string]string{
		"testplugin": "./testdata/testplugin",
		"multinode":  "../../protocols/multinode/cmd/lavacore-plugin-multinode",
	} {
		if _, err := os.Stat(pkg); err != nil {
			continue
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(pd, Prefix+name), pkg).CombinedOutput()
		if err != nil {
			return fmt.Errorf("build %s: %v\n%s", pkg, err, out)
		}
	}
	_, err := RecordDir(context.Background(), pd)
	return err
}

func needBinaries(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds plugin binaries (not with -short)")
	}
	if dir := os.Getenv("LAVACORE_TEST_PLUGINS"); dir != "" {
		return dir // the helper host
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pluginhost-test-")
		if err == nil {
			binDir = dir
			err = buildPlugins(dir)
		}
		buildErr = err
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "plugins")
}

// leftovers lists live processes that run a binary of dir or are a test child.
func leftovers(dir string) []string {
	ents, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		stat, _ := os.ReadFile("/proc/" + e.Name() + "/stat")
		if i := strings.LastIndexByte(string(stat), ')'); i > 0 && strings.HasPrefix(string(stat[i+1:]), " Z") {
			continue // a zombie has no process left to kill
		}
		exe, _ := os.Readlink("/proc/" + e.Name() + "/exe")
		cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if strings.HasPrefix(exe, dir) || strings.Contains(string(cmdline), childPrefix) {
			out = append(out, fmt.Sprintf("%d %s %q", pid, exe, cmdline))
		}
	}
	return out
}

// alive reports whether a process named s (argv[0]) runs.
func alive(s string) bool {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, _ := os.ReadFile("/proc/" + e.Name() + "/stat")
		if i := strings.LastIndexByte(string(stat), ')'); i > 0 && strings.HasPrefix(string(stat[i+1:]), " Z") {
			continue
		}
		cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if argv0, _, _ := strings.Cut(string(cmdline), "\x00"); argv0 == s {
			return true
		}
	}
	return false
}

func waitAlive(t *testing.T, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !alive(what) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 10s waiting for %s to start", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitGone(t *testing.T, what string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for alive(what) {
		if time.Now().After(deadline) {
			for _, l := range leftovers(binDir) {
				f := strings.Fields(l)
				env, err := os.ReadFile("/proc/" + f[0] + "/environ")
				stat, _ := os.ReadFile("/proc/" + f[0] + "/stat")
				t.Logf("left: %s\n  stat %s\n  env has mark: %v %v", l, stat, strings.Contains(string(env), InstanceEnv), err)
			}
			t.Fatalf("timed out after %s waiting for %s to go: it still runs", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fakeHost records what a plugin asks of the host; its console prints "world"
// and prompts, and streams endless bytes.
type fakeHost struct {
	mu      sync.Mutex
	logs    []string
	results []sdk.Result
	data    map[string]string
	sent    []string
	proto   map[string]sdk.Protocol
}

func newFakeHost() *fakeHost { return &fakeHost{data: map[string]string{}} }

func (h *fakeHost) Console(context.Context) (sdk.Console, error) { return h, nil }
func (h *fakeHost) OpenConsole(context.Context, sdk.ConsoleSpec) (sdk.Console, error) {
	return h, nil
}
func (h *fakeHost) CloseConsole(context.Context) error  { return nil }
func (h *fakeHost) Power(context.Context, string) error { return nil }
func (h *fakeHost) Log(l sdk.LogLevel, m string) error {
	h.mu.Lock()
	h.logs = append(h.logs, m)
	h.mu.Unlock()
	return nil
}
func (h *fakeHost) Result(r sdk.Result) error {
	h.mu.Lock()
	h.results = append(h.results, r)
	h.mu.Unlock()
	return nil
}
func (h *fakeHost) Get(a, l, k string) (string, bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.data[a+"/"+l+"/"+k]
	return v, ok, nil
}
func (h *fakeHost) Set(a, l, k, v string) error {
	h.mu.Lock()
	h.data[a+"/"+l+"/"+k] = v
	h.mu.Unlock()
	return nil
}
func (h *fakeHost) Protocol(ctx context.Context, name string, req map[string]any) (map[string]any, error) {
	p, ok := h.proto[name]
	if !ok {
		return nil, sdk.JobErrorf("no protocol %s", name)
	}
	return p.Call(ctx, req)
}
func (h *fakeHost) SendLine(_ context.Context, s string) error {
	h.mu.Lock()
	h.sent = append(h.sent, s)
	h.mu.Unlock()
	return nil
}
func (h *fakeHost) SendRaw(_ context.Context, s string) error { return nil }
func (h *fakeHost) Expect(ctx context.Context, ps []string, timeout time.Duration) (sdk.Match, error) {
	if ps[0] == "login:" {
		<-ctx.Done()
		return sdk.Match{}, sdk.JobErrorf("waited for %q; the console's last line: \"U-Boot 2024.01\"", ps)
	}
	return sdk.Match{Index: 0, Text: "world", Groups: []string{"ld"}}, nil
}

// Stream implements sdk.Streamer with endless console output.
func (h *fakeHost) Stream(ctx context.Context) (io.ReadCloser, error) {
	return io.NopCloser(endless{}), nil
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a' + byte(i%26)
	}
	return len(p), nil
}

var bootReq = sdk.Request{Block: sdk.Block{Section: sdk.SectionBoot, Method: "testplugin"}}

func callOf(action string, params map[string]any) sdk.Call {
	r := bootReq
	r.Block.Params = params
	return sdk.Call{Request: r, Action: action, Level: "1.1"}
}

func startTest(t *testing.T) (*Host, sdk.Method) {
	t.Helper()
	dir := needBinaries(t)
	h, err := StartAll(context.Background(), []string{dir}, Options{Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	ms := h.Registry().Methods(sdk.SectionBoot, "testplugin")
	if len(ms) != 1 {
		t.Fatalf("methods %v", h.Registry().All())
	}
	return h, ms[0]
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func TestLifecycle(t *testing.T) {
	h, m := startTest(t)
	var p *Plugin
	for _, x := range h.Plugins {
		if x.Binary.Name == "testplugin" {
			p = x
		}
	}
	if p.Manifest.Version != "1.2.3" || p.Manifest.APIVersion != int(sdk.Handshake.ProtocolVersion) ||
		len(p.Manifest.Protocols) != 1 || m.Info().DeviceSpec == nil || m.Info().DeviceSpec.Attrs[0].Name != "prompt" {
		t.Fatalf("manifest %+v", p.Manifest)
	}
	ctx := context.Background()
	if ok, _ := m.Accepts(bootReq); !ok {
		t.Fatal("Accepts over the wire")
	}
	spec, err := m.Describe(bootReq)
	if err != nil || spec.Name != "test-boot" || len(spec.Children) != 3 {
		t.Fatalf("Describe: %+v %v", spec, err)
	}
	if d := m.Validate(ctx, bootReq); len(d) != 1 || d[0].Path != "commands" {
		t.Fatalf("Validate: %+v", d)
	}
	// HostServices: log, data, results and the console, through the broker.
	fh := newFakeHost()
	err = m.Run(ctx, callOf("ok", nil), fh)
	if sdk.TypeOf(err) != sdk.Job || err.Error() != "typed error world" {
		t.Fatalf("typed error lost over the wire: %v (%s)", err, sdk.TypeOf(err))
	}
	if len(fh.logs) != 1 || len(fh.results) != 1 || fh.results[0].Case != `plugin-"value"` || len(fh.sent) != 1 {
		t.Fatalf("host saw logs %v results %v sent %v", fh.logs, fh.results, fh.sent)
	}
	// A protocol client from the plugin, called by a method through the host.
	pr, err := h.Protocol("counter")
	if err != nil {
		t.Fatal(err)
	}
	fh.proto = map[string]sdk.Protocol{"counter": pr}
	for i := 0; i < 2; i++ {
		if err := m.Run(ctx, callOf("protocol", nil), fh); err != nil {
			t.Fatal(err)
		}
	}
	if got := fh.logs[len(fh.logs)-1]; got != "2" {
		t.Errorf("protocol count %q, want 2", got)
	}
	if _, err := h.Protocol("nope"); err == nil {
		t.Error("a protocol nobody serves")
	}
}

// TestDeadline: the action's deadline reaches the plugin as its context, and
// the method's own error (what it waited for, the console's last line) comes
// back; a plugin that ignores its deadline is abandoned after the grace.
func TestDeadline(t *testing.T) {
	_, m := startTest(t)
	fh := newFakeHost()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	err := m.Run(ctx, callOf("wait-prompt", nil), fh)
	cancel()
	if sdk.TypeOf(err) != sdk.Job || !strings.Contains(err.Error(), `the console's last line: "U-Boot 2024.01"`) {
		t.Fatalf("wait-prompt: %v (%s)", err, sdk.TypeOf(err))
	}
	start := time.Now()
	ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
	err = m.Run(ctx, callOf("hang", nil), fh)
	cancel()
	// Abandoned after the grace: not before it, and within seconds of it
	// (a sanity bound a loaded machine meets).
	if took := time.Since(start); err != context.DeadlineExceeded || took < sdk.CallGrace || took > sdk.CallGrace+10*time.Second {
		t.Fatalf("hang: %v after %s", err, took)
	}
	// Cancellation (Ctrl-C) does not wait for the grace: with an hour's
	// deadline, the call still ends within seconds of the cancel.
	ctx, cancel = context.WithTimeout(context.Background(), time.Hour)
	cancelled := make(chan time.Time, 1)
	time.AfterFunc(200*time.Millisecond, func() { cancelled <- time.Now(); cancel() })
	err = m.Run(ctx, callOf("hang", nil), fh)
	if took := time.Since(<-cancelled); err != context.Canceled || took > 10*time.Second {
		t.Fatalf("cancel: %v %s after the cancel", err, took)
	}
}

// TestCrash: a crash is an infrastructure error naming the plugin, the
// action, its exit status and its stderr; the action's Cleanup still runs
// (in a new plugin process), and the children of the dead one are killed.
func TestCrash(t *testing.T) {
	h, m := startTest(t)
	p := h.Plugins[len(h.Plugins)-1]
	pid := p.Pid()
	fh := newFakeHost()
	child := childPrefix + "crash"
	if err := m.Run(context.Background(), callOf("spawn", map[string]any{"child": child}), fh); err != nil {
		t.Fatal(err)
	}
	waitAlive(t, child)
	err := m.Run(context.Background(), callOf("crash", nil), fh)
	for _, want := range []string{"plugin testplugin", "crashed during run of action crash", "exit status 3", "testplugin: crashing on purpose"} {
		if !strings.Contains(fmt.Sprint(err), want) {
			t.Errorf("crash error %q lacks %q", err, want)
		}
	}
	if sdk.TypeOf(err) != sdk.Infrastructure {
		t.Errorf("crash error type %s", sdk.TypeOf(err))
	}
	marker := filepath.Join(t.TempDir(), "cleanup")
	if err := m.Cleanup(context.Background(), callOf("crash", map[string]any{"marker": marker}), fh); err != nil {
		t.Fatalf("cleanup after a crash: %v", err)
	}
	if b, err := os.ReadFile(marker); err != nil || string(b) != "cleanup ran crash\n" {
		t.Fatalf("cleanup did not run: %v %q", err, b)
	}
	if p.Pid() == pid || p.Pid() == 0 {
		t.Errorf("the plugin was not started again (pid %d, was %d)", p.Pid(), pid)
	}
	waitGone(t, child, 10*time.Second)
}

// TestChildGroupKilledInCleanup: a child started with sdk.Command runs in its
// own process group and the plugin's Cleanup kills the group.
func TestChildGroupKilledInCleanup(t *testing.T) {
	h, m := startTest(t)
	fh := newFakeHost()
	child := childPrefix + "cleanup"
	call := callOf("spawn", map[string]any{"child": child})
	if err := m.Run(context.Background(), call, fh); err != nil {
		t.Fatal(err)
	}
	waitAlive(t, child)
	waitAlive(t, child+"-grandchild")
	pid, _ := strconv.Atoi(fh.data["spawn/child/pid"])
	pgid, err := syscall.Getpgid(pid)
	if err != nil || pgid != pid {
		t.Errorf("the child's process group is %d (%v), want its own (%d)", pgid, err, pid)
	}
	var plugin *Plugin
	for _, p := range h.Plugins {
		if p.Binary.Name == "testplugin" {
			plugin = p
		}
	}
	if ppgid, _ := syscall.Getpgid(plugin.Pid()); ppgid == pgid {
		t.Errorf("the child shares the plugin's process group")
	}
	if marked := Marked(plugin.Instance()); len(marked) != 3 {
		for _, pid := range marked {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			t.Logf("marked: %d %q", pid, b)
		}
		t.Errorf("%d processes carry the plugin's mark, want 3 (the plugin, its child and grandchild)", len(marked))
	}
	if err := m.Cleanup(context.Background(), call, fh); err != nil {
		t.Fatal(err)
	}
	waitGone(t, child, 10*time.Second) // the child and the grandchild
}

// TestCloseKillsLeftovers: children a plugin never cleaned up die with it.
func TestCloseKillsLeftovers(t *testing.T) {
	h, m := startTest(t)
	child := childPrefix + "close"
	if err := m.Run(context.Background(), callOf("spawn", map[string]any{"child": child}), newFakeHost()); err != nil {
		t.Fatal(err)
	}
	h.Close()
	waitGone(t, child, 10*time.Second)
	for _, p := range h.Plugins {
		if !p.Exited() {
			t.Errorf("plugin %s still runs after Close", p.Binary.Name)
		}
	}
}

// TestHostKilled: a host killed with SIGKILL leaves no plugin (and no
// plugin's child) behind: plugins check their parent every 250 ms, so they
// go within a second; the test allows 10 s for a loaded machine.
func TestHostKilled(t *testing.T) {
	dir := needBinaries(t)
	child := childPrefix + "host-killed"
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHost$")
	cmd.Env = append(os.Environ(), "LAVACORE_TEST_HOST=1", "LAVACORE_TEST_PLUGINS="+dir, "LAVACORE_TEST_CHILD="+child)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if !strings.HasPrefix(line, "plugins up") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper host said %q", line)
	}
	waitAlive(t, child)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	killed := time.Now()
	deadline := killed.Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if len(leftovers(binDir)) == 0 {
			t.Logf("plugins and children gone %s after the host was killed", time.Since(killed).Round(time.Millisecond))
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out after 10s waiting for the plugins and children to go after the host was killed:\n%s", strings.Join(leftovers(binDir), "\n"))
}

func TestHelperHost(t *testing.T) {
	if os.Getenv("LAVACORE_TEST_HOST") != "1" {
		t.Skip("helper for TestHostKilled")
	}
	h, err := StartAll(context.Background(), []string{needBinaries(t)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := h.Registry().Methods(sdk.SectionBoot, "testplugin")[0]
	if err := m.Run(context.Background(), callOf("spawn", map[string]any{"child": os.Getenv("LAVACORE_TEST_CHILD")}), newFakeHost()); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("plugins up\n")
	time.Sleep(time.Minute)
}

func TestChecksumMismatchRefused(t *testing.T) {
	src := needBinaries(t)
	dir := t.TempDir()
	copyFile(t, filepath.Join(src, Prefix+"testplugin"), filepath.Join(dir, Prefix+"testplugin"))
	if err := os.WriteFile(filepath.Join(dir, Prefix+"testplugin"+ChecksumSuffix), []byte("00\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := Discover([]string{dir})
	if len(b) != 1 || !strings.Contains(b[0].Problem, "checksum mismatch") || b[0].ChecksumOK {
		t.Fatalf("%+v", b)
	}
	if _, err := Start(context.Background(), b[0], Options{}); err == nil {
		t.Fatal("a plugin with a wrong checksum was started")
	}
	// The file changes after discovery: go-plugin's SecureConfig refuses it.
	WriteChecksums(dir)
	b = Discover([]string{dir})
	f, _ := os.OpenFile(b[0].Path, os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte("tampered"))
	f.Close()
	if _, err := Start(context.Background(), b[0], Options{}); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("a tampered plugin: %v", err)
	}
}

// TestHandshakeFailure: a binary that is no lavacore plugin fails the
// handshake, and the error quotes its stderr.
func TestHandshakeFailure(t *testing.T) {
	needBinaries(t)
	dir := t.TempDir()
	script := filepath.Join(dir, Prefix+"broken")
	os.WriteFile(script, []byte("#!/bin/sh\necho 'broken: cannot open /dev/ttyUSB9' >&2\necho not a handshake\nexit 4\n"), 0o755)
	WriteChecksums(dir)
	_, err := Start(context.Background(), Discover([]string{dir})[0], Options{StartTimeout: 5 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "handshake failed") || !strings.Contains(err.Error(), "cannot open /dev/ttyUSB9") {
		t.Fatalf("%v", err)
	}
}

// TestHandshakeOldAPIVersion: a plugin binary built for an older plugin API
// is refused at the handshake with both versions named.
func TestHandshakeOldAPIVersion(t *testing.T) {
	dir := t.TempDir()
	old := apiVersion() - 1
	script := filepath.Join(dir, Prefix+"old")
	os.WriteFile(script, []byte(fmt.Sprintf("#!/bin/sh\necho '1|%d|unix|%s/none.sock|grpc|'\nexec sleep 30\n", old, dir)), 0o755)
	WriteChecksums(dir)
	_, err := Start(context.Background(), Discover([]string{dir})[0], Options{StartTimeout: 10 * time.Second})
	want := fmt.Sprintf("incompatible API version with plugin. Plugin version: %d, Client versions: [%d]", old, apiVersion())
	if err == nil || !strings.Contains(err.Error(), "handshake failed") || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want a handshake failure naming %q", err, want)
	}
}
