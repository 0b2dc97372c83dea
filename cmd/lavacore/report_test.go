package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReportCommand(t *testing.T) {
	run := t.TempDir()
	// a single job's output: the report reads log.yaml and result.yaml
	log := `- {"dt": "2025-01-01T10:00:00.000000+00:00", "lvl": "info", "msg": "start: 1 tftp-deploy (timeout 00:08:00) [common]"}
- {"dt": "2025-01-01T10:00:01.000000+00:00", "lvl": "target", "msg": "U-Boot 2023.01"}
- {"dt": "2025-01-01T10:00:02.000000+00:00", "lvl": "info", "msg": "end: 1 tftp-deploy (duration 00:00:02) [common]"}
`
	if err := os.WriteFile(filepath.Join(run, "log.yaml"), []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(run, "result.yaml"), []byte("sub_id: 0\njob_id: \"42\"\nhealth: Complete\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		code       int
		out, err   string
		wantReport bool
	}{
		{"writes the report", []string{run}, 0, filepath.Join(run, "report.html"), "", true},
		{"no directory", nil, 2, "", "missing a run's output directory", false},
		{"two directories", []string{run, run}, 2, "", "unexpected argument", false},
		{"help", []string{"-h"}, 0, "lavacore report OUTPUT_DIR", "", false},
		{"not an output directory", []string{t.TempDir()}, 1, "", "no log.yaml", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(filepath.Join(run, "report.html"))
			var stdout, stderr bytes.Buffer
			code := realMain(context.Background(), append([]string{"report"}, tc.args...), &stdout, &stderr)
			if code != tc.code || !strings.Contains(stdout.String(), tc.out) || !strings.Contains(stderr.String(), tc.err) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, stdout.String(), stderr.String(), tc.code, tc.out, tc.err)
			}
			_, err := os.Stat(filepath.Join(run, "report.html"))
			if (err == nil) != tc.wantReport {
				t.Errorf("report.html written: %v, want %v", err == nil, tc.wantReport)
			}
		})
	}
}
