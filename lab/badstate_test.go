package lab_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// labFails runs `lavacore lab ARGS` and wants it to fail saying every one of words.
func labFails(t *testing.T, bin string, words []string, args ...string) {
	t.Helper()
	out, err := exec.Command(bin, append([]string{"lab"}, args...)...).CombinedOutput()
	if err == nil {
		t.Fatalf("lavacore lab %s succeeded, want an error:\n%s", strings.Join(args, " "), out)
	}
	for _, w := range words {
		if !strings.Contains(string(out), w) {
			t.Errorf("lavacore lab %s does not say %q:\n%s", strings.Join(args, " "), w, out)
		}
	}
}

// Bad states get clear words: a stale namespace, a busy console port, a
// service that died, a board powered on while the lab is down.
func TestLabBadStates(t *testing.T) {
	if os.Getenv("LAVACORE_LAB") != "1" {
		t.Skip("the virtual lab needs root and `make deps`; set LAVACORE_LAB=1 (make test does)")
	}
	bin := lavacore(t)
	dir := strings.TrimSpace(labCmd(t, bin, "dir"))
	_, _ = exec.Command(bin, "lab", "down").CombinedOutput()
	defer func() {
		_, _ = exec.Command(bin, "lab", "down").CombinedOutput()
		assertNothingLeft(t, dir)
	}()

	t.Run("power on while down", func(t *testing.T) {
		labFails(t, bin, []string{"board-01", "the lab is down", "lavacore lab up"}, "power", "on", "board-01")
	})
	t.Run("stale namespace", func(t *testing.T) {
		if out, err := exec.Command("ip", "netns", "add", "lavacore-lab").CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		labFails(t, bin, []string{"stale lab", "namespace lavacore-lab exists", "lavacore lab down"}, "up", "--image", "fast")
		labCmd(t, bin, "down")
		assertNothingLeft(t, dir)
	})
	t.Run("console port in use", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:7001")
		if err != nil {
			t.Skipf("cannot hold the port myself: %v", err)
		}
		defer ln.Close()
		labFails(t, bin, []string{"board-01's console", "127.0.0.1:7001 is in use", "pid=" + strconv.Itoa(os.Getpid())}, "up", "--image", "fast")
		assertNothingLeft(t, dir)
	})
	t.Run("a service died", func(t *testing.T) {
		labCmd(t, bin, "up", "--image", "fast")
		b, err := os.ReadFile(filepath.Join(dir, "run", "dnsmasq.pid"))
		if err != nil {
			t.Fatal(err)
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		_ = syscall.Kill(pid, syscall.SIGKILL)
		time.Sleep(300 * time.Millisecond)
		if out := labCmd(t, bin, "status"); !strings.Contains(out, "partly up") || !strings.Contains(out, "dnsmasq is gone") {
			t.Errorf("status does not name the dead service:\n%s", out)
		}
		labFails(t, bin, []string{"stale lab", "dnsmasq is gone", "ganesha still runs", "lavacore lab down"}, "up", "--image", "fast")
		labCmd(t, bin, "down")
		assertNothingLeft(t, dir)
	})
}
