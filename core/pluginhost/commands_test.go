package pluginhost

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lavacore/lavacore/sdk"
)

// TestDescribeCommand: `<plugin> describe` prints the manifest without a handshake.
func TestDescribeCommand(t *testing.T) {
	dir := needBinaries(t)
	out, err := exec.Command(filepath.Join(dir, Prefix+"testplugin"), "describe").Output()
	if err != nil {
		t.Fatal(err)
	}
	var m sdk.Manifest
	if err := json.Unmarshal(out, &m); err != nil || m.Name != "testplugin" || m.Methods[0].Key() != "boot/testplugin" || m.Protocols[0] != "counter" {
		t.Fatalf("%v %+v\n%s", err, m, out)
	}
	// Without the cookie and without describe it refuses to run.
	b, err := exec.Command(filepath.Join(dir, Prefix+"testplugin")).CombinedOutput()
	if err == nil || !strings.Contains(string(b), "This binary is a plugin") {
		t.Fatalf("run by hand: %v %s", err, b)
	}
}

// TestMultinodePlugin: two sub-jobs of a group sync through the multinode
// plugin's embedded coordinator.
func TestMultinodePlugin(t *testing.T) {
	dir := needBinaries(t)
	if _, err := os.Stat(filepath.Join(dir, Prefix+"multinode")); err != nil {
		t.Skip("no multinode plugin")
	}
	h, err := StartAll(context.Background(), []string{dir}, Options{Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, role := range []string{"server", "client"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := h.Protocol("lava-multinode")
			if err == nil {
				err = p.Configure(ctx, sdk.ProtocolConfig{JobID: fmt.Sprint(10 + i), Params: map[string]any{
					"target_group": "g1", "role": role, "group_size": 2, "sub_id": i}})
			}
			if err == nil {
				var r map[string]any
				r, err = p.Call(ctx, map[string]any{"request": "lava-sync", "messageID": "ready"})
				if err == nil && r["response"] != "ack" {
					err = fmt.Errorf("reply %v", r)
				}
			}
			if err == nil {
				err = p.Finalize(ctx, true)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("sub-job %d: %v", i, err)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}
