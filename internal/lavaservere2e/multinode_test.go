package lavaservere2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// multiNodeQemuJob is a MultiNode job of two roles, each on a qemu device, booting the lab's
// fast x86 kernel and busybox ramdisk (TCG) with lavacore's overlay drive: the sender's test
// shell sends a message the receiver waits for, and both meet at a sync, through the
// coordinator, so neither can finish alone. The context is the roles' own: LAVA's server does
// not copy a MultiNode submission's top-level context into the sub-jobs (only a role's), and
// renders each device with its sub-job's.
const multiNodeQemuJob = `job_name: MultiNode over two workers (lava-server end to end, %s)
timeouts:
  job:
    minutes: 12
  action:
    minutes: 4
  connection:
    minutes: 2
priority: medium
visibility: public
protocols:
  lava-multinode:
    roles:
      sender:
        device_type: qemu
        count: 1
        context: &ctx
          arch: amd64
          no_kvm: true
          memory: 256
          guestfs_size: 16
          guestfs_interface: virtio
        timeout:
          minutes: 8
      receiver:
        device_type: qemu
        count: 1
        context: *ctx
        timeout:
          minutes: 8
actions:
- deploy:
    role: [sender, receiver]
    to: tmpfs
    os: oe
    images:
      kernel:
        url: %[2]s/vmlinuz
        image_arg: -kernel {kernel} -append "console=ttyS0,115200 panic=-1"
      initrd:
        url: %[2]s/ramdisk.cpio.gz
        image_arg: -initrd {initrd}
- boot:
    role: [sender, receiver]
    method: qemu
    media: tmpfs
    timeout:
      minutes: 4
    auto_login:
      login_prompt: 'login:'
      username: root
    prompts:
    - 'root@stretch:'
- test:
    role: [sender]
    timeout:
      minutes: 5
    definitions:
    - from: inline
      name: mn-sender
      path: inline/mn-sender.yaml
      repository:
        metadata:
          format: Lava-Test Test Definition 1.0
          name: mn-sender
          description: sends a message to the other worker's job, then syncs
        run:
          steps:
          - lava-send greeting word=%[3]s
          - lava-sync both-done
          - lava-test-case synced --shell true
- test:
    role: [receiver]
    timeout:
      minutes: 5
    definitions:
    - from: inline
      name: mn-receiver
      path: inline/mn-receiver.yaml
      repository:
        metadata:
          format: Lava-Test Test Definition 1.0
          name: mn-receiver
          description: waits for the other worker's message, checks it, then syncs
        run:
          steps:
          - lava-wait greeting
          - lava-test-case got-greeting --shell grep -q word=%[3]s /tmp/lava_multi_node_cache.txt
          - lava-sync both-done
`

// startCoordinator starts Debian's lava-coordinator on a free port (its own configuration
// file, so the machine's /etc/lava-coordinator is left alone): host:port.
func startCoordinator(t *testing.T, s *server) string {
	t.Helper()
	port := freePort(t)
	conf := filepath.Join(s.dir, "lava-coordinator.conf")
	b, _ := json.Marshal(map[string]any{"port": port, "blocksize": 4096, "poll_delay": 1, "coordinator_hostname": "127.0.0.1"})
	if err := os.WriteFile(conf, b, 0o644); err != nil {
		t.Fatal(err)
	}
	start(t, s.dir, "lava-coordinator", debianEnv(), "/usr/bin/lava-coordinator", "--config", conf,
		"--loglevel", "DEBUG", "--logfile", filepath.Join(s.dir, "lava-coordinator.log"))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitFor(t, "lava-coordinator to listen on "+addr, 30*time.Second, 200*time.Millisecond, func() (bool, string) {
		return listening(addr)
	})
	return addr
}

// setCoordinator points w's lavacore sub-jobs at a coordinator: dispatcher.yaml's
// lavacore.coordinator (the server serves /etc/lava-server/dispatcher.d/NAME/dispatcher.yaml to
// the worker with each job).
func (w *worker) setCoordinator(t *testing.T, addr string) {
	t.Helper()
	y := fmt.Sprintf("lavacore:\n  coordinator: '%s'\n", addr)
	if err := os.WriteFile(filepath.Join("/etc/lava-server/dispatcher.d", w.name, "dispatcher.yaml"), []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
}

// submitGroup submits a MultiNode job: the ids of its n sub-jobs. The server answers with their
// sub_ids ("28.0", "28.1": the first sub-job's id, a dot, the sub_id); the ids are those of the
// jobs of the first one's target_group.
func submitGroup(t *testing.T, s *server, definition string, n int) []int {
	t.Helper()
	var sub struct {
		JobIDs []string `json:"job_ids"`
	}
	if err := s.api("POST", "/api/v0.2/jobs/", map[string]string{"definition": definition}, &sub); err != nil {
		t.Fatalf("submit: %v", err)
	}
	if len(sub.JobIDs) != n {
		t.Fatalf("submit: %d sub-jobs %v, want %d", len(sub.JobIDs), sub.JobIDs, n)
	}
	first, _, _ := strings.Cut(sub.JobIDs[0], ".")
	// the API does not show target_group, the sub-job's definition has it
	var parent struct {
		Definition  string `json:"definition"`
		TargetGroup string `json:"-"`
	}
	if err := s.api("GET", "/api/v0.2/jobs/"+first+"/", nil, &parent); err != nil {
		t.Fatal(err)
	}
	var def struct {
		Protocols struct {
			MultiNode struct {
				TargetGroup string `yaml:"target_group"`
			} `yaml:"lava-multinode"`
		} `yaml:"protocols"`
	}
	if err := yaml.Unmarshal([]byte(parent.Definition), &def); err != nil || def.Protocols.MultiNode.TargetGroup == "" {
		t.Fatalf("job %s (sub-jobs %v): no target_group in its definition (%v):\n%s", first, sub.JobIDs, err, parent.Definition)
	}
	parent.TargetGroup = def.Protocols.MultiNode.TargetGroup
	var page struct {
		Results []struct {
			ID    int    `json:"id"`
			SubID string `json:"sub_id"`
		} `json:"results"`
	}
	if err := s.api("GET", "/api/v0.2/jobs/?target_group="+parent.TargetGroup, nil, &page); err != nil {
		t.Fatal(err)
	}
	var ids []int
	for _, r := range page.Results {
		ids = append(ids, r.ID)
	}
	sort.Ints(ids)
	if len(ids) != n {
		t.Fatalf("target_group %s: jobs %v, want %d (sub-jobs %v)", parent.TargetGroup, ids, n, sub.JobIDs)
	}
	t.Logf("submitted sub-jobs %v: job ids %v, target_group %s", sub.JobIDs, ids, parent.TargetGroup)
	return ids
}

// deviceWorker is the worker a device belongs to, in /api/v0.2/devices/NAME/.
func deviceWorker(t *testing.T, s *server, device string) string {
	t.Helper()
	var d struct {
		Worker string `json:"worker_host"`
	}
	if err := s.api("GET", "/api/v0.2/devices/"+device+"/", nil, &d); err != nil {
		t.Fatal(err)
	}
	return d.Worker
}

// caseResults are a job's test cases as suite/name=result (the suite's name from the API's
// suite URL or object is not needed: names are unique enough here).
func caseResults(cases []testCase) []string {
	var out []string
	for _, c := range cases {
		out = append(out, c.Name+"="+c.Result)
	}
	sort.Strings(out)
	return out
}

func hasCase(cases []testCase, name, result string) bool {
	for _, c := range cases {
		if c.Name == name && c.Result == result {
			return true
		}
	}
	return false
}

// A MultiNode job whose two roles get devices on two different workers (two lava-worker
// processes, each owning one qemu device, both starting lavacore as lava-run): the server
// splits it, each worker runs its sub-job, and the sub-jobs' test shells meet through Debian's
// lava-coordinator (lava-send / lava-wait / lava-sync). Both end Complete in the server with
// the MultiNode results, and nothing they started is left running.
func TestLavaServerMultiNodeTwoWorkers(t *testing.T) {
	requireServerTests(t)
	s, prefix, files := serveLabImages(t)
	coord := startCoordinator(t, s)

	devs := map[string]string{} // device: worker
	for i, mac := range []string{"52:54:00:12:34:5a", "52:54:00:12:34:5b"} {
		w := startWorker(t, s, s.unique(fmt.Sprintf("e2e-mn%c", 'a'+i)), filepath.Join(prefix, "bin"))
		w.setCoordinator(t, coord)
		dev := s.unique(fmt.Sprintf("e2e-mnqemu%c", 'a'+i))
		addDevice(t, w, "qemu", dev, fmt.Sprintf("{%% set arch = 'amd64' %%}\n{%% set no_kvm = True %%}\n{%% set mac_addr = '%s' %%}\n{%% set memory = 512 %%}\n", mac))
		devs[dev] = w.name
	}

	word := "w" + s.suffix
	ids := submitGroup(t, s, fmt.Sprintf(multiNodeQemuJob, s.suffix, files.URL, word), 2)
	samplers := sampleGroup(t, ids)
	states := waitGroup(t, s, ids, 10*time.Minute)
	workers := map[string]bool{}
	var sender, receiver []testCase
	for i, js := range states {
		log := jobLog(t, s, js.ID)
		cases := jobTests(t, s, js.ID)
		w, ok := devs[js.ActualDevice]
		t.Logf("job %d: %s on %s (worker %s), %s→%s; %d results %v", js.ID, js.Health, js.ActualDevice, w, js.StartTime, js.EndTime, len(cases), caseResults(cases))
		if js.Health != "Complete" {
			t.Errorf("job %d: %s (%s)\nlog:\n%s", js.ID, js.Health, js.FailureComment, tail(log, 40))
		}
		if !ok {
			t.Errorf("job %d ran on %q, not one of this test's devices %v", js.ID, js.ActualDevice, devs)
		} else if got := deviceWorker(t, s, js.ActualDevice); got != w {
			t.Errorf("device %s belongs to worker %q, want %q", js.ActualDevice, got, w)
		}
		workers[w] = true
		if !strings.Contains(log, "lavacore: job") {
			t.Errorf("job %d: the log lacks lavacore's marker: another lava-run ran it:\n%s", js.ID, tail(log, 20))
		}
		if left := samplers[i].alive(); len(left) > 0 {
			t.Errorf("job %d is Finished but its processes still run: %v", js.ID, left)
		}
		switch {
		case hasCase(cases, "got-greeting", "pass") || hasCase(cases, "got-greeting", "fail"):
			receiver = cases
		case hasCase(cases, "synced", "pass") || hasCase(cases, "synced", "fail"):
			sender = cases
		}
	}
	if left := leftovers(prefix); len(left) > 0 {
		t.Errorf("the jobs are Finished but lavacore's processes still run: %v", left)
	}
	if len(workers) != 2 {
		t.Errorf("the sub-jobs ran on %d worker(s) %v, want 2", len(workers), workers)
	}
	// the MultiNode calls are the lava suite's results (LAVA: multinode-<request>-<id>)
	for _, c := range []struct {
		role  string
		cases []testCase
		want  []string
	}{
		{"sender", sender, []string{"synced", "multinode-send-greeting", "multinode-sync-both-done"}},
		{"receiver", receiver, []string{"got-greeting", "multinode-wait-greeting", "multinode-sync-both-done"}},
	} {
		if c.cases == nil {
			t.Errorf("no sub-job has the %s's test case", c.role)
			continue
		}
		for _, name := range c.want {
			if !hasCase(c.cases, name, "pass") {
				t.Errorf("%s: no passing %q in the server's results %v", c.role, name, caseResults(c.cases))
			}
		}
	}
}

// listening says whether something accepts TCP connections at addr.
func listening(addr string) (bool, string) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return false, err.Error()
	}
	c.Close()
	return true, "listening"
}

// waitGroup waits for every sub-job of a MultiNode group to be Finished. LAVA cancels the other
// sub-jobs of a failed one only when its role is essential, so the others would wait for their
// peers until their own timeouts: once a sub-job has ended other than Complete, the test cancels
// the rest (the failure is then reported at once, with the failed sub-job's log).
func waitGroup(t *testing.T, s *server, ids []int, timeout time.Duration) []jobState {
	t.Helper()
	states := make([]jobState, len(ids))
	canceled := false
	waitFor(t, fmt.Sprintf("MultiNode sub-jobs %v to be Finished", ids), timeout, time.Second, func() (bool, string) {
		done, failed := 0, ""
		var seen []string
		for i, id := range ids {
			if err := s.api("GET", fmt.Sprintf("/api/v0.2/jobs/%d/", id), nil, &states[i]); err != nil {
				return false, err.Error()
			}
			js := states[i]
			seen = append(seen, fmt.Sprintf("%d %s/%s", id, js.State, js.Health))
			if js.State == "Finished" {
				done++
				if js.Health != "Complete" && failed == "" {
					failed = fmt.Sprintf("%d %s", id, js.Health)
				}
			}
		}
		if failed != "" && !canceled {
			canceled = true
			t.Logf("sub-job %s: canceling the others of the group", failed)
			for i, id := range ids {
				if states[i].State != "Finished" {
					if err := s.api("GET", fmt.Sprintf("/api/v0.2/jobs/%d/cancel/", id), nil, nil); err != nil {
						t.Logf("cancel job %d: %v", id, err)
					}
				}
			}
		}
		return done == len(ids), strings.Join(seen, ", ")
	})
	return states
}
