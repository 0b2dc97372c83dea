package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/lavacore/lavacore/lab"
	"github.com/lavacore/lavacore/sdk"
)

// cli runs one command line in process.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errs bytes.Buffer
	code = realMain(context.Background(), args, &out, &errs)
	return code, out.String(), errs.String()
}

// commandPaths lists every command of the tree as its arguments
// ("devices show" → [devices show]), hidden ones included.
func commandPaths() [][]string {
	var out [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		for _, s := range c.Commands() {
			p := append(slices.Clone(path), s.Name())
			out = append(out, p)
			walk(s, p)
		}
	}
	walk(newRoot(), nil)
	return out
}

// Every command and subcommand answers --help, -h and `help CMD` on stdout
// with its own usage, the exit-status table, and status 0.
func TestCLIHelpOnStdout(t *testing.T) {
	paths := append([][]string{{}}, commandPaths()...)
	for _, p := range paths {
		name := strings.Join(append([]string{"lavacore"}, p...), " ")
		for _, args := range [][]string{append(slices.Clone(p), "--help"), append(slices.Clone(p), "-h"), append([]string{"help"}, p...)} {
			t.Run(strings.Join(args, "_"), func(t *testing.T) {
				code, out, errs := cli(t, args...)
				if code != 0 || errs != "" {
					t.Fatalf("exit %d, stderr %q", code, errs)
				}
				if !strings.Contains(out, "Usage:\n  "+name) {
					t.Errorf("stdout is not %s's usage:\n%s", name, out)
				}
				if len(p) > 0 && p[0] != "help" && !strings.Contains(out, "Exit status (every command):") {
					t.Errorf("no exit-status table:\n%s", out)
				}
			})
		}
	}
}

// An unknown flag is bad usage (2) on every command, said on stderr.
func TestCLIUnknownFlag(t *testing.T) {
	for _, p := range commandPaths() {
		if p[0] == "help" {
			continue
		}
		t.Run(strings.Join(p, "_"), func(t *testing.T) {
			code, out, errs := cli(t, append(slices.Clone(p), "--bogus")...)
			if p[0] == "lava-run" { // LAVA's command line: argparse's words
				if code != exitInvalid || !strings.Contains(errs, "lava-run: error:") || out != "" {
					t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
				}
				return
			}
			if code != exitInvalid || !strings.Contains(errs, "unknown flag: --bogus") || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
			}
		})
	}
}

// Extra arguments are bad usage (2) on every command that takes a fixed
// number (validate takes several files; help takes a command).
func TestCLIExtraArguments(t *testing.T) {
	for _, p := range commandPaths() {
		if p[0] == "help" || p[0] == "validate" {
			continue
		}
		t.Run(strings.Join(p, "_"), func(t *testing.T) {
			code, out, errs := cli(t, append(slices.Clone(p), "x1", "x2", "x3", "x4")...)
			if p[0] == "lava-run" { // LAVA's command line: argparse's words
				if code != exitInvalid || !strings.Contains(errs, "lava-run: error:") || out != "" {
					t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
				}
				return
			}
			if code != exitInvalid || out != "" ||
				!(strings.Contains(errs, "unexpected argument") || strings.Contains(errs, "unknown command")) {
				t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
			}
		})
	}
}

// A mistyped command or subcommand is bad usage, with a suggestion.
func TestCLIDidYouMean(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"validte", "x.yaml"}, "Did you mean this?\n\tvalidate\n"},
		{[]string{"devices", "lsit"}, "Did you mean this?\n\tlist\n"},
		{[]string{"lab", "stauts"}, "Did you mean this?\n\tstatus\n"},
		{[]string{"plugins", "chek"}, "Did you mean this?\n\tcheck\n"},
	} {
		code, _, errs := cli(t, c.args...)
		if code != exitInvalid || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, errs)
		}
	}
	// a group without its subcommand: its help on stderr, 2
	for _, g := range []string{"devices", "lab", "plugins"} {
		code, out, errs := cli(t, g)
		if code != exitInvalid || out != "" || !strings.Contains(errs, "Usage:\n  lavacore "+g) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", g, code, out, errs)
		}
	}
}

// --version and version print the version, the commit and the plugin API version.
func TestCLIVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		code, out, errs := cli(t, args...)
		want := regexp.MustCompile(`^lavacore \S+ \(commit \S+, plugin API (\d+), go`)
		m := want.FindStringSubmatch(out)
		if code != 0 || errs != "" || m == nil || m[1] != strconv.Itoa(int(sdk.Handshake.ProtocolVersion)) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
}

// completion prints each shell's script.
func TestCLICompletion(t *testing.T) {
	for shell, want := range map[string]string{
		"bash": "__start_lavacore",
		"zsh":  "#compdef lavacore",
		"fish": "complete -c lavacore",
	} {
		code, out, errs := cli(t, "completion", shell)
		if code != 0 || errs != "" || !strings.Contains(out, want) {
			t.Errorf("completion %s: exit %d, stderr %q, %d bytes without %q", shell, code, errs, len(out), want)
		}
	}
	if code, _, errs := cli(t, "completion", "tcsh"); code != exitInvalid || !strings.Contains(errs, `no completion for "tcsh"`) {
		t.Errorf("completion tcsh: exit %d, %q", code, errs)
	}
}

// Flags may come before, between and after the arguments.
func TestCLIFlagOrder(t *testing.T) {
	seed := describeSeedPath(t)
	labDir := filepath.Join("..", "..", "examples", "lab")
	for _, args := range [][]string{
		{"describe", "--lab", labDir, seed, "--output", "json", "--role", "guest"},
		{"describe", seed, "--role", "guest", "--lab", labDir, "-o", "json"},
		{"describe", "--output=json", "--role=guest", "--lab=" + labDir, seed},
	} {
		code, out, errs := cli(t, args...)
		var subs []map[string]any
		if err := json.Unmarshal([]byte(out), &subs); code != 0 || err != nil || len(subs) != 3 {
			t.Errorf("%v: exit %d, %v, %d sub-jobs; stderr %s", args, code, err, len(subs), errs)
		}
	}
}

var snakeKey = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Keys that hold data (names of variables, methods, actions) rather than fields.
var (
	dataKeys   = map[string]bool{"vars": true, "user_commands": true, "extra_ranges": true, "method_ranges": true, "overridden": true}
	opaqueKeys = map[string]bool{"methods": true, "constants": true, "parameters": true, "section_parameters": true, "extra": true,
		"environment": true, "character_delays": true, "action_timeouts": true, "connection_timeouts": true}
)

// checkSnake fails on a JSON object key that is not snake_case.
func checkSnake(t *testing.T, where string, v any) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if !snakeKey.MatchString(k) {
				t.Errorf("%s: key %q is not snake_case", where, k)
			}
			switch {
			case opaqueKeys[k]:
			case dataKeys[k]:
				if m, ok := x.(map[string]any); ok {
					for dk, dv := range m {
						checkSnake(t, where+"."+k+"."+dk, dv)
					}
				}
			default:
				checkSnake(t, where+"."+k, x)
			}
		}
	case []any:
		for i, x := range v {
			checkSnake(t, where+"["+strconv.Itoa(i)+"]", x)
		}
	}
}

// Every command that prints data prints JSON with --output json: it parses,
// its keys are snake_case, durations are seconds.
func TestCLIJSONOutputs(t *testing.T) {
	seed := describeSeedPath(t)
	labDir := filepath.Join("..", "..", "examples", "lab")
	cases := []struct {
		args []string
		code int
	}{
		{[]string{"validate", seed, "--output", "json"}, 0},
		{[]string{"validate", seed, filepath.Join("testdata", "devices_context.yaml"), "-o", "json"}, exitInvalid},
		{[]string{"describe", seed, "--lab", labDir, "--output", "json"}, 0},
		{[]string{"devices", "list", "--lab", labDir, "--output", "json"}, 0},
		{[]string{"devices", "types", "--lab", labDir, "--output", "json"}, 0},
		{[]string{"devices", "show", "mustang-01", "--lab", labDir, "--output", "json"}, 0},
		{[]string{"plugins", "list", "--output", "json"}, 0},
		{[]string{"lab", "status", "--dir", t.TempDir(), "--output", "json"}, 0},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args[:2], "_"), func(t *testing.T) {
			code, out, errs := cli(t, c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, c.code, errs)
			}
			var v any
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			checkSnake(t, strings.Join(c.args[:2], " "), v)
		})
	}
	// devices show: durations in seconds (the type's boot character delay is 10ms)
	_, out, _ := cli(t, "devices", "show", "mustang-01", "--lab", labDir, "--output", "json")
	var d struct {
		Name            string             `json:"name"`
		CharacterDelays map[string]float64 `json:"character_delays"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil || d.Name != "mustang-01" || d.CharacterDelays["boot"] != 0.01 {
		t.Errorf("devices show --output json: %v, %+v", err, d)
	}
	// --output of another kind is bad usage
	for _, args := range [][]string{{"validate", seed, "-o", "yaml"}, {"devices", "list", "-o", "xml"}, {"lab", "status", "-o", "yaml"}} {
		if code, _, errs := cli(t, args...); code != exitInvalid || !strings.Contains(errs, "--output must be") {
			t.Errorf("%v: exit %d, %q", args, code, errs)
		}
	}
}

// The exit status of an invalid job is 2 on validate, describe and run; a
// valid one is 0 on validate.
func TestCLIExitStatus(t *testing.T) {
	seed := describeSeedPath(t)
	labDir := filepath.Join("..", "..", "examples", "lab")
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("job_name: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"validate", seed}, exitOK},
		{[]string{"validate", bad}, exitInvalid},
		{[]string{"validate", seed, bad}, exitInvalid},
		{[]string{"describe", bad, "--lab", labDir}, exitInvalid},
		{[]string{"run", bad, "--lab", labDir, "--output-dir", t.TempDir()}, exitInvalid},
		{[]string{"describe", seed, "--lab", labDir, "--role", "server"}, exitInvalid},
		{[]string{"describe", seed, "--lab", labDir, "--device", "nosuch"}, exitInvalid},
		{[]string{"devices", "show", "nosuch", "--lab", labDir}, exitInvalid},
		{[]string{"describe", seed, "--lava-device", "x.yaml", "--device", "y"}, exitInvalid},
		{[]string{"coordinator"}, exitInvalid},
	} {
		code, _, errs := cli(t, c.args...)
		if code != c.code {
			t.Errorf("%v: exit %d, want %d; stderr %s", c.args, code, c.code, errs)
		}
		if strings.Contains(errs, "<nil>") {
			t.Errorf("%v: <nil> in the message: %s", c.args, errs)
		}
	}
}

// describe, run, devices and lab dir share one default lab directory, and a
// missing lab says how to name one.
func TestCLIDefaultLab(t *testing.T) {
	seed := describeSeedPath(t)
	for _, env := range []string{"", filepath.Join(t.TempDir(), "nolab")} {
		t.Setenv("LAVACORE_LAB_DIR", env)
		want := lab.DefaultDir
		if env != "" {
			want = env
		}
		if _, err := os.Stat(want); err == nil {
			t.Skipf("%s exists on this machine", want)
		}
		code, out, _ := cli(t, "lab", "dir")
		if code != 0 || strings.TrimSpace(out) != want {
			t.Errorf("lab dir: exit %d, %q, want %s", code, out, want)
		}
		for _, args := range [][]string{
			{"describe", seed}, {"run", seed, "--output-dir", t.TempDir()}, {"devices", "list"}, {"devices", "show", "x"},
		} {
			code, _, errs := cli(t, args...)
			if code != exitInvalid || !strings.Contains(errs, "no lab directory "+want+": name one with --lab DIR (the virtual lab's: --lab $(lavacore lab dir)") {
				t.Errorf("%v with LAVACORE_LAB_DIR=%q: exit %d, stderr %s", args, env, code, errs)
			}
		}
	}
}

// The README shows the exit-status table every --help prints.
func TestREADMEExitStatus(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), exitCodesHelp) {
		t.Errorf("README.md lacks the exit-status table of --help:\n%s", exitCodesHelp)
	}
}

// A command listed with only a run function (no cobra command of its own)
// gets its arguments untouched, and --help prints its summary on stdout.
func TestCLIRunOnlyCommand(t *testing.T) {
	var got []string
	c := command{name: "x", summary: "does x", run: func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
		got = args
		return exitFailed
	}}.cobra()
	var out bytes.Buffer
	c.SetOut(&out)
	c.SetArgs([]string{"a", "--flag", "b"})
	if err := c.Execute(); err == nil || !slices.Equal(got, []string{"a", "--flag", "b"}) {
		t.Errorf("err %v, args %q", err, got)
	}
	c.SetArgs([]string{"--help"})
	if err := c.Execute(); err != nil || !strings.Contains(out.String(), "does x") {
		t.Errorf("--help: %v, %q", err, out.String())
	}
}
