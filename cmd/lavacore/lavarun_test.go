package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/lavacore/lavacore/core/pluginhost"
)

// lava-run through a symlink is `lavacore lava-run`.
func TestAsLavaRun(t *testing.T) {
	tests := []struct {
		argv0 string
		args  []string
		want  string
	}{
		{"/usr/local/bin/lava-run", []string{"--job-id=1"}, "lava-run --job-id=1"},
		{"lava-run", nil, "lava-run"},
		{"/usr/bin/lavacore", []string{"run", "job.yaml"}, "run job.yaml"},
		{"lava-run-old", []string{"x"}, "x"},
	}
	for _, tt := range tests {
		if got := strings.Join(asLavaRun(tt.argv0, tt.args), " "); got != tt.want {
			t.Errorf("asLavaRun(%q, %q) = %q, want %q", tt.argv0, tt.args, got, tt.want)
		}
	}
}

// logServer is lava-server's log endpoint, recording what it is sent.
type logServer struct {
	*httptest.Server
	mu     sync.Mutex
	paths  []string
	tokens []string
	lines  []string
}

func newLogServer(t *testing.T) *logServer {
	s := &logServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.ParseForm() != nil || r.PostForm.Get("index") == "" {
			http.Error(w, `{"error": "Missing 'index'"}`, 400)
			return
		}
		l := r.PostForm.Get("lines")
		s.mu.Lock()
		s.paths = append(s.paths, r.URL.Path)
		s.tokens = append(s.tokens, r.Header.Get("LAVA-Token"))
		s.lines = append(s.lines, l)
		s.mu.Unlock()
		fmt.Fprintf(w, `{"line_count": %d}`, strings.Count(l, "\n- ")+1)
	}))
	t.Cleanup(s.Close)
	return s
}

// helloWorkerDir is what lava-worker writes for the hello job.
func helloWorkerDir(t *testing.T, url string) (dir string, args []string) {
	t.Helper()
	dir = t.TempDir()
	job, err := os.ReadFile(filepath.Join("..", "..", "examples", "plugin-hello", "job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	w := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w("job.yaml", append(job, "compatibility: 2\n"...)) // as lava-server writes it
	w("device.yaml", []byte("hostname: hello-01\ndevice_type: ssh\nactions:\n  deploy:\n    methods:\n      ssh:\n        host: localhost\n        port: 22\n        user: root\n  boot:\n    methods:\n      ssh:\n"))
	w("dispatcher.yaml", []byte("dispatcher_ip: 127.0.0.1\n"))
	// lava-worker's exact command line (lava_dispatcher/worker.py)
	return dir, []string{"--device=" + filepath.Join(dir, "device.yaml"), "--dispatcher=" + filepath.Join(dir, "dispatcher.yaml"),
		"--output-dir=" + dir, "--job-id=42", "--url=" + url, "--token=job-token", "--job-log-interval=1", filepath.Join(dir, "job.yaml")}
}

// The out-of-tree hello plugin's job runs under `lava-run` (a symlink to
// lavacore, started with the worker's command line) against a server that
// records the log POSTs: exit 0, result.yaml and description.yaml where the
// worker reads them, the whole log.yaml on the server with the job's token.
func TestLavaRunHelloUnderAWorkerCommandLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds lavacore and examples/plugin-hello (not with -short)")
	}
	build := t.TempDir()
	for _, b := range []struct{ dir, out string }{
		{filepath.Join("..", "..", "examples", "plugin-hello"), filepath.Join(build, "hello-plugin")},
		{".", filepath.Join(build, "lavacore")},
	} {
		cmd := exec.Command("go", "build", "-o", b.out, ".")
		cmd.Dir = b.dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", b.dir, err, out)
		}
	}
	mine := t.TempDir()
	if code, out, errs := describeCLI("plugins", "install", filepath.Join(build, "hello-plugin"), mine); code != 0 {
		t.Fatalf("plugins install: exit %d: %s%s", code, out, errs)
	}
	if err := os.Symlink(filepath.Join(build, "lavacore"), filepath.Join(build, "lava-run")); err != nil {
		t.Fatal(err)
	}
	srv := newLogServer(t)
	dir, args := helloWorkerDir(t, srv.URL)
	cmd := exec.Command(filepath.Join(build, "lava-run"), args...)
	cmd.Env = append(os.Environ(), pluginhost.PathEnv+"="+mine+string(os.PathListSeparator)+os.Getenv(pluginhost.PathEnv))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("lava-run: %v\n%s", err, out)
	}
	res, _ := os.ReadFile(filepath.Join(dir, "result.yaml"))
	if string(res) != "case: job\ndefinition: lava\nresult: pass\n" {
		t.Errorf("result.yaml:\n%s", res)
	}
	if desc, _ := os.ReadFile(filepath.Join(dir, "description.yaml")); !strings.HasPrefix(string(desc), "compatibility: 2\npipeline:\n- class: HelloBoot\n") {
		t.Errorf("description.yaml:\n%s", desc)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for i := range srv.paths {
		if srv.paths[i] != "/scheduler/internal/v1/jobs/42/logs/" || srv.tokens[i] != "job-token" {
			t.Errorf("POST %d to %s with token %q", i, srv.paths[i], srv.tokens[i])
		}
	}
	logYAML, _ := os.ReadFile(filepath.Join(dir, "lavacore", "log.yaml"))
	got := strings.Join(srv.lines, "\n") + "\n"
	if got != string(logYAML) || !strings.Contains(got, "hello, lavacore, from job 42 on hello-01") {
		t.Errorf("the server got:\n%s\nlog.yaml:\n%s", got, logYAML)
	}
}

// `lavacore lava-run` is a command: a bad command line exits 2 with
// argparse's words.
func TestLavaRunCommandUsage(t *testing.T) {
	code, _, errs := describeCLI("lava-run", "--job-id=1")
	if code != 2 || !strings.Contains(errs, "lava-run: error: the following arguments are required: --output-dir, --device, definition") {
		t.Errorf("exit %d: %s", code, errs)
	}
}
