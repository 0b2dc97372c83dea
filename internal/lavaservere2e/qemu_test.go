package lavaservere2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// qemuJob boots the lab's fast x86 kernel and busybox ramdisk in QEMU (TCG) on the dispatcher
// host and logs in. It has no test action: LAVA's test overlay for a tmpfs deploy needs
// libguestfs (which fails here) or an image `overlays:` block (which lavacore refuses yet).
const qemuJob = `device_type: qemu
job_name: qemu tmpfs boot (lava-server end to end, %s)
timeouts:
  job:
    minutes: 10
  action:
    minutes: 3
  connection:
    minutes: 2
priority: medium
visibility: public
context:
  arch: amd64
  no_kvm: true
  memory: 256
actions:
- deploy:
    to: tmpfs
    os: oe
    images:
      kernel:
        url: %[2]s/vmlinuz
        image_arg: -kernel {kernel} -append "console=ttyS0,115200 panic=-1"
      ramdisk:
        url: %[2]s/ramdisk.cpio.gz
        image_arg: -initrd {ramdisk}
- boot:
    method: qemu
    media: tmpfs
    timeout:
      minutes: 4
    auto_login:
      login_prompt: 'login:'
      username: root
    prompts:
    - 'root@stretch:'
`

// labImages is the directory of the virtual lab's fast x86 kernel and ramdisk
// (`lavacore lab up` builds them), or "".
func labImages() string {
	if d := os.Getenv("LAVACORE_LAB_IMAGES"); d != "" {
		return d
	}
	m, _ := filepath.Glob("/var/cache/lavacore/fast-*/ramdisk.cpio.gz")
	for _, f := range m {
		d := filepath.Dir(f)
		if _, err := os.Stat(filepath.Join(d, "vmlinuz")); err == nil {
			return d
		}
	}
	return ""
}

var dtRE = regexp.MustCompile(`(?m)^- \{"dt": "([0-9T:.-]+)`)

// logSpan is the time between the first and the last record of a job log.
func logSpan(log string) time.Duration {
	m := dtRE.FindAllStringSubmatch(log, -1)
	if len(m) < 2 {
		return 0
	}
	a, err1 := time.Parse("2006-01-02T15:04:05.999999", m[0][1])
	b, err2 := time.Parse("2006-01-02T15:04:05.999999", m[len(m)-1][1])
	if err1 != nil || err2 != nil {
		return 0
	}
	return b.Sub(a)
}

// serveLabImages gets the server and the installed lavacore and serves the lab's fast images
// over HTTP. Without the images the test is skipped, except under CI (CI=true), where they are
// built (`lavacore lab build --image fast`) or the test fails.
func serveLabImages(t *testing.T) (s *server, prefix string, files *httptest.Server) {
	t.Helper()
	images := labImages()
	if images == "" && os.Getenv("CI") != "true" {
		t.Skip("no lab images: `lavacore lab build --image fast` builds /var/cache/lavacore/fast-*/{vmlinuz,ramdisk.cpio.gz} (or set LAVACORE_LAB_IMAGES)")
	}
	s = startServer(t)
	prefix = lavacorePrefix(t, s)
	if images == "" {
		run(t, 30*time.Minute, os.Environ(), filepath.Join(prefix, "bin", "lavacore"), "lab", "build", "--image", "fast")
		if images = labImages(); images == "" {
			t.Fatal("`lavacore lab build --image fast` left no /var/cache/lavacore/fast-*/{vmlinuz,ramdisk.cpio.gz}")
		}
	}
	files = httptest.NewServer(http.FileServer(http.Dir(images)))
	t.Cleanup(files.Close)
	return s, prefix, files
}

// qemuSetup gets the server and the installed lavacore, starts a worker whose jobs find
// lavacore's lava-run first and registers a qemu device on it; the lab's images are served over
// HTTP. Without the lab's images the test is skipped, except under CI (CI=true), where they are
// built (`lavacore lab build --image fast`) or the test fails.
func qemuSetup(t *testing.T) (s *server, w *worker, prefix, filesURL string) {
	t.Helper()
	s, prefix, files := serveLabImages(t)
	w = startWorker(t, s, s.unique("e2e-qworker"), filepath.Join(prefix, "bin"))
	addDevice(t, w, "qemu", s.unique("e2e-qemu"), "{% set arch = 'amd64' %}\n{% set no_kvm = True %}\n{% set mac_addr = '52:54:00:12:34:59' %}\n{% set memory = 512 %}\n")
	return s, w, prefix, files.URL
}

// The same QEMU job on the same qemu device and worker, once with Debian's lava-run and once
// with lavacore's (the worker's PATH switched between the two): both Complete in the server,
// with the same results, and wall time and peak memory of each dispatcher.
func TestLavaServerQemuJobDebianAndLavacore(t *testing.T) {
	requireServerTests(t)
	s, w, prefix, filesURL := qemuSetup(t)

	runs := bothDispatchers(prefix)
	for _, r := range runs {
		r.run(t, s, w, prefix, fmt.Sprintf(qemuJob, r.name, filesURL), 8*time.Minute)
	}
	for _, r := range runs {
		t.Log(r.summary())
	}
	sameResults(t, runs)
}

// A job canceled in the server while lavacore's QEMU boots (the worker sends lava-run SIGTERM)
// ends Canceled, and nothing it started (plugins, QEMU) is left running.
func TestLavaServerCancelsLavacoreQemuJob(t *testing.T) {
	requireServerTests(t)
	s, _, prefix, filesURL := qemuSetup(t)
	id := submitOnly(t, s, fmt.Sprintf(qemuJob, "canceled", filesURL))
	smp := newSampler(id)
	defer smp.finish()
	waitFor(t, fmt.Sprintf("job %d's QEMU to start under lavacore's lava-run", id), 3*time.Minute, 200*time.Millisecond, func() (bool, string) {
		return smp.saw("qemu-system-x86"), fmt.Sprint(smp.alive())
	})
	if err := s.api("GET", fmt.Sprintf("/api/v0.2/jobs/%d/cancel/", id), nil, nil); err != nil {
		t.Fatal(err)
	}
	js := wait(t, s, id, 4*time.Minute)
	log := jobLog(t, s, id)
	if js.Health != "Canceled" {
		t.Errorf("job %d: %s, want Canceled (%s)\nlog:\n%s", id, js.Health, js.FailureComment, tail(log, 30))
	}
	if left := append(leftovers(prefix), smp.alive()...); len(left) > 0 {
		t.Errorf("job %d is Canceled but its processes still run: %v", id, left)
	}
	t.Logf("job %d: %s; the end of its log:\n%s", id, js.Health, tail(log, 12))
}

// The worker machine loses its dispatcher mid-job: lava-worker and lavacore's lava-run are
// killed (SIGKILL) while QEMU boots. When lava-worker comes back (same name, same worker
// directory) it finds the job's lava-run gone and reports it; the server shows the job
// Incomplete, and nothing the job started (plugins, QEMU) is left running.
func TestLavaServerReportsJobOfKilledWorker(t *testing.T) {
	requireServerTests(t)
	s, w, prefix, filesURL := qemuSetup(t)
	id := submitOnly(t, s, fmt.Sprintf(qemuJob, "killed worker", filesURL))
	smp := newSampler(id)
	defer smp.finish()
	waitFor(t, fmt.Sprintf("job %d's QEMU to start under lavacore's lava-run", id), 3*time.Minute, 200*time.Millisecond, func() (bool, string) {
		return smp.saw("qemu-system-x86"), fmt.Sprint(smp.alive())
	})
	root := smp.rootPID()
	if err := w.proc.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-w.proc.done
	if err := syscall.Kill(root, syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL lava-run (pid %d): %v", root, err)
	}
	t.Logf("killed lava-worker (pid %d) and lava-run (pid %d); the job's processes: %v", w.proc.cmd.Process.Pid, root, smp.alive())
	w.start(t, s, "lava-worker-"+w.name+"-restarted")
	js := wait(t, s, id, 4*time.Minute)
	if js.Health != "Incomplete" {
		t.Errorf("job %d: %s, want Incomplete (%s)", id, js.Health, js.FailureComment)
	}
	// lava-run's children get no signal of its death: give them a moment to notice
	var left []string
	waitFor(t, fmt.Sprintf("job %d's processes to be gone", id), 30*time.Second, time.Second, func() (bool, string) {
		left = append(leftovers(prefix), smp.alive()...)
		return len(left) == 0, fmt.Sprint(left)
	})
	t.Logf("job %d: %s (%s)", id, js.Health, js.FailureComment)
}
