package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/core/pipeline"
)

func describeSeedPath(t *testing.T) string {
	for _, p := range []string{"../../examples/jobs/mustang-ssh-guest.yaml", "../../../shared/seed/mustang-ssh-guest.yaml"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("the founding job is absent")
	return ""
}

func describeCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := describeCommand(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// describeCommand runs one command line without signal handling.
func describeCommand(ctx context.Context, args []string, stdout, stderr *bytes.Buffer) int {
	return realMain(ctx, args, stdout, stderr)
}

func TestDescribeSeed(t *testing.T) {
	seed := describeSeedPath(t)
	lab := filepath.Join("..", "..", "examples", "lab")
	code, out, errs := describeCLI("describe", seed, "--lab", lab)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var subs []pipeline.SubJobDescription
	if err := yaml.Unmarshal([]byte(out), &subs); err != nil {
		t.Fatal(err)
	}
	if len(subs) != 4 {
		t.Fatalf("%d sub-jobs, want 4", len(subs))
	}
	for _, s := range subs {
		overlay := s.Pipeline[0].Pipeline[0]
		last := overlay.Pipeline[len(overlay.Pipeline)-1]
		if last.Name != "compress-overlay" || last.Level != "1.1.5" {
			t.Errorf("%s %d: %s at %s", s.SubJob.Role, s.SubJob.SubID, last.Name, last.Level)
		}
	}
	if subs[3].SubJob.Role != "host" || subs[3].Pipeline[1].Name != "grub-main-action" || subs[0].Pipeline[1].Name != "login-ssh" {
		t.Errorf("roles/pipelines: %+v", subs[3].SubJob)
	}

	code, out, errs = describeCLI("describe", seed, "--lab", lab, "--role", "guest", "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if err := json.Unmarshal([]byte(out), &subs); err != nil || len(subs) != 3 {
		t.Fatalf("json: %v, %d sub-jobs", err, len(subs))
	}
}

func TestDescribeErrors(t *testing.T) {
	seed := describeSeedPath(t)
	lab := filepath.Join("..", "..", "examples", "lab")
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("job_name: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"describe"}, 2, "lavacore describe: missing one JOB.yaml\nRun 'lavacore describe --help' for usage.\n"},
		{[]string{"describe", seed, "--output", "xml"}, 2, `--output must be yaml or json, not "xml"`},
		{[]string{"describe", seed, "--lab", lab, "--role", "server"}, 2, `the job has no role "server"`},
		{[]string{"describe", seed, "--lab", lab, "--device", "nope"}, 2, `role host (sub_id 3): device nope: Unknown device: The lab`},
		{[]string{"describe", bad, "--lab", lab}, 2, "is not a valid job"},
	}
	for _, c := range cases {
		code, _, errs := describeCLI(c.args...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d, %q", c.args, code, errs, c.code, c.want)
		}
	}
}

// BenchmarkDescribeCommand is `lavacore describe` of the founding job in
// process (job load + split, lab load, pipelines, YAML).
func BenchmarkDescribeCommand(b *testing.B) {
	seed := "../../../shared/seed/mustang-ssh-guest.yaml"
	if _, err := os.Stat("../../examples/jobs/mustang-ssh-guest.yaml"); err == nil {
		seed = "../../examples/jobs/mustang-ssh-guest.yaml"
	} else if _, err := os.Stat(seed); err != nil {
		b.Skip("the founding job is absent")
	}
	o := describeOptions{Job: seed, Lab: filepath.Join("..", "..", "examples", "lab"), Output: "yaml"}
	for b.Loop() {
		var out, errs bytes.Buffer
		if code := describe(context.Background(), o, &out, &errs); code != 0 {
			b.Fatal(errs.String())
		}
	}
}

// `lavacore validate --lab` builds and validates every sub-job's pipeline.
func TestValidatePipelinesHook(t *testing.T) {
	src, err := os.ReadFile(describeSeedPath(t))
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, bytes.Replace(src, []byte("commands: nfs"), []byte("commands: nfsx"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	lab := filepath.Join("..", "..", "examples", "lab")
	code, _, errs := describeCLI("validate", bad, "--lab", lab)
	if code != 2 || !strings.Contains(errs, "actions[2].boot.grub-efi.commands: Command 'nfsx' not found in supported methods\n") ||
		strings.Count(errs, "nfsx") != 1 {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	if code, _, errs := describeCLI("validate", describeSeedPath(t), "--lab", lab); code != 0 {
		t.Errorf("seed: exit %d: %s", code, errs)
	}
}

// A job's `command:` blocks: describe prints user-command; a name the device
// does not declare fails with LAVA's message at the block's line.
func TestDescribeCommand(t *testing.T) {
	lab := filepath.Join("..", "..", "internal", "pipelinetest", "testdata", "lab")
	job := filepath.Join(t.TempDir(), "cmd.yaml")
	src := "device_type: mustang\njob_name: c\ntimeouts: {job: {minutes: 5}}\npriority: medium\nvisibility: public\n" +
		"actions:\n- command:\n    name: usb_on\n    timeout: {minutes: 1}\n- command:\n    name: %s\n"
	if err := os.WriteFile(job, fmt.Appendf(nil, src, "pre_power_command"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := describeCLI("describe", job, "--lab", lab, "--device", "mustang2")
	if code != 0 || !strings.Contains(out, "  - class: CommandAction\n    name: user-command\n    level: '1'\n") || !strings.Contains(out, "    timeout: 60\n") {
		t.Errorf("exit %d: %s%s", code, out, errs)
	}
	if err := os.WriteFile(job, fmt.Appendf(nil, src, "usb_onn"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs = describeCLI("describe", job, "--lab", lab, "--device", "mustang2")
	if want := job + ":10:3: actions[1].command.usb_onn: Unknown user command 'usb_onn'\n"; code != 2 || errs != want {
		t.Errorf("exit %d, stderr %q, want %q", code, errs, want)
	}
	code, _, errs = describeCLI("validate", job, "--lab", lab)
	if code != 2 || !strings.Contains(errs, "actions[0].command.usb_on: Device has no configured user commands") {
		t.Errorf("validate on mustang1: exit %d, %q", code, errs)
	}
}

// --lava-version picks the LAVA release: the default keeps the founding
// document's guest overlay at 1.1.5, 2026.08 (after LAVA dropped VLANd) puts
// it at 1.1.4; a name that is not a release is bad usage on every command.
func TestDescribeLavaVersion(t *testing.T) {
	seed := describeSeedPath(t)
	lab := filepath.Join("..", "..", "examples", "lab")
	for _, c := range []struct {
		args  []string
		level string
	}{
		{nil, "1.1.5"},
		{[]string{"--lava-version", "2023.01"}, "1.1.5"},
		{[]string{"--lava-version", "2026.08"}, "1.1.4"},
	} {
		code, out, errs := describeCLI(append([]string{"describe", seed, "--lab", lab, "--role", "guest"}, c.args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", c.args, code, errs)
		}
		var subs []pipeline.SubJobDescription
		if err := yaml.Unmarshal([]byte(out), &subs); err != nil || len(subs) == 0 {
			t.Fatalf("%v: %v", c.args, err)
		}
		overlay := subs[0].Pipeline[0].Pipeline[0]
		last := overlay.Pipeline[len(overlay.Pipeline)-1]
		if last.Name != "compress-overlay" || last.Level != c.level {
			t.Errorf("%v: %s at %s, want compress-overlay at %s", c.args, last.Name, last.Level, c.level)
		}
	}
	for _, cmd := range []string{"describe", "validate", "run"} {
		code, _, errs := describeCLI(cmd, seed, "--lab", lab, "--lava-version", "2026.8")
		if code != 2 || !strings.Contains(errs, "--lava-version: \"2026.8\" is not a LAVA release") {
			t.Errorf("%s --lava-version 2026.8: exit %d, %s", cmd, code, errs)
		}
	}
}
