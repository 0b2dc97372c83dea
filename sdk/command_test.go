package sdk

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestCommandKillsItsGroup(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	// A unique sleep time marks the test's sleeps (sh may be dash, which
	// has no exec -a).
	arg := fmt.Sprintf("100.%d%09d", os.Getpid(), time.Now().Nanosecond())
	cmd := Command(ctx, "sh", "-c", "sleep "+arg+" & sleep "+arg)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Both sleeps (the shell's background child and its foreground one) run.
	waitSleeps(t, arg, "both sleeps to start", func(n int) bool { return n == 2 })
	cancel()
	_ = cmd.Wait()
	waitSleeps(t, arg, "the group's sleeps to be killed (children left behind)", func(n int) bool { return n == 0 })
}

// waitSleeps polls the processes whose command line is exactly
// "sleep <arg>" until their number satisfies ok, for up to 10 s.
func waitSleeps(t *testing.T, arg, what string, ok func(int) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, _ := exec.Command("pgrep", "-x", "-f", "sleep "+arg).Output()
		s := strings.TrimSpace(string(out))
		n := len(strings.Fields(s))
		if ok(n) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 10s waiting for %s: pgrep found %q", what, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
