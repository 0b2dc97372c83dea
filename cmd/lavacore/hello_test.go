package main

import (
	"encoding/json"
	"gopkg.in/yaml.v3"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/core/pluginhost"
)

// An out-of-tree plugin (examples/plugin-hello), installed in a plugin
// directory of its own, is seen by validate (from its manifest, without
// starting it), describe and run, next to lavacore's own plugins. (On the
// virtual lab's board: lab/e2e_test.go.)
func TestOutOfTreePluginValidatesDescribesAndRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds examples/plugin-hello (not with -short)")
	}
	builtins := os.Getenv(pluginhost.PathEnv)
	build := t.TempDir()
	cmd := exec.Command("go", "build", "-o", filepath.Join(build, "hello-plugin"), ".")
	cmd.Dir = filepath.Join("..", "..", "examples", "plugin-hello")
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build examples/plugin-hello: %v\n%s", err, out)
	}
	mine := t.TempDir()
	code, out, errs := describeCLI("plugins", "install", filepath.Join(build, "hello-plugin"), mine)
	if code != 0 || !strings.Contains(out, "installed hello 0.1.0 (boot/hello) as "+filepath.Join(mine, "lavacore-plugin-hello")) {
		t.Fatalf("plugins install: exit %d: %s%s", code, out, errs)
	}
	for _, f := range []string{"lavacore-plugin-hello_SHA256SUM", "lavacore-plugin-hello_MANIFEST.json"} {
		if _, err := os.Stat(filepath.Join(mine, f)); err != nil {
			t.Errorf("plugins install did not record %s: %v", f, err)
		}
	}
	t.Setenv(pluginhost.PathEnv, mine+string(os.PathListSeparator)+builtins)

	job := filepath.Join("..", "..", "examples", "plugin-hello", "job.yaml")
	lab := filepath.Join("..", "..", "examples", "plugin-hello", "lab")
	if code, out, errs := describeCLI("validate", job); code != 0 || !strings.Contains(out, "valid (1 actions, 1 sub-jobs)") {
		t.Errorf("validate: exit %d: %s%s", code, out, errs)
	}
	if code, out, errs := describeCLI("validate", job, "--lab", lab); code != 0 {
		t.Errorf("validate --lab: exit %d: %s%s", code, out, errs)
	}
	code, out, errs = describeCLI("describe", job, "--lab", lab)
	if code != 0 || !strings.Contains(out, "class: HelloBoot") || !strings.Contains(out, "name: hello-boot") {
		t.Errorf("describe: exit %d: %s%s", code, out, errs)
	}
	// it runs Complete on its own lab (it needs no device) and says hello
	runOut := filepath.Join(t.TempDir(), "run")
	code, out, errs = describeCLI("run", job, "--lab", lab, "--output-dir", runOut)
	if code != 0 || !strings.Contains(out, "hello, lavacore, from job") {
		t.Errorf("run: exit %d: %s%s", code, out, errs)
	}
	if res, err := os.ReadFile(filepath.Join(runOut, "results.yaml")); err != nil || !helloPassed(res) {
		t.Errorf("results.yaml: %v\n%s", err, res)
	}
	// --output json: NDJSON records, each with its sub-job's job_id, role and
	// sub_id, then one outcome record
	code, out, errs = describeCLI("run", job, "--lab", lab, "--output-dir", filepath.Join(t.TempDir(), "json"), "--output", "json", "--job-id", "41")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) < 2 {
		t.Fatalf("run --output json: exit %d: %s%s", code, out, errs)
	}
	for i, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("line %d is not JSON: %v: %s", i+1, err, l)
		}
		if i == len(lines)-1 {
			o, _ := rec["outcome"].(map[string]any)
			subs, _ := o["sub_jobs"].([]any)
			if o["health"] != "Complete" || o["exit_status"] != 0.0 || len(subs) != 1 || subs[0].(map[string]any)["job_id"] != "41" {
				t.Errorf("last record is not the outcome: %s", l)
			}
			continue
		}
		if _, ok := rec["role"]; rec["job_id"] != "41" || !ok || rec["sub_id"] != 0.0 || rec["lvl"] == nil {
			t.Errorf("record %d lacks job_id, role, sub_id: %s", i+1, l)
		}
	}
	// the manifest's job parameters are checked without starting the plugin
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	src, _ := os.ReadFile(job)
	os.WriteFile(bad, []byte(strings.Replace(string(src), "greeting: lavacore", "greeting: [lavacore]\n    colour: blue", 1)), 0o644)
	code, _, errs = describeCLI("validate", bad)
	if code != 2 || !strings.Contains(errs, ": actions[0].boot.hello.greeting: expected str\n") ||
		!strings.Contains(errs, ": actions[0].boot.hello.colour: extra keys not allowed\n") {
		t.Errorf("validate bad job: exit %d, stderr %s", code, errs)
	}
	// the built-ins are still there: the founding job validates and describes
	seed := describeSeedPath(t)
	if code, _, errs := describeCLI("describe", seed, "--lab", filepath.Join("..", "..", "examples", "lab")); code != 0 {
		t.Errorf("founding job next to the hello plugin: exit %d: %s", code, errs)
	}
}

// plugins list says why a plugin cannot be used.
func TestPluginsListSaysWhy(t *testing.T) {
	builtins := os.Getenv(pluginhost.PathEnv)
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write("lavacore-plugin-nosum", "#!/bin/sh\n")
	write("lavacore-plugin-nomanifest", "#!/bin/sh\n")
	write("lavacore-plugin-nomanifest_SHA256SUM", "00  lavacore-plugin-nomanifest\n")
	write("lavacore-plugin-oldapi_v1.0.0_x1_linux_amd64", "#!/bin/sh\n")
	// a plugin that overrides a built-in method: the tftp plugin under another name
	tftp, err := os.ReadFile(filepath.Join(builtins, "lavacore-plugin-tftp"))
	if err != nil {
		t.Fatal(err)
	}
	write("lavacore-plugin-tftp", string(tftp))
	if _, err := pluginhost.Record(t.Context(), filepath.Join(dir, "lavacore-plugin-tftp")); err != nil {
		t.Fatal(err)
	}
	t.Setenv(pluginhost.PathEnv, dir+string(os.PathListSeparator)+builtins)
	code, out, errs := describeCLI("plugins", "list")
	for _, want := range []string{
		"nosum: no checksum file",
		"nomanifest: no manifest lavacore-plugin-nomanifest_MANIFEST.json",
		"oldapi: lavacore-plugin-oldapi_v1.0.0_x1_linux_amd64 is built for plugin API x1",
		"tftp: " + filepath.Join(dir, "lavacore-plugin-tftp") + " hides " + filepath.Join(builtins, "lavacore-plugin-tftp"),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plugins list lacks %q:\n%s%s", want, out, errs)
		}
	}
	if code != 0 {
		t.Errorf("exit %d", code)
	}
}

// helloPassed says whether results.yaml (LAVA's export fields) has the
// hello case passing.
func helloPassed(b []byte) bool {
	var rs []map[string]any
	if yaml.Unmarshal(b, &rs) != nil {
		return false
	}
	for _, r := range rs {
		if r["name"] == "hello" && r["result"] == "pass" {
			return true
		}
	}
	return false
}
