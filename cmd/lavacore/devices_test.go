package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func init() {
	// Other test files of this package may define -update too.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata/")
	}
}

func devicesGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	name = filepath.Join("testdata", name)
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.WriteFile(name, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it)\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

func TestDevicesCommand(t *testing.T) {
	lab := filepath.Join("..", "..", "examples", "lab")
	badLab := filepath.Join("..", "..", "core", "device", "testdata", "labs", "bad-vars")
	job := filepath.Join("testdata", "devices_context.yaml")
	tests := []struct {
		name     string
		args     []string
		env      string
		wantCode int
	}{
		{name: "list", args: []string{"list", "--lab", lab}},
		{name: "list_env", args: []string{"list"}, env: lab},
		{name: "types", args: []string{"types", "--lab", lab}},
		{name: "show", args: []string{"show", "mustang-01", "--lab", lab}},
		{name: "show_context", args: []string{"show", "--lab", lab, "mustang-01", "--job", job, "--role", "host", "--context", "console_device=ttyAMA0", "--context", "interrupt_char=x"}},
		{name: "show_guest", args: []string{"show", "mustang-01", "--lab", lab, "--guest"}},
		{name: "show_bad_context", args: []string{"show", "mustang-01", "--lab", lab, "--context", "baud_rate=fast"}, wantCode: 2},
		{name: "show_unknown", args: []string{"show", "mustang-1", "--lab", lab}, wantCode: 2},
		{name: "show_bad_device", args: []string{"show", "mustang-02", "--lab", badLab}, wantCode: 2},
		{name: "list_bad", args: []string{"list", "--lab", badLab}, wantCode: 2},
		{name: "show_json", args: []string{"show", "mustang-01", "--lab", lab, "--output", "json", "--guest"}},
		{name: "usage", args: []string{"show"}, wantCode: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("LAVACORE_LAB_DIR", tt.env)
			var stdout, stderr bytes.Buffer
			code := realMain(context.Background(), append([]string{"devices"}, tt.args...), &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			out := "$ lavacore devices " + strings.Join(tt.args, " ") + "\n" + stdout.String()
			if stderr.Len() > 0 {
				out += "--- stderr\n" + stderr.String()
			}
			devicesGolden(t, "devices_"+tt.name+".golden", []byte(out))
		})
	}
}
