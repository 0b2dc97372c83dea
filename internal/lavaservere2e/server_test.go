package lavaservere2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// debianEnv is the environment LAVA's tools run with: Debian's Python first, whatever the
// caller's PATH holds (a python3 without Django breaks every lava-server command).
func debianEnv(extra ...string) []string {
	return append([]string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "HOME=/root"}, extra...)
}

// run runs a command to completion within timeout and returns its stdout.
func run(t owner, timeout time.Duration, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %s: no exit within %s\n%s%s", name, strings.Join(args, " "), timeout, out.String(), errs.String())
	}
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out.String(), errs.String())
	}
	t.Logf("%s %s: %s", filepath.Base(name), strings.Join(args, " "), time.Since(start).Round(10*time.Millisecond))
	return out.String()
}

// manage runs `lava-server manage ARGS`.
func manage(t owner, args ...string) string {
	t.Helper()
	return run(t, 2*time.Minute, debianEnv(), "/usr/bin/lava-server", append([]string{"manage"}, args...)...)
}

// service is a long-running process the test started, in its own process group, its output in a
// log file.
type service struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// start starts a service; the test's cleanup stops it (SIGTERM to its group, SIGKILL after 20 s)
// and, if the test failed, shows the end of its log.
func start(t owner, dir, name string, env []string, argv ...string) *service {
	t.Helper()
	s := &service{name: name, log: filepath.Join(dir, name+".out"), done: make(chan struct{})}
	f, err := os.Create(s.log)
	if err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command(argv[0], argv[1:]...)
	s.cmd.Env = env
	s.cmd.Stdout, s.cmd.Stderr = f, f
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { s.cmd.Wait(); f.Close(); close(s.done) }()
	t.Cleanup(func() {
		s.stop(t)
		if t.Failed() {
			b, _ := os.ReadFile(s.log)
			t.Logf("--- %s (%s), last lines:\n%s", name, s.log, tail(string(b), 40))
		}
	})
	return s
}

func (s *service) stop(t owner) {
	select {
	case <-s.done:
		return
	default:
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		t.Logf("%s: still running 20 s after SIGTERM: SIGKILL to its process group", s.name)
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
	// the group may outlive its leader (gunicorn's workers)
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
}

// waitFor polls check every interval until it says done, failing the test after timeout with
// what it waited for and the last state seen.
func waitFor(t owner, what string, timeout, interval time.Duration, check func() (bool, string)) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	start := time.Now()
	var last string
	for {
		var ok bool
		ok, last = check()
		if ok {
			t.Logf("%s: after %s", what, time.Since(start).Round(100*time.Millisecond))
			return last
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s (last seen: %s)", timeout, what, last)
		}
		time.Sleep(interval)
	}
}

// freePort is a TCP port nothing listens on now.
func freePort(t owner) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// server is a running lava-server: its URL, an admin's REST token, and where its files are.
type server struct {
	url       string // http://127.0.0.1:PORT
	wsURL     string // the publisher's websocket, for lava-worker --ws-url
	token     string
	dir       string
	suffix    string // makes this run's users, workers and devices unique in the database
	startedPG bool
	names     atomic.Int64 // unique's counter
}

// unique is base-SUFFIX-N, a name no other worker or device of this server (or of an earlier
// run's, still in the database) has: the tests share one server.
func (s *server) unique(base string) string {
	return fmt.Sprintf("%s-%s-%d", base, s.suffix, s.names.Add(1))
}

var tokenRE = regexp.MustCompile(`(?m)^\s*(?:Token:\s*)?([A-Za-z0-9]{20,})\s*$`)

// launchServer brings up PostgreSQL (stopped again at the end if it started it), the database
// (dpkg-reconfigure lava-server), the publisher, the HTTP service and the scheduler, and an admin
// user with a token; o's cleanup stops them. Tests get the package run's one server from
// startServer.
func launchServer(t owner) *server {
	t.Helper()
	if os.Getuid() != 0 {
		t.Fatal("the lava-server end-to-end test needs root (it starts PostgreSQL and lava-server's services)")
	}
	for _, f := range []string{"/usr/bin/lava-server", "/usr/bin/lava-worker", "/usr/bin/gunicorn3", "/usr/bin/pg_ctlcluster"} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%s is missing: run `make deps` (scripts/deps.d/lava-server.apt)", f)
		}
	}
	dir, err := os.MkdirTemp("/tmp", "lava-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kept %s (service logs)", dir)
			return
		}
		os.RemoveAll(dir)
	})
	// gunicorn and the scheduler run as lavaserver: they write the event socket here
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ls, err := user.Lookup("lavaserver")
	if err != nil {
		t.Fatalf("lava-server's user: %v", err)
	}
	uid, _ := strconv.Atoi(ls.Uid)
	gid, _ := strconv.Atoi(ls.Gid)
	ev := filepath.Join(dir, "events")
	if err := os.Mkdir(ev, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(ev, uid, gid); err != nil {
		t.Fatal(err)
	}
	s := &server{dir: dir, suffix: strconv.FormatInt(time.Now().Unix(), 36)}

	// PostgreSQL: Debian's cluster, started by hand (no systemd here)
	clusters := run(t, time.Minute, debianEnv(), "/usr/bin/pg_lsclusters", "--no-header")
	ver := ""
	for _, l := range strings.Split(clusters, "\n") {
		if f := strings.Fields(l); len(f) >= 4 && f[1] == "main" {
			ver = f[0]
			if f[3] == "down" {
				run(t, time.Minute, debianEnv(), "/usr/bin/pg_ctlcluster", ver, "main", "start")
				s.startedPG = true
			}
		}
	}
	if ver == "" {
		t.Fatalf("no PostgreSQL cluster 'main' in pg_lsclusters:\n%s", clusters)
	}
	if s.startedPG {
		t.Cleanup(func() {
			cmd := exec.Command("/usr/bin/pg_ctlcluster", ver, "main", "stop")
			cmd.Env = debianEnv()
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("pg_ctlcluster %s main stop: %v\n%s", ver, err, out)
			}
		})
	}
	// the database and its migrations (the package's postinst skipped them while PostgreSQL was down)
	run(t, 5*time.Minute, debianEnv("DEBIAN_FRONTEND=noninteractive"), "/usr/sbin/dpkg-reconfigure", "lava-server")

	httpPort, pubPort, evPort := freePort(t), freePort(t), freePort(t)
	s.url = fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	s.wsURL = fmt.Sprintf("http://127.0.0.1:%d/ws/", pubPort)
	events := debianEnv("LAVA_SETTINGS_EVENT_NOTIFICATION=True",
		"LAVA_SETTINGS_INTERNAL_EVENT_SOCKET=ipc://"+filepath.Join(ev, "lava.events"),
		fmt.Sprintf("LAVA_SETTINGS_EVENT_SOCKET=tcp://127.0.0.1:%d", evPort))
	start(t, dir, "lava-publisher", events, "/usr/bin/lava-server", "manage", "lava-publisher",
		"--level", "DEBUG", "--log-file", filepath.Join(dir, "lava-publisher.log"), "--host", "127.0.0.1", "--port", strconv.Itoa(pubPort))
	start(t, dir, "gunicorn", events, "/usr/bin/gunicorn3", "lava_server.wsgi", "--log-level", "DEBUG",
		"--log-file", filepath.Join(dir, "gunicorn.log"), "-u", "lavaserver", "-g", "lavaserver",
		"--worker-class", "eventlet", "--workers", "2", "--bind", fmt.Sprintf("127.0.0.1:%d", httpPort))
	start(t, dir, "lava-scheduler", events, "/usr/bin/lava-server", "manage", "lava-scheduler",
		"--level", "DEBUG", "--log-file", filepath.Join(dir, "lava-scheduler.log"), "--event-url", fmt.Sprintf("tcp://127.0.0.1:%d", evPort))
	waitFor(t, "lava-server's HTTP service to answer "+s.url+"/api/v0.2/", time.Minute, 500*time.Millisecond, func() (bool, string) {
		resp, err := http.Get(s.url + "/api/v0.2/")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == 200, resp.Status
	})

	admin := "e2e-admin-" + s.suffix
	manage(t, "users", "add", "--superuser", "--staff", "--passwd", "e2e-"+s.suffix, admin)
	s.token = parseToken(t, manage(t, "tokens", "add", "--user", admin))
	return s
}

func parseToken(t owner, out string) string {
	t.Helper()
	m := tokenRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no token in:\n%s", out)
	}
	return m[1]
}

// api calls the REST API with the admin's token and decodes a JSON answer into v (nil: none).
func (s *server) api(method, path string, body any, v any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.url+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Token "+s.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c := http.Client{Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, tail(string(b), 20))
	}
	if v == nil {
		return nil
	}
	if s, ok := v.(*string); ok {
		*s = string(b)
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s %s: %w: %s", method, path, err, tail(string(b), 5))
	}
	return nil
}
