package lavaservere2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lavacore/lavacore/lab"
)

// lavaKey is LAVA's own ssh key pair (lava-dispatcher's dynamic_vm_keys/lava, lava.pub): the
// device templates' default ssh_identity_file, which ssh devices and `authorize: ssh` share,
// so that a host booted by one worker lets in the guests of another.
const lavaKey = "/usr/lib/python3/dist-packages/lava_dispatcher/dynamic_vm_keys/lava"

// mnNeed fails the test under CI=true (where a missing piece is a broken set-up) and skips it
// otherwise.
func mnNeed(t *testing.T, ok bool, msg string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// mnBindLavaTmp makes LAVA's /var/lib/lava/dispatcher/tmp (where lava-run extracts NFS roots)
// a directory of the lab's NFS export for the test's duration: <lab>/nfs/lava-run/var/lib/lava/
// dispatcher/tmp, bind-mounted. The board's nfsroot is then that path's prefix
// (<lab>/nfs/lava-run) followed by the extracted root's path: the prefix is returned.
func mnBindLavaTmp(t *testing.T, labDir string) string {
	t.Helper()
	const lavaTmp = "/var/lib/lava/dispatcher/tmp"
	prefix := filepath.Join(labDir, "nfs", "lava-run")
	src := prefix + lavaTmp
	for _, d := range []string{src, lavaTmp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	run(t, time.Minute, debianEnv(), "/usr/bin/mount", "--bind", src, lavaTmp)
	t.Cleanup(func() {
		if out, err := exec.Command("/usr/bin/umount", lavaTmp).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v\n%s", lavaTmp, err, out)
			return
		}
		os.RemoveAll(prefix)
	})
	return prefix
}

// foundingJobOnDevices is examples/jobs/mustang-ssh-guest.yaml (the founding job, pointed at
// the lab) with its host on the lab board's device type and its guests on ssh devices
// instead of `connection: ssh`: the guest role keeps host_role, expect_role and request:
// lava-start (LAVA's server splits them into each guest's protocol block and its dispatcher
// delays the start of any role that has them).
func foundingJobOnDevices(t *testing.T, name string, guests int) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "examples", "jobs", "mustang-ssh-guest.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// edited as text: the job has a duplicate key (its inline definition's install:), which
	// LAVA's loader takes (the last wins) and yaml.v3 refuses
	job := string(b)
	for _, r := range [][2]string{
		{"job_name: ssh guest with standard images\n", "job_name: " + name + "\n"},
		{"      guest:\n        connection: ssh\n        count: 3\n", fmt.Sprintf("      guest:\n        device_type: ssh\n        count: %d\n", guests)},
		{"        device_type: mustang\n", "        device_type: " + lab.LavaDeviceType + "\n"},
	} {
		if strings.Count(job, r[0]) != 1 {
			t.Fatalf("examples/jobs/mustang-ssh-guest.yaml no longer has %q once", r[0])
		}
		job = strings.Replace(job, r[0], r[1], 1)
	}
	return job
}

// The founding job's shape across two workers: its host on the lab's board-01 (a
// lavacore-lab-x86 device of worker A, booted by tftp + grub-efi with an NFS root), its three
// guests on LAVA `ssh` devices of worker B whose ssh_host is the board, all with LAVA's default
// key pair (ssh_identity_file dynamic_vm_keys/lava). The guests' start waits for the host's
// lava_start, their deploy for its ipv4 message, and every sub-job's test shell meets the others at lava-sync clients — through Debian's
// lava-coordinator, lavacore being lava-run on both workers. Every sub-job ends Complete in
// the server with the founding job's results, and nothing is left running.
func TestLavaServerMultiNodeLabBoardSSHGuests(t *testing.T) {
	requireServerTests(t)
	mnNeed(t, os.Getenv("LAVACORE_LAB") == "1", "needs the virtual lab too: set LAVACORE_LAB=1")
	_, err := os.Stat("/etc/default/tftpd-hpa")
	mnNeed(t, err == nil, "lava-run's TFTP root comes from tftpd-hpa's /etc/default/tftpd-hpa (make deps installs tftpd-hpa)")
	_, err = os.Stat(lavaKey + ".pub")
	mnNeed(t, err == nil, "LAVA's ssh key pair "+lavaKey+" is missing (lava-dispatcher's package)")
	const guests = 3

	s := startServer(t)
	prefix := lavacorePrefix(t, s)
	bin := filepath.Join(prefix, "bin", "lavacore")
	labDir := labUp(t, bin, "all")

	// lava-run puts the job's TFTP files under the lab's TFTP root, its NFS roots under
	// /var/lib/lava/dispatcher/tmp.
	labBoardDeviceType(t, labDir)
	nfsPrefix := mnBindLavaTmp(t, labDir)
	coord := startCoordinator(t, s)

	// worker A: the board; the lab's services (TFTP, NFS, HTTP) are at lab.ServerIP
	wa := startWorker(t, s, s.unique("e2e-mnhost"), filepath.Join(prefix, "bin"))
	wa.setDispatcher(t, fmt.Sprintf("dispatcher_ip: %s\nlavacore:\n  coordinator: '%s'\n", lab.ServerIP, coord))
	var dict strings.Builder
	for _, l := range strings.SplitAfter(run(t, time.Minute, os.Environ(), bin, "lab", "lava-dictionary", "board-01"), "\n") {
		if !strings.HasPrefix(l, "{% extends") && !strings.Contains(l, "set ssh_identity_file") {
			dict.WriteString(l)
		}
	}
	// LAVA's default key pair (the lab's dictionary names the lab's own)
	fmt.Fprintf(&dict, "{%% set lab_nfsroot_prefix = '%s' %%}\n", nfsPrefix)
	board := s.unique("e2e-mnboard")
	addDevice(t, wa, lab.LavaDeviceType, board, dict.String())

	// worker B: the guests' ssh devices, pointing at the board
	wb := startWorker(t, s, s.unique("e2e-mnguests"), filepath.Join(prefix, "bin"))
	wb.setDispatcher(t, fmt.Sprintf("lavacore:\n  coordinator: '%s'\n", coord))
	devs := map[string]string{board: wa.name}
	for i := range guests {
		d := s.unique(fmt.Sprintf("e2e-mnssh%d", i))
		addDevice(t, wb, "ssh", d, fmt.Sprintf("{%% set ssh_host = '%s' %%}\n", lab.BoardIP(1)))
		devs[d] = wb.name
	}

	ids := submitGroup(t, s, foundingJobOnDevices(t, "founding job over two workers ("+s.suffix+")", guests), guests+1)
	samplers := sampleGroup(t, ids)
	states := waitGroup(t, s, ids, 30*time.Minute)
	roles := map[string]int{}
	for i, js := range states {
		log := jobLog(t, s, js.ID)
		cases := jobTests(t, s, js.ID)
		w := devs[js.ActualDevice]
		t.Logf("job %d: %s on %s (worker %s), %s→%s; %d results %v", js.ID, js.Health, js.ActualDevice, w, js.StartTime, js.EndTime, len(cases), caseResults(cases))
		if js.Health != "Complete" {
			t.Errorf("job %d: %s (%s)\nlog:\n%s", js.ID, js.Health, js.FailureComment, tail(log, 60))
		}
		if w == "" {
			t.Errorf("job %d ran on %q, not one of this test's devices %v", js.ID, js.ActualDevice, devs)
		}
		if !strings.Contains(log, "lavacore: job") {
			t.Errorf("job %d: the log lacks lavacore's marker: another lava-run ran it:\n%s", js.ID, tail(log, 20))
		}
		if left := samplers[i].alive(); len(left) > 0 {
			t.Errorf("job %d is Finished but its processes still run: %v", js.ID, left)
		}
		for _, c := range cases {
			if c.Result != "pass" && c.Result != "skip" {
				t.Errorf("job %d: %s = %s", js.ID, c.Name, c.Result)
			}
		}
		// the founding job's results, as the lab's end-to-end test checks them
		want := []string{"job", "multinode-sync-clients"}
		role := "guest"
		if js.ActualDevice == board {
			role = "host"
			want = append(want, "0_ssh-inline", "multinode-send-ipv4", "multinode-send-lava_start", "linux-uname")
		} else {
			want = append(want, "1_ssh-client", "linux-uname")
		}
		roles[role]++
		for _, name := range want {
			if !hasCase(cases, name, "pass") {
				t.Errorf("job %d (%s): no passing %q in the server's results", js.ID, role, name)
			}
		}
	}
	if roles["host"] != 1 || roles["guest"] != guests {
		t.Errorf("sub-jobs by role %v, want 1 host on %s and %d guests on worker %s's ssh devices", roles, board, guests, wb.name)
	}
	if left := leftovers(prefix); len(left) > 0 {
		t.Errorf("the jobs are Finished but lavacore's processes still run: %v", left)
	}
}
