//go:build ignore

// gen_founding writes founding/: a trimmed output directory of the founding
// job (examples/jobs/mustang-ssh-guest.yaml: one host, three ssh guests),
// written with core/report's own log and results writers on a fake clock,
// with the action names, levels and timeouts `lavacore describe` gives for
// the job, the protocol records core/runner logs, and console lines as the
// virtual lab's boards print them (fewer of them).
//
//	go run gen_founding.go
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/core/report"
	"github.com/lavacore/lavacore/sdk"
)

var t0 = time.Date(2025, 6, 2, 9, 14, 3, 120000000, time.UTC)

type sub struct {
	role    string
	subID   int
	id      string
	device  string
	log     *report.Log
	results *report.Results
	now     time.Time
	dir     string
}

func (s *sub) at(sec float64) *sub {
	s.now = t0.Add(time.Duration(sec * float64(time.Second)))
	return s
}
func (s *sub) add(lvl string, msg any) { s.log.Add(lvl, msg) }
func (s *sub) info(m string)           { s.add("info", m) }
func (s *sub) debug(m string)          { s.add("debug", m) }
func (s *sub) target(lines ...string) {
	for _, l := range lines {
		s.now = s.now.Add(7 * time.Millisecond)
		s.add("target", l)
	}
}
func (s *sub) input(l string) { s.add("input", l) }
func (s *sub) start(sec float64, level, name, timeout string) {
	lvl := "debug"
	if !strings.Contains(level, ".") {
		lvl = "info"
	}
	s.at(sec).add(lvl, fmt.Sprintf("start: %s %s (timeout %s) [common]", level, name, timeout))
}
func (s *sub) end(sec float64, level, name string, dur float64) {
	lvl := "debug"
	if !strings.Contains(level, ".") {
		lvl = "info"
	}
	s.at(sec).add(lvl, fmt.Sprintf("end: %s %s (duration %s) [common]", level, name, report.FormatDuration(time.Duration(dur*float64(time.Second)))))
}
func (s *sub) result(r sdk.Result) {
	s.results.Add(r)
	s.add("results", report.Map(r))
}
func (s *sub) proto(sec float64, call, what string) {
	s.at(sec).debug("protocol lava-multinode: " + call + ": " + what)
}

func newSub(out, role string, subID int, id, device string) *sub {
	s := &sub{role: role, subID: subID, id: id, device: device, results: &report.Results{}}
	s.dir = filepath.Join(out, fmt.Sprintf("%s-%d", role, subID))
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		panic(err)
	}
	l, err := report.CreateLog(filepath.Join(s.dir, "log.yaml"))
	if err != nil {
		panic(err)
	}
	l.SetClock(func() time.Time { return s.now })
	s.log = l
	return s
}

func (s *sub) finish(took float64) {
	s.result(sdk.Result{Definition: "lava", Case: "job", Result: "pass", Extra: map[string]any{}})
	s.info("Job finished correctly")
	s.log.Close()
	if err := s.results.WriteFiles(s.dir, "ssh guest with standard images"); err != nil {
		panic(err)
	}
	so := map[string]any{"role": s.role, "sub_id": s.subID, "job_id": s.id, "device": s.device,
		"output_dir": s.dir, "health": "Complete", "duration": fmt.Sprintf("%.3fs", took)}
	b, _ := yaml.Marshal(so)
	if err := os.WriteFile(filepath.Join(s.dir, "result.yaml"), b, 0o644); err != nil {
		panic(err)
	}
}

func testcase(s *sub, def, id, res string) {
	s.target(fmt.Sprintf("<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=%s RESULT=%s>", id, res))
	s.result(sdk.Result{Definition: def, Case: id, Result: res})
}

func smoke(s *sub, def string, from float64) {
	s.at(from).target(fmt.Sprintf("<LAVA_SIGNAL_STARTRUN %s %s_1.1.%s abc-%s>", def, s.id, def[:1], def))
	for _, c := range []string{"linux-posix-pwd", "linux-posix-uname", "linux-posix-vmstat", "linux-posix-ifconfig", "linux-posix-lscpu", "linux-posix-lsb_release"} {
		s.target("+ " + strings.TrimPrefix(c, "linux-posix-"))
		testcase(s, def, c, "pass")
	}
	s.target(fmt.Sprintf("<LAVA_SIGNAL_ENDRUN %s abc-%s>", def, def))
	s.result(sdk.Result{Definition: "lava", Case: def, Result: "pass", Duration: "4.10"})
}

func main() {
	out := "founding"
	os.RemoveAll(out)
	host := newSub(out, "host", 3, "1003", "mustang-01")
	var guests []*sub
	for i := 0; i < 3; i++ {
		guests = append(guests, newSub(out, "guest", i, fmt.Sprint(1000+i), ""))
	}

	// the host: tftp deploy, grub boot over NFS, the test shell
	h := host
	h.at(0).info("lavacore: job 1003 (ssh guest with standard images) on mustang-01 (mustang)")
	h.start(0.2, "1", "tftp-deploy", "00:12:00")
	h.start(0.21, "1.1", "download-retry", "00:12:00")
	h.at(0.3).info("downloading http://10.77.0.254:8080/real/vmlinuz")
	h.result(sdk.Result{Definition: "lava", Case: "file-download", Result: "pass", Level: "1.1.1", Duration: "1.20", Extra: map[string]any{"label": "kernel", "size": 7340544}})
	h.end(9.8, "1.1", "download-retry", 9.6)
	h.start(9.81, "1.2", "prepare-tftp-overlay", "00:11:50")
	h.start(9.82, "1.2.1", "extract-nfsrootfs", "00:11:50")
	h.end(15.4, "1.2.1", "extract-nfsrootfs", 5.6)
	h.start(15.41, "1.2.2", "lava-overlay", "00:11:45")
	h.end(17.9, "1.2.2", "lava-overlay", 2.5)
	h.end(18.0, "1.2", "prepare-tftp-overlay", 8.2)
	h.end(18.1, "1", "tftp-deploy", 17.9)
	h.start(18.2, "2", "grub-main-action", "00:05:00")
	h.at(18.21).info("[common] connect-device Connecting to device using 'telnet 127.0.0.1 7001'")
	h.start(18.3, "2.1", "reset-device", "00:05:00")
	h.at(18.31).debug("Calling: 'lavacore lab power board-01 reboot'")
	h.end(19.5, "2.1", "reset-device", 1.2)
	h.start(19.51, "2.2", "bootloader-interrupt", "00:04:58")
	h.at(21.0).target("BdsDxe: loading Boot0001 \"UEFI PXEv4 (MAC:525400000001)\"", "GNU GRUB  version 2.06-13+deb12u1")
	h.end(21.4, "2.2", "bootloader-interrupt", 1.9)
	h.start(21.41, "2.3", "bootloader-commands", "00:04:57")
	for _, c := range []string{"linux (tftp,10.77.0.254)/1003/tftp-deploy-x/kernel/vmlinuz console=ttyS0,115200 root=/dev/nfs rw nfsroot=10.77.0.254:/nfs/1003,tcp,hard ip=dhcp", "initrd (tftp,10.77.0.254)/1003/tftp-deploy-x/ramdisk/initrd.img", "boot"} {
		h.input(c)
		h.target("grub> " + c)
	}
	h.end(24.0, "2.3", "bootloader-commands", 2.6)
	h.start(24.01, "2.4", "auto-login-action", "00:04:54")
	h.at(26).target("[    0.000000] Linux version 6.1.0-31-cloud-amd64 (debian-kernel@lists.debian.org)",
		"[    1.920113] Run /init as init process",
		"[    4.812370] VFS: Mounted root (nfs filesystem) on device 0:22.",
		"Debian GNU/Linux 12 stretch ttyS0", "", "stretch login: ")
	h.at(52.3).input("root")
	h.target("root", "Last login: never", "root@stretch:~# ")
	h.result(sdk.Result{Definition: "lava", Case: "auto-login-action", Result: "pass", Level: "2.4", Duration: "28.40"})
	h.end(52.5, "2.4", "auto-login-action", 28.5)
	h.start(52.51, "2.5", "expect-shell-connection", "00:04:26")
	h.end(52.6, "2.5", "expect-shell-connection", 0.1)
	h.end(52.7, "2", "grub-main-action", 34.5)
	h.start(52.8, "3", "lava-test-retry", "00:30:00")
	h.start(52.81, "3.1", "lava-test-shell", "00:30:00")
	h.at(53).input("/lava-1003/bin/lava-test-runner /lava-1003/0")
	h.target("<LAVA_SIGNAL_STARTRUN 0_ssh-inline 1003_1.1.4.5 3a4c>", "+ ls -al /root/.ssh/", "-rw------- 1 root root 399 Jun  2 09:14 authorized_keys", "+ ifconfig",
		"eth0: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500", "        inet 10.77.0.11  netmask 255.255.255.0  broadcast 10.77.0.255")
	h.at(54.1).target("<LAVA_MULTI_NODE> <LAVA_SEND ipv4 ipaddr=10.77.0.11>")
	h.proto(54.12, "lava-send ipv4", "request")
	h.proto(54.13, "lava-send ipv4", "ack")
	h.result(sdk.Result{Definition: "lava", Case: "multinode-send-ipv4", Result: "pass"})
	h.at(54.3).target("<LAVA_MULTI_NODE> <LAVA_SEND lava_start>")
	h.proto(54.32, "lava-send lava_start", "request")
	h.proto(54.33, "lava-send lava_start", "ack")
	h.result(sdk.Result{Definition: "lava", Case: "multinode-send-lava_start", Result: "pass"})
	h.at(54.5).target("<LAVA_MULTI_NODE> <LAVA_SYNC clients>")
	h.proto(54.52, "lava-sync clients", "request")

	for i, g := range guests {
		off := float64(i) * 0.05
		g.at(0.01 + off).info(fmt.Sprintf("lavacore: job %s (ssh guest with standard images) on no device", g.id))
		g.proto(0.02+off, "lava-wait-all lava_start", "request")
		g.proto(54.4+off, "lava-wait-all lava_start", "ack")
		g.start(54.5+off, "1", "scp-overlay", "00:22:00")
		g.start(54.51+off, "1.1", "lava-overlay", "00:22:00")
		g.start(54.52+off, "1.1.1", "ssh-authorize", "00:22:00")
		g.end(54.6+off, "1.1.1", "ssh-authorize", 0.1)
		g.start(54.61+off, "1.1.4", "test-definition", "00:22:00")
		g.start(54.62+off, "1.1.4.1", "git-repo-action", "00:22:00")
		g.at(54.63 + off).info("Fetching tests from http://10.77.0.254:8080/git/lava-functional-tests.git")
		g.result(sdk.Result{Definition: "lava", Case: "git-repo-action", Result: "pass", Level: "1.1.4.1", Duration: "0.81",
			Extra: map[string]any{"commit": "4d5f0d2", "path": "lava-test-shell/smoke-tests-basic.yaml", "repository": "http://10.77.0.254:8080/git/lava-functional-tests.git"}})
		g.end(55.5+off, "1.1.4.1", "git-repo-action", 0.9)
		g.end(56.0+off, "1.1.4", "test-definition", 1.4)
		g.end(56.2+off, "1.1", "lava-overlay", 1.7)
		g.start(56.21+off, "1.2", "prepare-scp-overlay", "00:21:58")
		g.proto(56.22+off, "lava-wait ipv4", "request")
		g.proto(56.23+off, "lava-wait ipv4", "ack from 1003")
		g.result(sdk.Result{Definition: "lava", Case: "multinode-wait-ipv4", Result: "pass"})
		g.at(56.24 + off).debug("substituting the host's ipaddr 10.77.0.11")
		g.end(56.4+off, "1.2", "prepare-scp-overlay", 0.2)
		g.end(56.5+off, "1", "scp-overlay", 2.0)
		g.start(56.6+off, "2", "login-ssh", "00:23:00")
		g.at(56.61 + off).info("[common] connect-device Connecting to device using 'ssh root@10.77.0.11:22'")
		g.start(56.62+off, "2.1", "ssh-connection", "00:23:00")
		g.at(57.4+off).target("Warning: Permanently added '10.77.0.11' (ED25519) to the list of known hosts.", "root@stretch:~# ")
		g.end(57.5+off, "2.1", "ssh-connection", 0.9)
		g.start(57.51+off, "2.2", "scp-deploy", "00:22:59")
		g.end(58.3+off, "2.2", "scp-deploy", 0.8)
		g.start(58.31+off, "2.3", "expect-shell-connection", "00:22:58")
		g.end(58.4+off, "2.3", "expect-shell-connection", 0.1)
		g.end(58.5+off, "2", "login-ssh", 1.9)
		g.start(58.6+off, "3", "lava-test-retry", "00:05:00")
		g.start(58.61+off, "3.1", "lava-test-shell", "00:05:00")
		g.at(58.7 + off).input(fmt.Sprintf("/lava-%s/bin/lava-test-runner /lava-%s/0", g.id, g.id))
		smoke(g, "0_pre-smoke-tests", 59+off)
		g.at(63.2+off).target(fmt.Sprintf("<LAVA_SIGNAL_STARTRUN 1_ssh-client %s_1.1.4.5 77b1>", g.id), "+ lava-sync clients", "<LAVA_MULTI_NODE> <LAVA_SYNC clients>")
		g.proto(63.3+float64(i)*4.1, "lava-sync clients", "request")
	}
	// the last guest reaches the sync at 71.5 s: every sync completes
	for i, g := range guests {
		off := float64(i) * 0.05
		g.proto(71.55+off, "lava-sync clients", "ack")
		g.result(sdk.Result{Definition: "lava", Case: "multinode-sync-clients", Result: "pass"})
		g.at(71.6 + off).input("<LAVA_SYNC_COMPLETE>")
		g.target("+ tar -tzf /lava-"+g.id+"-overlay.tar.gz", "lava-"+g.id+"/bin/lava-test-runner", "<LAVA_SIGNAL_ENDRUN 1_ssh-client 77b1>")
		g.result(sdk.Result{Definition: "lava", Case: "1_ssh-client", Result: "pass", Duration: "8.50"})
		smoke(g, "2_post-smoke-tests", 72+off)
		g.at(76.5 + off).target("<LAVA_TEST_RUNNER EXIT>")
		g.end(76.6+off, "3.1", "lava-test-shell", 18.0)
		g.end(76.7+off, "3", "lava-test-retry", 18.1)
		g.start(76.8+off, "4", "finalize", "00:00:30")
		g.end(77.0+off, "4", "finalize", 0.2)
		g.finish(77.0 + off)
	}
	h.proto(71.56, "lava-sync clients", "ack")
	h.result(sdk.Result{Definition: "lava", Case: "multinode-sync-clients", Result: "pass"})
	h.at(71.6).input("<LAVA_SYNC_COMPLETE>")
	h.target("<LAVA_SIGNAL_ENDRUN 0_ssh-inline 3a4c>")
	h.result(sdk.Result{Definition: "lava", Case: "0_ssh-inline", Result: "pass", Duration: "18.60"})
	smoke(h, "1_smoke-tests", 72)
	h.at(77).target("<LAVA_SIGNAL_STARTRUN 2_nfs-dns 1003_1.1.4.13 9e02>")
	testcase(h, "2_nfs-dns", "nfs-mount", "pass")
	testcase(h, "2_nfs-dns", "dns-lookup", "pass")
	h.target("<LAVA_SIGNAL_ENDRUN 2_nfs-dns 9e02>")
	h.at(79).target("<LAVA_SIGNAL_STARTRUN 3_singlenode-advanced 1003_1.1.4.17 c1d3>")
	for _, c := range []string{"linux-linaro-ubuntu-pwd", "linux-linaro-ubuntu-uname", "linux-linaro-ubuntu-vmstat", "linux-linaro-ubuntu-ifconfig"} {
		testcase(h, "3_singlenode-advanced", c, "pass")
	}
	h.target("<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=linux-linaro-ubuntu-netstat RESULT=pass MEASUREMENT=14 UNITS=sockets>")
	h.result(sdk.Result{Definition: "3_singlenode-advanced", Case: "linux-linaro-ubuntu-netstat", Result: "pass", Measurement: "14", Units: "sockets"})
	h.target("<LAVA_SIGNAL_ENDRUN 3_singlenode-advanced c1d3>", "<LAVA_TEST_RUNNER EXIT>")
	h.end(82.3, "3.1", "lava-test-shell", 29.5)
	h.end(82.4, "3", "lava-test-retry", 29.6)
	h.start(82.5, "4", "finalize", "00:00:30")
	h.at(82.6).debug("Calling: 'lavacore lab power board-01 off'")
	h.end(83.1, "4", "finalize", 0.6)
	h.finish(83.1)

	summary := map[string]any{"job_name": "ssh guest with standard images", "health": "Complete", "sub_jobs": []any{}}
	b, _ := yaml.Marshal(summary)
	if err := os.WriteFile(filepath.Join(out, "summary.yaml"), b, 0o644); err != nil {
		panic(err)
	}
}
