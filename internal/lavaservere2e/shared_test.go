package lavaservere2e

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// owner is what the harness needs of the one whose cleanup stops what it starts: a test
// (*testing.T: its workers, devices, jobs) or the package run (pkgRun: the shared server).
type owner interface {
	Helper()
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
	Failed() bool
}

// pkgRun is the package run as an owner: what it starts lives until TestMain's end, where its
// cleanups run (last registered first). Fatalf ends the start in progress (a panic that
// shared.get recovers); Failed is whether the start or any test failed.
type pkgRun struct {
	mu       sync.Mutex
	logf     func(format string, args ...any) // the test that started it, while it does
	cleanups []func()
	failed   bool
}

// fatalStart is pkgRun.Fatalf's panic.
type fatalStart struct{ msg string }

func (p *pkgRun) Helper() {}

func (p *pkgRun) Logf(format string, args ...any) {
	p.mu.Lock()
	logf := p.logf
	p.mu.Unlock()
	if logf != nil {
		logf(format, args...)
		return
	}
	fmt.Fprintf(os.Stderr, "lavaservere2e (shared server): "+format+"\n", args...)
}

func (p *pkgRun) Errorf(format string, args ...any) {
	p.mu.Lock()
	p.failed = true
	p.mu.Unlock()
	p.Logf("ERROR: "+format, args...)
}

func (p *pkgRun) Fatalf(format string, args ...any) {
	p.mu.Lock()
	p.failed = true
	p.mu.Unlock()
	panic(fatalStart{fmt.Sprintf(format, args...)})
}

func (p *pkgRun) Fatal(args ...any) { p.Fatalf("%s", fmt.Sprint(args...)) }

func (p *pkgRun) Cleanup(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cleanups = append(p.cleanups, f)
}

func (p *pkgRun) Failed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failed
}

// end runs the cleanups, last first; failed (a test failed) keeps the logs (service tails on
// stderr, the server's directory).
func (p *pkgRun) end(failed bool) {
	p.mu.Lock()
	p.failed = p.failed || failed
	fs := p.cleanups
	p.cleanups = nil
	p.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}

// sharedServer is the package run's one lava-server and the lavacore installed for it, started
// by the first test that asks and stopped by TestMain.
type sharedServer struct {
	run       pkgRun
	once      sync.Once
	srv       *server
	err       error
	installMu sync.Mutex
	installed map[string]bool // prefixes installLavacore filled in this run
}

// get starts the server on the first call (its log lines in t's log) and returns it; a failed
// start fails every test that asks, with the start's error.
func (h *sharedServer) get(t *testing.T) *server {
	t.Helper()
	h.once.Do(func() {
		h.run.mu.Lock()
		h.run.logf = t.Logf
		h.run.mu.Unlock()
		defer func() {
			h.run.mu.Lock()
			h.run.logf = nil
			h.run.mu.Unlock()
			if r := recover(); r != nil {
				f, ok := r.(fatalStart)
				if !ok {
					panic(r)
				}
				h.err = errors.New(f.msg)
			}
		}()
		h.srv = launchServer(&h.run)
	})
	if h.err != nil {
		t.Fatalf("the package's lava-server did not start: %v", h.err)
	}
	return h.srv
}

// shared is the package run's lava-server. Package-level because TestMain must stop it after the
// last test; nothing but startServer, installLavacore and TestMain touches it.
var shared = sharedServer{installed: map[string]bool{}}

// TestMain stops the shared server (if a test started it) after the last test.
func TestMain(m *testing.M) {
	code := m.Run()
	shared.run.end(code != 0)
	if code == 0 && shared.run.Failed() {
		fmt.Fprintln(os.Stderr, "lavaservere2e: stopping the shared lava-server failed")
		code = 1
	}
	os.Exit(code)
}

// startServer is the package run's lava-server (started by the first test that calls it,
// stopped after the last test): every test shares it, with workers and devices of its own
// (s.unique names them).
func startServer(t *testing.T) *server {
	t.Helper()
	return shared.get(t)
}

// lavacorePrefix is where lavacore (make install, with the hello plugin) is installed for the
// package run: s.dir/prefix, installed by the first test that asks.
func lavacorePrefix(t *testing.T, s *server) string {
	t.Helper()
	prefix := filepath.Join(s.dir, "prefix")
	installLavacore(t, prefix)
	return prefix
}

// requireServerTests skips t unless LAVACORE_LAVA_SERVER=1 (make test sets it).
func requireServerTests(t *testing.T) {
	t.Helper()
	if os.Getenv("LAVACORE_LAVA_SERVER") != "1" {
		t.Skip("needs root and what `make deps` installs (scripts/deps.d/lava-server.apt); set LAVACORE_LAVA_SERVER=1 (make test does)")
	}
}
