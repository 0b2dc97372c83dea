package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/sdk"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n got: %s\nwant: %s", name, got, want)
	}
}

func fixedClock() func() time.Time {
	t0 := time.Date(2025, 1, 1, 10, 0, 0, 123456000, time.UTC)
	n := 0
	return func() time.Time { n++; return t0.Add(time.Duration(n) * time.Millisecond) }
}

func TestLogFormat(t *testing.T) {
	var buf bytes.Buffer
	var nd bytes.Buffer
	l := NewLog(&buf, &NDJSON{W: &nd})
	l.SetClock(fixedClock())
	l.Mask("s3cret")
	l.Infof("start: 1 tftp-deploy (timeout %s) [common]", FormatDuration(8*time.Minute))
	l.Add("target", "Linux version 6.1.0 \"quoted\" \x1b[0m token=s3cret")
	l.Add("results", Map(sdk.Result{Definition: "lava", Case: "http-download", Level: "1.2.1", Duration: "0.52",
		Result: "pass", Extra: map[string]any{"label": "kernel", "size": 123, "sha256sum": "ab"}}))
	l.Feedback("guest", "hello")
	l.Add("info", strings.Repeat("x", MaxRecord+1))
	golden(t, "log.yaml", buf.Bytes())
	golden(t, "log.ndjson", nd.Bytes())
	// log.yaml must be valid YAML: a list of records.
	var recs []map[string]any
	if err := yaml.Unmarshal(buf.Bytes(), &recs); err != nil {
		t.Fatalf("log.yaml is not YAML: %v", err)
	}
	if len(recs) != 5 || recs[2]["msg"].(map[string]any)["extra"].(map[string]any)["size"] != 123 {
		t.Fatalf("unexpected records: %v", recs)
	}
}

func TestResultsFiles(t *testing.T) {
	var rs Results
	rs.Add(sdk.Result{Definition: "0_smoke-tests", Case: "linux-pwd", Result: "pass"})
	rs.Add(sdk.Result{Definition: "0_smoke-tests", Case: "linux-uname", Result: "fail", Set: "basic"})
	rs.Add(sdk.Result{Definition: "0_smoke-tests", Case: "bandwidth", Result: "pass", Measurement: "10.5", Units: "MB/s"})
	rs.Add(sdk.Result{Definition: "lava", Case: "0_smoke-tests", Result: "pass", Duration: "2.50",
		Extra: map[string]any{"repository": "file:///x.git", "path": "a.yaml"}})
	rs.Add(sdk.Result{Definition: "lava", Case: "job", Result: "fail",
		Extra: map[string]any{"error_msg": "boom", "error_type": "Infrastructure"}})
	rs.Add(sdk.Result{Definition: "1_x", Case: "s", Result: "skip"})
	var y, j bytes.Buffer
	if err := rs.WriteYAML(&y); err != nil {
		t.Fatal(err)
	}
	if err := rs.WriteJUnit(&j, "demo job"); err != nil {
		t.Fatal(err)
	}
	golden(t, "results.yaml", y.Bytes())
	golden(t, "junit.xml", j.Bytes())
}

func TestTerminalStatus(t *testing.T) {
	var out bytes.Buffer
	term := &Terminal{W: &out, Prefix: "[host] "}
	now := time.Now()
	term.ActionStarted("1.2", "download-retry", now.Add(90*time.Second))
	if got := term.Status(now); got != "[host] 1.2 download-retry (00:01:30 left)" {
		t.Errorf("status = %q", got)
	}
	term.Write(Record{DT: now, Lvl: "debug", Msg: "hidden"})
	term.Write(Record{DT: now, Lvl: "results", Msg: Map(sdk.Result{Definition: "lava", Case: "job", Result: "pass"})})
	if strings.Contains(out.String(), "hidden") || !strings.Contains(out.String(), "result lava/job: pass") {
		t.Errorf("terminal output: %q", out.String())
	}
}

func BenchmarkLogRecord(b *testing.B) {
	var buf bytes.Buffer
	l := NewLog(&buf)
	for i := 0; i < b.N; i++ {
		buf.Reset()
		l.Add("target", "[    1.234567] virtio_net virtio0 eth0: renamed from enp0s2")
	}
}
