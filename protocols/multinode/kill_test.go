package multinode

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/lavacore/lavacore/sdk"
)

// TestMain lets the test binary act as a guest sub-job process (re-exec'd by
// TestKilledGuestFailsGroup): it registers with the coordinator, then blocks.
func TestMain(m *testing.M) {
	if addr := os.Getenv("LAVACORE_TEST_GUEST"); addr != "" {
		p := NewWith(nil)
		ctx := context.Background()
		err := p.Configure(ctx, sdk.ProtocolConfig{JobID: os.Getenv("LAVACORE_TEST_GUEST_ID"), Coordinator: addr,
			Params: map[string]any{"target_group": os.Getenv("LAVACORE_TEST_GROUP"), "role": "guest", "group_size": 2, "sub_id": 0}})
		if err != nil {
			fmt.Println("guest:", err)
			os.Exit(1)
		}
		fmt.Println("guest registered")
		select {} // wait to be killed
	}
	os.Exit(m.Run())
}

// TestKilledGuestFailsGroup: a guest process killed with SIGKILL makes the
// host's wait fail within seconds, naming the guest, instead of timing out.
func TestKilledGuestFailsGroup(t *testing.T) {
	addr := lavacoreCoordinator(t)
	group := fmt.Sprintf("kill-%d", time.Now().UnixNano())
	guest := exec.Command(os.Args[0], "-test.run=^$")
	guest.Env = append(os.Environ(), "LAVACORE_TEST_GUEST="+addr, "LAVACORE_TEST_GUEST_ID=801", "LAVACORE_TEST_GROUP="+group)
	out, err := guest.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := guest.Start(); err != nil {
		t.Fatal(err)
	}
	defer guest.Process.Kill()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	host := NewWith(nil)
	if err := host.Configure(ctx, sdk.ProtocolConfig{JobID: "800", Coordinator: addr,
		Params: map[string]any{"target_group": group, "role": "host", "group_size": 2, "sub_id": 1, "timeout": map[string]any{"minutes": 5}}}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if n, _ := out.Read(buf); !strings.Contains(string(buf[:n]), "guest registered") {
		t.Fatalf("guest said %q", buf[:n])
	}
	go func() {
		time.Sleep(300 * time.Millisecond)
		guest.Process.Kill()
	}()
	start := time.Now()
	rep, err := host.Call(ctx, map[string]any{"request": "lava-sync", "messageID": "clients"})
	t.Logf("reply %v", rep)
	took := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "801 (guest)") {
		t.Fatalf("host's sync: %v (want an error naming guest 801)", err)
	}
	if took > 10*time.Second {
		t.Errorf("the host's wait failed after %s, want seconds", took)
	}
	t.Logf("host's wait failed after %s: %v", took.Round(time.Millisecond), err)
}
