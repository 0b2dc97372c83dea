package lavarun

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// files creates the files lava-worker writes in its job directory.
func files(t *testing.T) (dir string) {
	t.Helper()
	dir = t.TempDir()
	for _, f := range []string{"device.yaml", "dispatcher.yaml", "env-dut.yaml", "job.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("{}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestParse: lava-worker's command line in both of argparse's forms, and
// every refusal in argparse's words (lava-run exits 2 for each).
func TestParse(t *testing.T) {
	d := files(t)
	p := func(f string) string { return filepath.Join(d, f) }
	full := Options{JobID: "42", OutputDir: d, URL: "http://127.0.0.1:8000", Token: "T", LogInterval: 5,
		Device: p("device.yaml"), Dispatcher: p("dispatcher.yaml"), EnvDUT: p("env-dut.yaml"), Definition: p("job.yaml")}
	withDebug := full
	withDebug.Debug = true
	noEnv := full
	noEnv.EnvDUT = ""
	noEnv.LogInterval = 7
	tests := []struct {
		name    string
		args    []string
		want    Options
		wantErr string
	}{
		{"worker's equals form, env-dut after the definition", []string{
			"--device=" + p("device.yaml"), "--dispatcher=" + p("dispatcher.yaml"), "--output-dir=" + d, "--job-id=42",
			"--url=http://127.0.0.1:8000", "--token=T", "--job-log-interval=5", p("job.yaml"), "--env-dut=" + p("env-dut.yaml")}, full, ""},
		{"space form", []string{"--device", p("device.yaml"), "--dispatcher", p("dispatcher.yaml"), "--output-dir", d, "--job-id", "42",
			"--url", "http://127.0.0.1:8000", "--token", "T", "--job-log-interval", "5", "--env-dut", p("env-dut.yaml"), "--debug", p("job.yaml")}, withDebug, ""},
		{"unique prefixes, repeated option: the last wins", []string{"--dev=" + p("device.yaml"), "--disp", p("dispatcher.yaml"), "--out", d,
			"--job-id=1", "--job-id=42", "--url=http://127.0.0.1:8000", "--tok=T", "--job-log=7", "--", p("job.yaml")}, noEnv, ""},
		{"nothing", nil, Options{}, "the following arguments are required: --job-id, --output-dir, --device, definition"},
		{"no device", []string{"--job-id=1", "--output-dir=" + d, p("job.yaml")}, Options{}, "the following arguments are required: --device"},
		{"no definition", []string{"--job-id=1", "--output-dir=" + d, "--device=" + p("device.yaml")}, Options{}, "the following arguments are required: definition"},
		{"unknown option", []string{"--job-id=1", "--output-dir=" + d, "--device=" + p("device.yaml"), "--lab=x", p("job.yaml")}, Options{}, "unrecognized arguments: --lab=x"},
		{"extra positional", []string{"--job-id=1", "--output-dir=" + d, "--device=" + p("device.yaml"), p("job.yaml"), "other.yaml"}, Options{}, "unrecognized arguments: other.yaml"},
		{"single dash option", []string{"--job-id=1", "--output-dir=" + d, "--device=" + p("device.yaml"), "-x", p("job.yaml")}, Options{}, "unrecognized arguments: -x"},
		{"bad interval", []string{"--job-log-interval=soon"}, Options{}, "argument --job-log-interval: invalid int value: 'soon'"},
		{"value on a flag", []string{"--debug=yes"}, Options{}, "argument --debug: ignored explicit argument 'yes'"},
		{"missing value at the end", []string{"--url"}, Options{}, "argument --url: expected one argument"},
		{"missing value before an option", []string{"--token", "--debug"}, Options{}, "argument --token: expected one argument"},
		{"ambiguous prefix", []string{"--d=x"}, Options{}, "ambiguous option: --d could match --device, --dispatcher, --debug"},
		{"unreadable device", []string{"--device=" + p("nope.yaml")}, Options{}, "argument --device: can't open '" + p("nope.yaml") + "': [Errno 2] No such file or directory: '" + p("nope.yaml") + "'"},
		{"unreadable definition", []string{"--job-id=1", "--output-dir=" + d, "--device=" + p("device.yaml"), p("nope.yaml")}, Options{},
			"argument definition: can't open '" + p("nope.yaml") + "': [Errno 2] No such file or directory: '" + p("nope.yaml") + "'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.args)
			if tt.wantErr != "" {
				var ue *UsageError
				if !errors.As(err, &ue) || ue.Msg != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
	for _, h := range []string{"-h", "--help", "--he"} {
		if _, err := Parse([]string{"--job-id=1", h}); !errors.Is(err, ErrHelp) {
			t.Errorf("%s: %v, want ErrHelp", h, err)
		}
	}
}

// Usage is argparse's: every option, wrapped under "usage: lava-run ".
func TestUsage(t *testing.T) {
	u := Usage("lava-run")
	for _, want := range []string{"usage: lava-run [-h] --job-id ID --output-dir DIR", "--device PATH", "[--env-dut PATH]", "\n                definition\n"} {
		if !strings.Contains(u, want) {
			t.Errorf("usage lacks %q:\n%s", want, u)
		}
	}
	for _, l := range strings.Split(u, "\n") {
		if len(l) > 80 {
			t.Errorf("usage line longer than 80: %q", l)
		}
	}
}
