package lavaservere2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// repoRoot is the checkout this package lives in.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// installLavacore runs `make install PREFIX=prefix` (lavacore, its plugins, the lava-run link)
// and adds the out-of-tree hello plugin (examples/plugin-hello) beside lavacore's own plugins;
// once per prefix in a package run (the tests share the server's, lavacorePrefix).
func installLavacore(t *testing.T, prefix string) {
	t.Helper()
	shared.installMu.Lock()
	defer shared.installMu.Unlock()
	if shared.installed[prefix] {
		return
	}
	root := repoRoot(t)
	run(t, 10*time.Minute, os.Environ(), "make", "-C", root, "--no-print-directory", "install", "PREFIX="+prefix)
	hello := filepath.Join(prefix, "hello-plugin")
	cmd := exec.Command("go", "build", "-o", hello, ".")
	cmd.Dir = filepath.Join(root, "examples", "plugin-hello")
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build examples/plugin-hello: %v\n%s", err, out)
	}
	run(t, time.Minute, os.Environ(), filepath.Join(prefix, "bin", "lavacore"), "plugins", "install", hello, filepath.Join(prefix, "lib", "lavacore", "plugins"))
	shared.installed[prefix] = true
}

// worker is a lava-worker registered in the server and running.
type worker struct {
	name  string
	dir   string
	token string
	proc  *service
}

// startWorker registers a worker whose jobs get PATH=path first (its
// /etc/lava-server/dispatcher.d/NAME/env.yaml) and starts Debian's lava-worker for it.
func startWorker(t *testing.T, s *server, name, path string) *worker {
	t.Helper()
	// The worker stays in the database (Offline once stopped): 2023.01's
	// `manage workers update --health` fails (Worker.go_health_retired() missing 'user').
	token := parseToken(t, manage(t, "workers", "add", name))
	w := &worker{name: name, dir: filepath.Join(s.dir, "worker-"+name), token: token}
	envDir := filepath.Join("/etc/lava-server/dispatcher.d", name)
	if err := os.MkdirAll(envDir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(envDir) })
	w.setPath(t, path)
	w.start(t, s, "lava-worker-"+name)
	return w
}

// start starts Debian's lava-worker for w (again, after a kill: same name, token and
// worker directory, whose jobs database it reads) and waits for the server to see it Online.
func (w *worker) start(t *testing.T, s *server, logName string) {
	t.Helper()
	w.proc = start(t, s.dir, logName, debianEnv(), "/usr/bin/lava-worker", "--name", w.name,
		"--url", s.url+"/", "--token", w.token, "--worker-dir", w.dir, "--ws-url", s.wsURL,
		"--level", "DEBUG", "--log-file", filepath.Join(s.dir, logName+".log"))
	waitFor(t, "worker "+w.name+" Online in /api/v0.2/workers/", time.Minute, 500*time.Millisecond, func() (bool, string) {
		var v struct {
			State  string `json:"state"`
			Health string `json:"health"`
		}
		if err := s.api("GET", "/api/v0.2/workers/"+w.name+"/", nil, &v); err != nil {
			return false, err.Error()
		}
		return v.State == "Online", v.State + "/" + v.Health
	})
}

// setPath sets the PATH the worker's next jobs get (the server reads
// /etc/lava-server/dispatcher.d/NAME/env.yaml at each job): the directory whose lava-run they
// start comes first.
func (w *worker) setPath(t *testing.T, first string) {
	t.Helper()
	env := fmt.Sprintf("purge: true\noverrides:\n  LC_ALL: C.UTF-8\n  LANG: C\n  PATH: %s:/usr/local/bin:/usr/local/sbin:/bin:/usr/bin:/usr/sbin:/sbin\n", first)
	if err := os.WriteFile(filepath.Join("/etc/lava-server/dispatcher.d", w.name, "env.yaml"), []byte(env), 0o644); err != nil {
		t.Fatal(err)
	}
}

// setDispatcher writes the worker's dispatcher.yaml (/etc/lava-server/dispatcher.d/NAME/,
// which the server sends with each job).
func (w *worker) setDispatcher(t *testing.T, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join("/etc/lava-server/dispatcher.d", w.name, "dispatcher.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// addDevice registers a device of deviceType on w with the given dictionary (the lines after
// its {% extends %}); it is retired at the end.
func addDevice(t *testing.T, w *worker, deviceType, name, dict string) {
	t.Helper()
	known := false
	for _, l := range strings.Split(manage(t, "device-types", "list"), "\n") {
		for _, f := range strings.Fields(l) {
			known = known || f == deviceType
		}
	}
	if !known {
		manage(t, "device-types", "add", deviceType)
	}
	file := filepath.Join("/etc/lava-server/dispatcher-config/devices", name+".jinja2")
	if err := os.WriteFile(file, []byte("{% extends '"+deviceType+".jinja2' %}\n"+dict), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(file) })
	manage(t, "devices", "add", "--device-type", deviceType, "--worker", w.name, name)
	t.Cleanup(func() {
		cmd := exec.Command("/usr/bin/lava-server", "manage", "devices", "update", "--health", "RETIRED", name)
		cmd.Env = debianEnv()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("retire device %s: %v\n%s", name, err, out)
		}
	})
}

// jobState is /api/v0.2/jobs/ID/.
type jobState struct {
	ID             int    `json:"id"`
	State          string `json:"state"`
	Health         string `json:"health"`
	ActualDevice   string `json:"actual_device"`
	StartTime      string `json:"start_time"`
	EndTime        string `json:"end_time"`
	SubmitTime     string `json:"submit_time"`
	FailureComment string `json:"failure_comment"`
}

// submit submits a job definition through the REST API and waits for it to finish.
func submit(t *testing.T, s *server, definition string, timeout time.Duration) jobState {
	t.Helper()
	return wait(t, s, submitOnly(t, s, definition), timeout)
}

// submitOnly submits a job definition through the REST API: its id.
func submitOnly(t *testing.T, s *server, definition string) int {
	t.Helper()
	var sub struct {
		JobIDs []int `json:"job_ids"`
	}
	if err := s.api("POST", "/api/v0.2/jobs/", map[string]string{"definition": definition}, &sub); err != nil {
		t.Fatalf("submit: %v", err)
	}
	if len(sub.JobIDs) != 1 {
		t.Fatalf("submit: job ids %v", sub.JobIDs)
	}
	return sub.JobIDs[0]
}

// wait waits for job id to be Finished.
func wait(t *testing.T, s *server, id int, timeout time.Duration) jobState {
	t.Helper()
	var js jobState
	waitFor(t, fmt.Sprintf("job %d to be Finished in /api/v0.2/jobs/%d/", id, id), timeout, time.Second, func() (bool, string) {
		if err := s.api("GET", fmt.Sprintf("/api/v0.2/jobs/%d/", id), nil, &js); err != nil {
			return false, err.Error()
		}
		return js.State == "Finished", js.State + "/" + js.Health
	})
	return js
}

// testCase is one of /api/v0.2/jobs/ID/tests/.
type testCase struct {
	Name   string `json:"name"`
	Result string `json:"result"`
	Suite  any    `json:"suite"`
}

func jobTests(t *testing.T, s *server, id int) []testCase {
	t.Helper()
	var page struct {
		Results []testCase `json:"results"`
	}
	if err := s.api("GET", fmt.Sprintf("/api/v0.2/jobs/%d/tests/?limit=1000", id), nil, &page); err != nil {
		t.Fatal(err)
	}
	return page.Results
}

func jobLog(t *testing.T, s *server, id int) string {
	t.Helper()
	var log string
	if err := s.api("GET", fmt.Sprintf("/api/v0.2/jobs/%d/logs/", id), nil, &log); err != nil {
		t.Fatal(err)
	}
	return log
}

// The out-of-tree hello plugin's job (a boot method no LAVA dispatcher knows, on an ssh device
// that needs no board) submitted to Debian's lava-server runs under Debian's lava-worker with
// lavacore as lava-run, and the server shows it Complete with lavacore's log and its results.
func TestLavaServerRunsHelloJobWithLavacore(t *testing.T) {
	requireServerTests(t)
	s := startServer(t)
	prefix := lavacorePrefix(t, s)
	w := startWorker(t, s, s.unique("e2e-worker"), filepath.Join(prefix, "bin"))
	device := s.unique("e2e-hello")
	addDevice(t, w, "ssh", device, "{% set ssh_host = 'localhost' %}\n")

	job, err := os.ReadFile(filepath.Join(repoRoot(t), "examples", "plugin-hello", "job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	js := submit(t, s, string(job), 3*time.Minute)
	log := jobLog(t, s, js.ID)
	if left := leftovers(prefix); len(left) > 0 {
		t.Errorf("job %d is Finished but lavacore's processes still run: %v", js.ID, left)
	}
	if js.Health != "Complete" || js.ActualDevice != device {
		t.Fatalf("job %d: %s on %q (%s)\nlog:\n%s", js.ID, js.Health, js.ActualDevice, js.FailureComment, tail(log, 40))
	}
	t.Logf("job %d: submitted %s, started %s, ended %s", js.ID, js.SubmitTime, js.StartTime, js.EndTime)
	// The device file the server renders has no hostname (LAVA's lava-run never learns the
	// device's name either), so lavacore calls it "device".
	if want := fmt.Sprintf("hello, lavacore, from job %d on device", js.ID); !strings.Contains(log, want) {
		t.Errorf("the server's log of job %d lacks %q:\n%s", js.ID, want, tail(log, 40))
	}
	tests := jobTests(t, s, js.ID)
	pass := false
	for _, c := range tests {
		if c.Name == "job" && c.Result == "pass" {
			pass = true
		}
	}
	if !pass {
		t.Errorf("job %d: no passing lava/job test case in /api/v0.2/jobs/%d/tests/: %+v", js.ID, js.ID, tests)
	}
	t.Logf("job %d: %d test cases: %+v", js.ID, len(tests), tests)
}
