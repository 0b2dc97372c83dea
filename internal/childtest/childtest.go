// Package childtest runs a test in a child process with limited memory, for
// regression tests of attacks that, on code without the fix, exhaust memory
// or overflow the stack: the child dies, the machine and the parent test do
// not.
package childtest

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// env names the test a re-executed test binary runs.
const env = "LAVACORE_CHILD_TEST"

// Memory is the data segment a child gets (RLIMIT_DATA): plenty for
// lavacore, a few seconds of an unchecked YAML bomb.
const Memory = 1 << 30

// Run runs the calling test in a child process (the same test binary, only
// this test) limited to Memory bytes of data. It returns true in the child,
// where the test body then runs, and false in the parent, which has already
// reported the child's result (a crash, "out of memory" or a stack overflow
// is a failure that names the test).
func Run(t *testing.T) bool {
	t.Helper()
	if os.Getenv(env) == t.Name() {
		lim := &syscall.Rlimit{Cur: Memory, Max: Memory}
		if err := syscall.Setrlimit(syscall.RLIMIT_DATA, lim); err != nil {
			t.Fatalf("limit the data segment: %v", err)
		}
		return true
	}
	parts := strings.Split(t.Name(), "/")
	for i, p := range parts {
		parts[i] = "^" + p + "$"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run="+strings.Join(parts, "/"), "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), env+"="+t.Name())
	out, err := cmd.CombinedOutput()
	switch {
	case ctx.Err() != nil:
		t.Fatalf("child test %s did not end within 5 minutes:\n%s", t.Name(), excerpt(out))
	case err != nil:
		t.Fatalf("child test %s (data limit %d MiB): %v\n%s", t.Name(), Memory>>20, err, excerpt(out))
	case !strings.Contains(string(out), "--- PASS: "+t.Name()):
		t.Fatalf("child test %s did not run:\n%s", t.Name(), excerpt(out))
	}
	return false
}

// excerpt keeps the start of a child's output (a crash's reason) and its end.
func excerpt(b []byte) string {
	if len(b) > 6000 {
		return string(b[:3000]) + "\n…\n" + string(b[len(b)-3000:])
	}
	return string(b)
}
