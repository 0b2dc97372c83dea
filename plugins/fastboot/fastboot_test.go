package fastboot

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

// flat lists a tree's action names depth first.
func flat(s sdk.ActionSpec) []string {
	out := []string{s.Name}
	for _, c := range s.Children {
		out = append(out, flat(c)...)
	}
	return out
}

func testDevice(hardReset, viaUboot bool) sdk.Device {
	d := sdk.Device{Name: "db410c-01", Type: "dragonboard-410c",
		Vars: map[string]string{},
		Methods: map[string]map[string]any{"deploy/fastboot": {}, "boot/fastboot": {},
			"deploy/u-boot": {"bootloader_prompt": "=>", "fastboot": map[string]any{"commands": []any{"fastboot 0"}}}},
		Extra: map[string]any{
			"fastboot_serial_number":        "c2e02318",
			"adb_serial_number":             "c2e02318",
			"fastboot_options":              []any{"-S", "256M"},
			"flash_cmds_order":              []any{"ptable", "boot", "rootfs"},
			"actions.boot.methods.fastboot": []any{"boot"},
			"fastboot_via_uboot":            viaUboot,
		},
	}
	if hardReset {
		d.Commands = map[string]sdk.DeviceCommand{"hard_reset": {Do: []string{"pdu reboot 1"}}}
	}
	return d
}

func deployReq(d sdk.Device) sdk.Request {
	images := map[string]any{
		"rootfs": map[string]any{"url": "http://example.com/rootfs.img", "apply-overlay": true},
		"extra":  map[string]any{"url": "http://example.com/extra.img", "reboot": "fastboot-reboot"},
		"boot":   map[string]any{"url": "http://example.com/boot.img"},
	}
	b := sdk.Block{Section: sdk.SectionDeploy, Method: "fastboot", Index: 0, Namespace: "common",
		Params: map[string]any{"to": "fastboot", "images": images},
		Order:  map[string][]string{"images": {"rootfs", "extra", "boot"}}}
	test := sdk.Block{Section: sdk.SectionTest, Method: "definitions", Index: 2, Namespace: "common",
		Params: map[string]any{"definitions": []any{map[string]any{"from": "inline", "name": "t", "repository": map[string]any{}}}}}
	boot := sdk.Block{Section: sdk.SectionBoot, Method: "fastboot", Index: 1, Namespace: "common",
		Params: map[string]any{"method": "fastboot", "prompts": []any{"# "}}}
	return sdk.Request{Job: sdk.JobInfo{ID: "7", Blocks: []sdk.Block{b, boot, test}}, Block: b, Device: d}
}

// TestDescribeDeploy: downloads in the job's order (each followed by its
// overlay and environment steps), then the way into fastboot mode the device
// has, then the flashes in the device's flash order, the job's other images last.
func TestDescribeDeploy(t *testing.T) {
	flashes := []string{"fastboot-flash-order-action", "read-feedback",
		"wait-device-boardid", "fastboot-flash-action", // boot
		"wait-device-boardid", "fastboot-flash-action", // rootfs
		"wait-device-boardid", "fastboot-flash-action", "fastboot-reboot", "read-feedback"} // extra
	for _, c := range []struct {
		name             string
		hardReset, uboot bool
		enter            []string
	}{
		{"pdu", true, false, []string{"connect-device", "pre-power-command", "reset-device", "pdu-reboot"}},
		{"u-boot", true, true, []string{"connect-device", "uboot-enter-fastboot", "reset-device", "pdu-reboot", "bootloader-interrupt"}},
		{"adb", false, false, []string{"enter-fastboot-action"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := deployReq(testDevice(c.hardReset, c.uboot))
			m := NewDeploy()
			top, err := m.Describe(req)
			if err != nil {
				t.Fatal(err)
			}
			var kids []string
			for _, k := range top.Children[1:] {
				kids = append(kids, flat(k)...)
			}
			want := []string{"download-retry", "http-download", "apply-overlay-sparse-image", "deploy-device-env",
				"download-retry", "http-download", "deploy-device-env",
				"download-retry", "http-download", "deploy-device-env"}
			want = append(append(want, c.enter...), flashes...)
			if !slices.Equal(kids, want) {
				t.Errorf("children\n got %v\nwant %v", kids, want)
			}
			sdktest.CheckActions(t, m, req)
			if d := m.Validate(context.Background(), req); d.HasErrors() {
				t.Errorf("validate: %v", d)
			}
		})
	}
}

// TestDescribeBoot: the boot sequence of the device after fastboot mode,
// then the login tail (devices with a PDU) or adb.
func TestDescribeBoot(t *testing.T) {
	for _, c := range []struct {
		name      string
		hardReset bool
		want      []string
	}{
		{"pdu", true, []string{"fastboot-boot", "connect-device", "reset-device", "pdu-reboot",
			"wait-device-boardid", "boot-fastboot", "pre-os-command", "auto-login-action", "login-action",
			"expect-shell-connection", "export-device-env"}},
		{"adb", false, []string{"fastboot-boot", "wait-device-boardid", "enter-fastboot-action",
			"wait-device-boardid", "boot-fastboot", "connect-adb", "adb-overlay-unpack"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := deployReq(testDevice(c.hardReset, false))
			req.Block = req.Job.Blocks[1]
			m := NewBoot()
			top, err := m.Describe(req)
			if err != nil {
				t.Fatal(err)
			}
			if got := flat(top); !slices.Equal(got, c.want) {
				t.Errorf("got %v\nwant %v", got, c.want)
			}
			sdktest.CheckActions(t, m, req)
		})
	}
}

// fakeTool puts a fake command on PATH that appends its argv (one word a
// line, then "--") to a log file and prints out.
func fakeTool(t *testing.T, name, out string) string {
	t.Helper()
	dir := t.TempDir()
	log := filepath.Join(dir, name+".argv")
	script := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> " + log + "; done\necho -- >> " + log + "\nprintf '%b' '" + out + "'\n"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return log
}

func argvs(t *testing.T, log string) [][]string {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	var cur []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l == "--" {
			out, cur = append(out, cur), nil
			continue
		}
		cur = append(cur, l)
	}
	return out
}

// levelOf returns the level of the n-th (0-based) action named name in top.
func levelOf(top sdk.ActionSpec, name string, n int) string {
	var walk func(s sdk.ActionSpec, level string) string
	walk = func(s sdk.ActionSpec, level string) string {
		for i, c := range s.Children {
			l := level + "." + strconv.Itoa(i+1)
			if c.Name == name {
				if n == 0 {
					return l
				}
				n--
			}
			if r := walk(c, l); r != "" {
				return r
			}
		}
		return ""
	}
	return walk(top, "1")
}

// TestFlash_RunsFastbootWithArgv: each flash runs `fastboot -s SERIAL flash
// PARTITION FILE OPTIONS…` with an argv, in the device's flash order.
func TestFlash_RunsFastbootWithArgv(t *testing.T) {
	log := fakeTool(t, "fastboot", "OKAY\n")
	req := deployReq(testDevice(true, false))
	m := NewDeploy()
	top, err := m.Describe(req)
	if err != nil {
		t.Fatal(err)
	}
	h := sdktest.NewHost("")
	for _, k := range []string{"boot", "rootfs", "extra"} {
		if err := h.Set("download-action", k, "file", `"/work/`+k+`.img"`); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 3; i++ {
		call := sdk.Call{Request: req, Action: "fastboot-flash-action", Level: levelOf(top, "fastboot-flash-action", i)}
		if err := m.Run(context.Background(), call, h); err != nil {
			t.Fatalf("flash %d: %v", i, err)
		}
	}
	want := [][]string{
		{"-s", "c2e02318", "flash", "boot", "/work/boot.img", "-S", "256M"},
		{"-s", "c2e02318", "flash", "rootfs", "/work/rootfs.img", "-S", "256M"},
		{"-s", "c2e02318", "flash", "extra", "/work/extra.img", "-S", "256M"},
	}
	if got := argvs(t, log); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("argv\n got %q\nwant %q", got, want)
	}
}

// TestBootCommands_JobOptionNeverReachesFastboot: a job's fastboot boot
// commands choose the command, never an option of the tool (the device's
// fastboot_options are the lab's): validation refuses it and so does Run,
// before anything runs.
func TestBootCommands_JobOptionNeverReachesFastboot(t *testing.T) {
	log := fakeTool(t, "fastboot", "OKAY\n")
	req := deployReq(testDevice(true, false))
	req.Block = req.Job.Blocks[1]
	req.Block.Params["commands"] = []any{"oem uart enable", "flash --slot=all boot /etc/shadow"}
	m := NewBoot()
	if d := m.Validate(context.Background(), req); !d.HasErrors() || !strings.Contains(d[0].Summary, "--slot=all") {
		t.Errorf("validate: %v", d)
	}
	err := m.Run(context.Background(), sdk.Call{Request: req, Action: "fastboot-boot-commands", Level: "1.1"}, sdktest.NewHost(""))
	if err == nil || sdk.TypeOf(err) != sdk.Job {
		t.Errorf("run: %v, want a Job error", err)
	}
	got := argvs(t, log)
	want := [][]string{{"-s", "c2e02318", "oem", "uart", "enable", "-S", "256M"}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("argv\n got %q\nwant %q", got, want)
	}
}

// TestDetect_OptionAsSerialNumberRefused: what `fastboot devices` prints
// becomes the value of -s; a "serial number" that is an option is refused.
func TestDetect_OptionAsSerialNumberRefused(t *testing.T) {
	for _, c := range []struct {
		out, want string
	}{
		{`a2c22e48\tfastboot\n`, "a2c22e48"},
		{`-w\tfastboot\n`, ""},
		{`a2c22e48\tfastboot\nb3\tfastboot\n`, ""},
		{``, ""},
	} {
		fakeTool(t, "fastboot", c.out)
		req := deployReq(testDevice(true, false))
		h := sdktest.NewHost("")
		err := detectDevice(context.Background(), sdk.Call{Request: req, Action: "detect-fastboot-device"}, h)
		got, _, _ := h.Get(keySerial[0], keySerial[1], keySerial[2])
		if c.want != "" && (err != nil || got != `"`+c.want+`"`) {
			t.Errorf("%q: %v, serial %s", c.out, err, got)
		}
		if c.want == "" && (err == nil || got != "") {
			t.Errorf("%q: accepted (serial %s)", c.out, got)
		}
	}
}
