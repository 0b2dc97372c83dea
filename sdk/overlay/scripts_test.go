package overlay

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/overlay/signals"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// stream feeds console output line by line through signals.Parser and a
// Collector, as the test shell does, and returns the results and the errors
// the signals raised.
func stream(out string, patterns map[string]ParseSpec) (results []string, errs []string, events []signals.Event) {
	c := &Collector{Result: func(r sdk.Result) {
		l := r.Definition + "/" + r.Case + "=" + r.Result
		if r.Measurement != "" {
			l += " " + r.Measurement + r.Units
		}
		if r.Set != "" {
			l += " set=" + r.Set
		}
		if s, ok := r.Extra["starttc"].(int); ok {
			l += fmt.Sprintf(" tc=%d", r.Extra["endtc"].(int)-s)
		}
		results = append(results, l)
	}, Patterns: patterns}
	var p signals.Parser
	for _, line := range strings.Split(out, "\n") {
		evs := p.Feed(line)
		events = append(events, evs...)
		if len(evs) == 0 {
			c.Parse(line)
		}
		for _, ev := range evs {
			if err := c.Event(ev); err != nil {
				errs = append(errs, err.Error())
			}
		}
	}
	c.Abort()
	return results, errs, events
}

func runStage(t *testing.T, sh []string, res string, stage string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sh[0], append(sh[1:], filepath.Join(res, "bin", "lava-test-runner"), filepath.Join(res, stage))...)
	cmd.Env = append(os.Environ(), "SHELL="+strings.Join(sh, " "))
	out, _ := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("lava-test-runner did not finish in 60s:\n%s", out)
	}
	return string(out)
}

func TestRunnerThroughSignalParser(t *testing.T) {
	parse := map[string]any{
		"metadata": map[string]any{"format": "Lava-Test Test Definition 1.0", "name": "parsed"},
		"install":  map[string]any{"deps": []any{"dpkg"}},
		"parse":    map[string]any{"pattern": `^check (?P<test_case_id>\S+): (?P<result>\w+)$`, "fixupdict": map[string]any{"OK": "pass"}},
		"run": map[string]any{"steps": []any{
			"echo 'check alpha: OK'",
			"echo 'check beta: fail'",
			"lava-test-case out --shell echo captured",
		}}}
	raise := map[string]any{
		"metadata": map[string]any{"format": "Lava-Test Test Definition 1.0", "name": "raise"},
		"run":      map[string]any{"steps": []any{"lava-test-case first --result pass", "lava-test-raise disk on fire", "lava-test-case never --result pass"}}}
	patterns := map[string]ParseSpec{"0_parsed": {Pattern: parse["parse"].(map[string]any)["pattern"].(string), Fixup: map[string]string{"OK": "pass"}}}
	for _, sh := range shells(t) {
		t.Run(strings.Join(sh, " "), func(t *testing.T) {
			res := build(t, [][]Definition{
				{{From: "inline", Name: "parsed", Path: "inline/parsed.yaml", Repository: parse, Level: "1.3.1"}},
				{{From: "inline", Name: "raise", Path: "inline/raise.yaml", Repository: raise, Level: "2.3.1"}},
			}, nil)
			out := runStage(t, sh, res, "0")
			if _, err := exec.LookPath("dpkg-query"); err == nil && !strings.Contains(out, "already installed: dpkg") {
				t.Errorf("install deps of an installed package did not short-cut:\n%s", out)
			}
			got, errs, events := stream(out, patterns)
			want := "0_parsed/alpha=pass 0_parsed/beta=fail 0_parsed/out=pass tc=2 lava/0_parsed=pass"
			if strings.Join(got, " ") != want || len(errs) != 0 {
				t.Errorf("stage 0 results\n got %s (errors %v)\nwant %s\n%s", strings.Join(got, " "), errs, want, out)
			}
			var kinds []string
			for _, ev := range events {
				kinds = append(kinds, string(ev.Kind))
			}
			if k := strings.Join(kinds, " "); k != "STARTRUN STARTTC ENDTC TESTCASE ENDRUN RUNNER_EXIT" {
				t.Errorf("stage 0 events: %s", k)
			}
			if fi, err := os.Stat(filepath.Join(res, "0", "tests", "0_parsed", "run.sh")); err != nil || fi.Mode().Perm() != 0o755 {
				t.Errorf("run.sh mode: %v %v", fi, err)
			}

			out = runStage(t, sh, res, "1")
			got, errs, _ = stream(out, nil)
			if strings.Join(got, " ") != "1_raise/first=pass lava/1_raise=fail" {
				t.Errorf("stage 1 results %v\n%s", got, out)
			}
			if len(errs) != 1 || !strings.Contains(errs[0], "disk on fire") {
				t.Errorf("TESTRAISE gave %v", errs)
			}
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run with -update to accept):\n--- got\n%s--- want\n%s", file, got, want)
	}
}

func TestScriptGoldens(t *testing.T) {
	td := map[string]any{
		"metadata": map[string]any{"format": "Lava-Test Test Definition 1.0", "name": "smoke-tests"},
		"params":   map[string]any{"SIZE": "10", "MODE": "fast run"},
		"install": map[string]any{
			"keys":      []any{"0xDEADBEEF"},
			"sources":   []any{"http://deb.example.org/debian bookworm main"},
			"deps":      []any{"curl", "git"},
			"git-repos": []any{"http://git.example.org/x.git"},
			"steps":     []any{"make -C src", "echo installed"},
		},
		"run": map[string]any{"steps": []any{"lava-test-case pwd --shell pwd", "./run-tests.sh \"$SIZE\"", "lava-test-case awk --shell awk '{print $1}' /proc/version", "echo $1"}},
	}
	header := paramsHeader(td, map[string]any{"SIZE": "20"})
	dir := "/lava-74585/0/tests/0_smoke-tests"
	golden(t, "run.sh.golden", RunScript(td, "0_smoke-tests", dir, header))
	golden(t, "install.sh.golden", InstallScript(td, dir, header, nil))
	golden(t, "install-skip.sh.golden", InstallScript(td, dir, header, []string{"keys", "sources", "deps"}))
}

// A fake dispatcher: it reads the helper's console output, and when it sees
// a MultiNode request it types the reply on the helper's stdin (the console
// tty), as the test shell action does.
func TestMultiNodeLiveResponder(t *testing.T) {
	res := build(t, nil, &MultiNode{Role: "client", Group: map[string]string{"74587": "server", "74588": "client"}})
	data := map[string]map[string]string{"74587": {"ipaddr": "10.0.0.5", "note": "hello world"}, "74588": {"x": "1"}}
	tests := []struct {
		args []string
		kind signals.Kind
		data map[string]map[string]string
	}{
		{[]string{"lava-wait", "ipv4"}, signals.Wait, data},
		{[]string{"lava-wait-all", "done", "server"}, signals.WaitAll, data},
		{[]string{"lava-wait", "gone"}, signals.Wait, nil},
		{[]string{"lava-sync", "clients"}, signals.Sync, map[string]map[string]string{}},
	}
	cache := filepath.Join(t.TempDir(), "cache")
	for _, sh := range shells(t) {
		for _, tc := range tests {
			t.Run(strings.Join(sh, " ")+" "+strings.Join(tc.args, " "), func(t *testing.T) {
				os.WriteFile(cache, []byte("stale\n"), 0o644)
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				cmd := exec.CommandContext(ctx, sh[0], append(append(sh[1:], filepath.Join(res, "bin", tc.args[0])), tc.args[1:]...)...)
				cmd.Env = append(os.Environ(), "LAVA_MULTI_NODE_CACHE="+cache)
				stdin, _ := cmd.StdinPipe()
				stdout, _ := cmd.StdoutPipe()
				cmd.Stderr = cmd.Stdout
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				var p signals.Parser
				var reply string
				var console strings.Builder
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					console.WriteString(sc.Text() + "\n")
					for _, ev := range p.Feed(sc.Text()) {
						if ev.Kind != tc.kind {
							t.Errorf("request %s, want %s", ev.Kind, tc.kind)
						}
						if ev.MessageID != tc.args[1] || (len(tc.args) > 2 && ev.Role != tc.args[2]) {
							t.Errorf("request %+v for %v", ev, tc.args)
						}
						reply = signals.FormatReply(string(ev.Kind), ev.MessageID, tc.data)
						io.WriteString(stdin, "echo noise\r\n"+reply+"\r\n")
					}
				}
				stdin.Close()
				if err := cmd.Wait(); err != nil || ctx.Err() != nil {
					t.Fatalf("%v %v:\n%s", err, ctx.Err(), console.String())
				}
				if reply == "" {
					t.Fatalf("no request seen:\n%s", console.String())
				}
				want, exists := signals.CacheFile(reply)
				b, err := os.ReadFile(cache)
				if exists != (err == nil) || string(b) != want {
					t.Errorf("cache file %q (%v), want %q (exists %v)\n%s", b, err, want, exists, console.String())
				}
				if tc.data == nil && !strings.Contains(console.String(), "Error:no-response  nack") {
					t.Errorf("nack not reported:\n%s", console.String())
				}
			})
		}
	}
}

// TestMultiNodeHelperOutput checks each helper's console output and exit
// status against lava-multinode.md §3.2 (LAVA's, verified under dash).
func TestMultiNodeHelperOutput(t *testing.T) {
	res := build(t, nil, &MultiNode{Role: "client", Group: map[string]string{"74587": "server", "74588": "client", "74589": "client"}})
	tests := []struct {
		args []string
		out  string
		code int
	}{
		{[]string{"lava-send", "id", "a=x  y", "foo", "b=2"}, "<LAVA_MULTI_NODE> <LAVA_SEND id a=x y b=2>\n", 0},
		{[]string{"lava-send", "k=v"}, "", 1},
		{[]string{"lava-send"}, "", 1},
		{[]string{"lava-role"}, "client", 0},
		{[]string{"lava-role", "list"}, "server\nclient\nclient\n", 0},
		{[]string{"lava-group"}, "74587\tserver\n74588\tclient\n74589\tclient\n", 0},
		{[]string{"lava-group", "client"}, "74588\n74589", 0},
		{[]string{"lava-group", "nobody"}, "", 1},
		{[]string{"lava-self"}, "42\n", 0},
		{[]string{"lava-echo-config"}, "no shared config\n", 1},
		{[]string{"lava-echo-ipv4"}, "Specify the interface to query\n", 0},
	}
	for _, sh := range shells(t) {
		for _, tc := range tests {
			t.Run(strings.Join(sh, " ")+" "+strings.Join(tc.args, " "), func(t *testing.T) {
				cmd := exec.Command(sh[0], append(append(sh[1:], filepath.Join(res, "bin", tc.args[0])), tc.args[1:]...)...)
				out, err := cmd.Output()
				code := 0
				if ee, ok := err.(*exec.ExitError); ok {
					code = ee.ExitCode()
				}
				if code != tc.code || (tc.code == 0 && string(out) != tc.out) || (tc.out != "" && string(out) != tc.out) {
					t.Errorf("printed %q exit %d, want %q exit %d", out, code, tc.out, tc.code)
				}
			})
		}
	}
}

// A failing install.sh prints INSTALL_FAIL and skips only that definition;
// the runner does not run a stage twice (its conf is renamed).
func TestRunnerInstallFail(t *testing.T) {
	broken := map[string]any{"metadata": map[string]any{"name": "broken"},
		"install": map[string]any{"steps": []any{"false"}},
		"run":     map[string]any{"steps": []any{"lava-test-case never --result pass"}}}
	fine := map[string]any{"metadata": map[string]any{"name": "fine"},
		"run": map[string]any{"steps": []any{"lava-test-case ok --result pass"}}}
	for _, sh := range shells(t) {
		t.Run(strings.Join(sh, " "), func(t *testing.T) {
			res := build(t, [][]Definition{{
				{From: "inline", Name: "broken", Path: "b.yaml", Repository: broken, Level: "1.1"},
				{From: "inline", Name: "fine", Path: "f.yaml", Repository: fine, Level: "1.2"},
			}}, nil)
			out := runStage(t, sh, res, "0")
			_, _, events := stream(out, nil)
			var kinds []string
			for _, ev := range events {
				kinds = append(kinds, string(ev.Kind)+":"+ev.ID)
			}
			if k := strings.Join(kinds, " "); k != "RUNNER_INSTALL_FAIL: STARTRUN:1_fine TESTCASE:ok ENDRUN:1_fine RUNNER_EXIT:" {
				t.Errorf("events %s\n%s", k, out)
			}
			again := runStage(t, sh, res, "0")
			if strings.Contains(again, "STARTRUN") || !strings.Contains(again, "<LAVA_TEST_RUNNER EXIT>") {
				t.Errorf("second run of the stage:\n%s", again)
			}
		})
	}
}

// git definitions: a local repository, by branch and by revision; the commit
// is recorded and the checked-out definition runs.
func TestGitDefinition(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	repo := t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", repo, "-c", "user.name=t", "-c", "user.email=t@x", "-c", "init.defaultBranch=main"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	write := func(result string) {
		os.MkdirAll(filepath.Join(repo, "defs"), 0o755)
		os.WriteFile(filepath.Join(repo, "defs", "g.yaml"), []byte("metadata:\n  name: g\nrun:\n  steps:\n  - lava-test-case from-git --result "+result+"\n"), 0o644)
	}
	git("init", "-q")
	write("fail")
	git("add", ".")
	git("commit", "-q", "-m", "one")
	first := git("rev-parse", "HEAD")
	write("pass")
	git("commit", "-q", "-am", "two")
	git("branch", "-q", "stable", first)

	tests := []struct {
		name, branch, revision, want, commit string
	}{
		{"head", "", "", "pass", git("rev-parse", "HEAD")},
		{"branch", "stable", "", "fail", first},
		{"revision", "", first, "fail", first},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			res := filepath.Join(dir, "lava-9")
			ov, err := Build(Options{JobID: "9", ResultsDir: res, WorkDir: dir, Stages: [][]Definition{{{
				From: "git", Name: "g", Path: "defs/g.yaml", Repository: repo, Branch: tc.branch, Revision: tc.revision, Level: "1.4.2"}}}})
			if err != nil {
				t.Fatal(err)
			}
			if ov.Commits["g"] != tc.commit {
				t.Errorf("commit %q, want %q", ov.Commits["g"], tc.commit)
			}
			if err := os.Rename(filepath.Join(ov.Root, res), res); err != nil {
				t.Fatal(err)
			}
			got, _, _ := stream(runStage(t, []string{"/bin/sh"}, res, "0"), nil)
			if w := "0_g/from-git=" + tc.want + " lava/0_g=pass"; strings.Join(got, " ") != w {
				t.Errorf("results %v, want %s", got, w)
			}
			if _, err := os.Stat(filepath.Join(res, "0", "tests", "0_g", ".git")); err == nil {
				t.Error(".git left in the overlay")
			}
		})
	}
}
