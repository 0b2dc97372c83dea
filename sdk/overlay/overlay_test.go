package overlay

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/overlay/signals"
)

// build makes an overlay whose results directory is a real path on this
// machine (so the scripts' absolute paths work without a device), and returns it.
func build(t *testing.T, stages [][]Definition, mn *MultiNode) string {
	t.Helper()
	dir := t.TempDir()
	res := filepath.Join(dir, "lava-42")
	ov, err := Build(Options{JobID: "42", ResultsDir: res, WorkDir: dir, Stages: stages, MultiNode: mn})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(ov.Root, res), res); err != nil {
		t.Fatal(err)
	}
	return res
}

func shells(t *testing.T) [][]string {
	out := [][]string{{"/bin/sh"}}
	if _, err := exec.LookPath("busybox"); err == nil {
		out = append(out, []string{"busybox", "sh"})
	}
	if _, err := exec.LookPath("bash"); err == nil {
		out = append(out, []string{"bash", "--posix"}, []string{"bash"})
	}
	return out
}

func TestRunnerAndSignals(t *testing.T) {
	td := map[string]any{
		"metadata": map[string]any{"format": "Lava-Test Test Definition 1.0", "name": "smoke"},
		"run": map[string]any{"steps": []any{
			"lava-test-case one --result pass",
			"lava-test-case two --shell false",
			"lava-test-case m --result pass --measurement 1.5 --units s",
			"lava-test-set start s1",
			"lava-test-case three --result skip",
			"lava-test-set stop",
		}}}
	failing := map[string]any{
		"metadata": map[string]any{"format": "Lava-Test Test Definition 1.0", "name": "bad"},
		"run":      map[string]any{"steps": []any{"lava-test-case before --result pass", "false", "lava-test-case after --result pass"}}}
	for _, sh := range shells(t) {
		t.Run(strings.Join(sh, " "), func(t *testing.T) {
			res := build(t, [][]Definition{{
				{From: "inline", Name: "smoke", Path: "inline/smoke.yaml", Repository: td, Level: "1.1.4.1"},
				{From: "inline", Name: "bad", Path: "inline/bad.yaml", Repository: failing, Level: "1.1.4.5"},
			}}, nil)
			cmd := exec.Command(sh[0], append(sh[1:], filepath.Join(res, "bin", "lava-test-runner"), filepath.Join(res, "0"))...)
			cmd.Env = append(os.Environ(), "SHELL="+strings.Join(sh, " "))
			out, _ := cmd.CombinedOutput()
			if !strings.Contains(string(out), "<LAVA_TEST_RUNNER EXIT>") {
				t.Fatalf("no runner exit marker:\n%s", out)
			}
			lines, errs, _ := stream(string(out), nil)
			if len(errs) > 0 {
				t.Errorf("signal errors %q", errs)
			}
			want := "0_smoke/one=pass 0_smoke/two=fail tc=1 0_smoke/m=pass 1.5s 0_smoke/three=skip set=s1 lava/0_smoke=pass 1_bad/before=pass lava/1_bad=fail"
			if got := strings.Join(lines, " "); got != want {
				t.Errorf("results:\n got %s\nwant %s\n%s", got, want, out)
			}
		})
	}
}

// TestMultiNodeScripts: lava-send prints its marker; lava-wait reads the
// dispatcher's reply from stdin and writes the cache file.
func TestMultiNodeScripts(t *testing.T) {
	res := build(t, nil, &MultiNode{Role: "guest", Group: map[string]string{"10": "host"}})
	cache := filepath.Join(t.TempDir(), "cache")
	run := func(stdin string, args ...string) string {
		cmd := exec.Command("/bin/sh", append([]string{filepath.Join(res, "bin", args[0])}, args[1:]...)...)
		cmd.Env = append(os.Environ(), "LAVA_MULTI_NODE_CACHE="+cache)
		cmd.Stdin = strings.NewReader(stdin)
		out, _ := cmd.CombinedOutput()
		return string(out)
	}
	if out := run("", "lava-send", "ipv4", "ipaddr=10.0.0.5", "junk", "b=2"); !strings.Contains(out, "<LAVA_MULTI_NODE> <LAVA_SEND ipv4 ipaddr=10.0.0.5 b=2>") {
		t.Errorf("lava-send printed %q", out)
	}
	out := run("noise\n<LAVA_WAIT_COMPLETE 10:ipaddr=10.0.0.5 10:note=hello\\0040world 11:x=1>\n", "lava-wait", "ipv4")
	if !strings.Contains(out, "<LAVA_MULTI_NODE> <LAVA_WAIT ipv4>") {
		t.Errorf("lava-wait printed %q", out)
	}
	b, err := os.ReadFile(cache)
	if err != nil || string(b) != "10:ipaddr=10.0.0.5\n10:note=hello world\n11:x=1\n" {
		t.Errorf("cache file %q (%v)", b, err)
	}
	if out := run("<LAVA_SYNC_COMPLETE>\n", "lava-sync", "clients"); !strings.Contains(out, "<LAVA_MULTI_NODE> <LAVA_SYNC clients>") {
		t.Errorf("lava-sync printed %q", out)
	}
	if out := run("", "lava-role"); out != "guest" {
		t.Errorf("lava-role printed %q", out)
	}
	if out := run("", "lava-group"); out != "10\thost\n" {
		t.Errorf("lava-group printed %q", out)
	}
	if out := run("", "lava-self"); out != "42\n" {
		t.Errorf("lava-self printed %q", out)
	}
}

func TestMultiNodeRequestAndReply(t *testing.T) {
	var p signals.Parser
	req, err := MultiNodeRequest(p.Feed("<LAVA_MULTI_NODE> <LAVA_SEND ipv4 ipaddr=10.0.0.5 note=a b c=1>")[0])
	if err != nil {
		t.Fatal(err)
	}
	msg := req["message"].(map[string]any)
	if req["request"] != "lava-send" || msg["ipaddr"] != "10.0.0.5" || msg["note"] != "a b" || msg["c"] != "1" {
		t.Errorf("send request %v", req)
	}
	reply := map[string]any{"response": "ack", "message": map[string]any{"10": map[string]any{"ipaddr": "10.0.0.5"}}}
	if got := MultiNodeReply("WAIT", reply); got != "<LAVA_WAIT_COMPLETE 10:ipaddr=10.0.0.5>" {
		t.Errorf("reply %q", got)
	}
	if got := MultiNodeReply("WAIT_ALL", map[string]any{"response": "nack"}); got != "<LAVA_WAIT_ALL_COMPLETE nack>" {
		t.Errorf("nack reply %q", got)
	}
}

// FuzzSignals feeds a run's worth of console text through the parser and a
// Collector: nothing panics, whatever the text.
func FuzzSignals(f *testing.F) {
	f.Add("<LAVA_SIGNAL_STARTRUN 0_x 1_1.1>")
	f.Add("<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=a RESULT=pass MEASUREMENT=x>")
	f.Add("<LAVA_MULTI_NODE> <LAVA_SEND a b=c>")
	f.Fuzz(func(t *testing.T, text string) {
		c := &Collector{Result: func(sdk.Result) {}}
		var p signals.Parser
		_ = c.Event(p.Feed("<LAVA_SIGNAL_STARTRUN 0_x u>")[0])
		for _, ev := range p.Feed(text) {
			_ = c.Event(ev)
			if ev.MultiNode() {
				_, _ = MultiNodeRequest(ev)
			}
		}
		c.Parse(text)
		c.Abort()
	})
}

func TestURLDefinition(t *testing.T) {
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "top", "defs"), 0o755)
	os.WriteFile(filepath.Join(src, "top", "defs", "u.yaml"), []byte("metadata:\n  format: Lava-Test Test Definition 1.0\n  name: u\nrun:\n  steps:\n  - lava-test-case from-url --result pass\n"), 0o644)
	tarball := filepath.Join(t.TempDir(), "defs.tar.gz")
	if out, err := exec.Command("tar", "-czf", tarball, "-C", src, "top").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	dir := t.TempDir()
	ov, err := Build(Options{JobID: "42", ResultsDir: filepath.Join(dir, "lava-42"), WorkDir: dir, AllowedFileDirs: []string{filepath.Dir(tarball)},
		Stages: [][]Definition{{{From: "url", Name: "fromurl", Path: "defs/u.yaml", Repository: "file://" + tarball, StripComponents: 1, Level: "1.1.4.1"}}}})
	if err != nil {
		t.Fatal(err)
	}
	res := filepath.Join(dir, "lava-42")
	if err := os.Rename(filepath.Join(ov.Root, res), res); err != nil {
		t.Fatal(err)
	}
	// Without the lab's leave, a file:// URL is refused.
	_, err = Build(Options{JobID: "42", ResultsDir: filepath.Join(dir, "lava-43"), WorkDir: t.TempDir(),
		Stages: [][]Definition{{{From: "url", Name: "fromurl", Path: "defs/u.yaml", Repository: "file://" + tarball, Level: "1.1.4.1"}}}})
	if err == nil || !strings.Contains(err.Error(), "file:// URLs are refused: the lab allows none") {
		t.Errorf("file:// without allowed_file_dirs: %v", err)
	}
	out, _ := exec.Command("/bin/sh", filepath.Join(res, "bin", "lava-test-runner"), filepath.Join(res, "0")).CombinedOutput()
	if !strings.Contains(string(out), "TEST_CASE_ID=from-url RESULT=pass") {
		t.Fatalf("url definition did not run:\n%s", out)
	}
}
