package sdk

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestCommandKillsItsGroup(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	marker := "lavacore-sdk-test-sleep-" + time.Now().Format("150405.000000")
	cmd := Command(ctx, "sh", "-c", "exec -a "+marker+" sleep 100 & exec -a "+marker+" sleep 100")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	cancel()
	_ = cmd.Wait()
	time.Sleep(200 * time.Millisecond)
	out, _ := exec.Command("pgrep", "-f", marker).Output()
	if s := strings.TrimSpace(string(out)); s != "" {
		t.Fatalf("children left behind: %s", s)
	}
}
