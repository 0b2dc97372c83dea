package lavaservere2e

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/lab"
)

// labUp makes sure the virtual lab runs with board-01 (`lavacore lab up --boards 1 --image
// IMAGE` when it is down, and `lab down` at the end then; a lab already up is left up) and
// returns its directory. image: "fast" (kernel and ramdisk) or "all" (also the NFS root).
func labUp(t *testing.T, bin, image string) string {
	t.Helper()
	dir := strings.TrimSpace(run(t, time.Minute, os.Environ(), bin, "lab", "dir"))
	var st struct {
		State  string `json:"state"`
		Boards []struct {
			Name string `json:"name"`
		} `json:"boards"`
	}
	if err := json.Unmarshal([]byte(run(t, time.Minute, os.Environ(), bin, "lab", "status", "--output", "json")), &st); err != nil {
		t.Fatalf("lavacore lab status --output json: %v", err)
	}
	hasBoard := false
	for _, b := range st.Boards {
		hasBoard = hasBoard || b.Name == "board-01"
	}
	if st.State == "up" && hasBoard {
		t.Logf("the lab in %s is up already: left up", dir)
		return dir
	}
	t.Cleanup(func() {
		cmd := exec.Command(bin, "lab", "down")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("lavacore lab down: %v\n%s", err, out)
		}
	})
	run(t, 30*time.Minute, os.Environ(), bin, "lab", "up", "--boards", "1", "--image", image)
	return dir
}

// replaceFile writes text to file for the test's duration; what was there (or nothing) is put
// back at the end.
func replaceFile(t *testing.T, file, text string) {
	t.Helper()
	old, err := os.ReadFile(file)
	existed := err == nil
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if existed {
			err = os.WriteFile(file, old, 0o644)
		} else {
			err = os.Remove(file)
		}
		if err != nil {
			t.Errorf("putting %s back: %v", file, err)
		}
	})
}

// labBoardDeviceType makes the lab's boards a device type of the server for the test's duration
// (lab/lava's lavacore-lab-x86.jinja2 among the server's templates) and points tftpd-hpa's
// TFTP_DIRECTORY, where both lava-runs put a job's TFTP files, at the lab's TFTP root (which the
// lab's dnsmasq serves to the boards).
func labBoardDeviceType(t *testing.T, labDir string) {
	t.Helper()
	replaceFile(t, "/etc/default/tftpd-hpa", "# lavacore's internal/lavaservere2e: the lab's TFTP root, for the test's duration\n"+
		"TFTP_USERNAME=\"tftp\"\nTFTP_DIRECTORY=\""+filepath.Join(labDir, "tftp")+"\"\nTFTP_ADDRESS=\":69\"\nTFTP_OPTIONS=\"--secure\"\n")
	tmpl, err := lab.LavaTemplate()
	if err != nil {
		t.Fatal(err)
	}
	replaceFile(t, filepath.Join("/etc/lava-server/dispatcher-config/device-types", lab.LavaDeviceType+".jinja2"), string(tmpl))
}

// labJob is examples/jobs/single-node-ramdisk.yaml for the lab board under a server: device
// type lavacore-lab-x86 and, for LAVA's lava-run, `shallow: false` on its git test definitions
// (LAVA clones with --depth=1, which the lab's plain-HTTP git repository refuses).
func labJob(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "examples", "jobs", "single-node-ramdisk.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var job map[string]any
	if err := yaml.Unmarshal(b, &job); err != nil {
		t.Fatal(err)
	}
	job["device_type"] = lab.LavaDeviceType
	job["job_name"] = name
	actions, _ := job["actions"].([]any)
	for _, a := range actions {
		test, _ := a.(map[string]any)["test"].(map[string]any)
		defs, _ := test["definitions"].([]any)
		for _, d := range defs {
			if def, _ := d.(map[string]any); def["from"] == "git" {
				def["shallow"] = false
			}
		}
	}
	out, err := yaml.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// The lab's board-01 registered in the server as a lavacore-lab-x86 device (lab/lava's
// device-type template, `lavacore lab lava-dictionary board-01`), and the same single-node
// job (examples/jobs/single-node-ramdisk.yaml) run on it under the same worker, once with
// Debian's lava-run and once with lavacore's: both Complete, with each dispatcher's wall time,
// overhead (outside the board's boot and tests) and peak memory, and the same results.
func TestLavaServerLabBoardDebianAndLavacore(t *testing.T) {
	requireServerTests(t)
	if os.Getenv("LAVACORE_LAB") != "1" {
		t.Skip("needs the virtual lab too: set LAVACORE_LAB=1 (make test does)")
	}
	if _, err := os.Stat("/usr/sbin/in.tftpd"); err != nil {
		t.Fatalf("LAVA's TFTP deploy needs tftpd-hpa (make deps installs it, scripts/deps.d/lava-server.apt): %v", err)
	}
	s := startServer(t)
	prefix := lavacorePrefix(t, s)
	bin := filepath.Join(prefix, "bin", "lavacore")
	labDir := labUp(t, bin, "fast")

	labBoardDeviceType(t, labDir)

	w := startWorker(t, s, s.unique("e2e-labworker"), "/usr/bin")
	// the lab's services (TFTP, NFS, HTTP) are at 10.77.0.254, the board's {SERVER_IP}
	w.setDispatcher(t, "dispatcher_ip: "+lab.ServerIP+"\n")
	var dict strings.Builder
	for _, l := range strings.SplitAfter(run(t, time.Minute, os.Environ(), bin, "lab", "lava-dictionary", "board-01"), "\n") {
		if !strings.HasPrefix(l, "{% extends") {
			dict.WriteString(l)
		}
	}
	addDevice(t, w, lab.LavaDeviceType, s.unique("e2e-board-01"), dict.String())

	runs := bothDispatchers(prefix)
	for _, r := range runs {
		r.run(t, s, w, prefix, labJob(t, "lab board-01 ramdisk ("+r.name+")"), 12*time.Minute)
	}
	for _, r := range runs {
		t.Log(r.summary())
	}
	sameResults(t, runs)
}
