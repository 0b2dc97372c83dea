package report

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
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
	l.Add("target", "Linux version 6.1.0 \"quoted\" \x1b[0m token=s3cret caf\u00e9")
	l.Result(sdk.Result{Definition: "lava", Case: "http-download", Level: "1.2.1", Duration: "0.52",
		Result: "pass", Extra: map[string]any{"label": "kernel", "size": float64(15305012), "sha256sum": "ab",
			"md5sum": "cd", "sha512sum": "ef", "namespace": "common"}})
	l.Add("target", "<LAVA_SIGNAL_STARTTC linux-pwd>")
	l.Add("target", "<LAVA_SIGNAL_ENDTC linux-pwd>")
	l.Add("target", "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=linux-pwd RESULT=pass>")
	l.Result(sdk.Result{Definition: "0_smoke", Case: "linux-pwd", Result: "pass", Extra: map[string]any{"starttc": 1, "endtc": 2}})
	l.Result(sdk.Result{Definition: "0_smoke", Case: "measured", Result: "pass", Measurement: "42", Units: "widgets"})
	l.Feedback("guest", "hello")
	l.Add("info", strings.Repeat("x", MaxRecord+1))
	golden(t, "log.yaml", buf.Bytes())
	golden(t, "log.ndjson", nd.Bytes())
	// log.yaml must be valid YAML: a list of records.
	var recs []map[string]any
	if err := yaml.Unmarshal(buf.Bytes(), &recs); err != nil {
		t.Fatalf("log.yaml is not YAML: %v", err)
	}
	if len(recs) != 10 {
		t.Fatalf("unexpected records: %v", recs)
	}
}

func TestMapShapes(t *testing.T) {
	for _, c := range []struct {
		name string
		r    sdk.Result
		want string
	}{
		{"action result: level and extra", sdk.Result{Definition: "lava", Case: "http-download", Level: "1.2.1", Duration: "0.52", Result: "pass",
			Extra: map[string]any{"size": float64(15305012), "label": "kernel", "namespace": "common"}},
			`{"definition": "lava", "namespace": "common", "case": "http-download", "level": "1.2.1", "duration": "0.52", "result": "pass", "extra": {"label": "kernel", "size": ! "15305012"}}`},
		{"test case: measurement is a number", sdk.Result{Definition: "0_x", Case: "bw", Result: "pass", Measurement: "10.5", Units: "MB/s", Set: "s1"},
			`{"definition": "0_x", "case": "bw", "result": "pass", "measurement": ! "10.5", "units": "MB/s", "set": "s1"}`},
		{"integral measurement is still a float", sdk.Result{Definition: "0_x", Case: "n", Result: "pass", Measurement: "15305012"},
			`{"definition": "0_x", "case": "n", "result": "pass", "measurement": ! "15305012.0"}`},
		{"job: error at the top", sdk.Result{Definition: "lava", Case: "job", Result: "fail", Extra: map[string]any{"error_type": "Job", "error_msg": "boom"}},
			`{"definition": "lava", "case": "job", "result": "fail", "error_msg": "boom", "error_type": "Job"}`},
		{"test run", sdk.Result{Definition: "lava", Case: "0_x", Result: "pass", Duration: "1.00",
			Extra: map[string]any{"namespace": "common", "revision": "unspecified", "path": "p.yaml", "repository": "r", "uuid": "1_1.1"}},
			`{"definition": "lava", "case": "0_x", "uuid": "1_1.1", "repository": "r", "path": "p.yaml", "duration": "1.00", "result": "pass", "revision": "unspecified", "namespace": "common"}`},
		{"test reference", sdk.Result{Definition: "0_x", Case: "c", Result: "pass", Extra: map[string]any{"reference": "http://r"}},
			`{"case": "c", "definition": "0_x", "result": "pass", "reference": "http://r"}`},
		{"git-repo-action order", sdk.Result{Definition: "lava", Case: "git-repo-action", Level: "1.1.4.5", Duration: "0.10", Result: "pass",
			Extra: map[string]any{"path": "p.yaml", "repository": "r", "commit": "abc"}},
			`{"definition": "lava", "case": "git-repo-action", "level": "1.1.4.5", "duration": "0.10", "result": "pass", "extra": {"commit": "abc", "repository": "r", "path": "p.yaml"}}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := flow(Map(c.r)); got != c.want {
				t.Errorf("Map:\n got %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestPyFloat(t *testing.T) {
	for x, want := range map[float64]string{15305012: "15305012.0", 42: "42.0", 0.1: "0.1", 1e-5: "1.0e-05",
		1.5e-7: "1.5e-07", 1e16: "1.0e+16", 1234567890123456: "1234567890123456.0", 0.0001: "0.0001", -2.5: "-2.5"} {
		if got := pyFloat(x); got != want {
			t.Errorf("pyFloat(%v) = %q, want %q", x, got, want)
		}
	}
}

// testResults is a job's results as the runner logs them, at fixed times.
func testResults() *Results {
	l := NewLog(nil)
	l.SetClock(fixedClock())
	rs := &Results{JobID: "1234", Hostname: "dispatcher"}
	for _, r := range []sdk.Result{
		{Definition: "lava", Case: "validate", Result: "pass"},
		{Definition: "lava", Case: "http-download", Level: "1.2.1", Duration: "0.52", Result: "pass",
			Extra: map[string]any{"label": "kernel", "size": float64(123), "namespace": "common"}},
		{Definition: "0_smoke-tests", Case: "linux-pwd", Result: "pass"},
		{Definition: "0_smoke-tests", Case: "linux-uname", Result: "fail", Set: "basic"},
		{Definition: "0_smoke-tests", Case: "bandwidth", Result: "pass", Measurement: "10.5", Units: "MB/s"},
		{Definition: "0_smoke-tests", Case: "linux-pwd", Result: "pass"},
		{Definition: "lava", Case: "0_smoke-tests", Result: "pass", Duration: "2.50",
			Extra: map[string]any{"repository": "file:///x.git", "path": "a.yaml", "uuid": "1234_1.1.4.1"}},
		{Definition: "lava", Case: "power-off", Level: "4.1", Duration: "1.00", Result: "fail",
			Extra: map[string]any{"fail": "power-off timed out after 20 seconds", "namespace": "common"}},
		{Definition: "lava", Case: "job", Result: "fail",
			Extra: map[string]any{"error_msg": "boom", "error_type": "Infrastructure"}},
		{Definition: "1_x", Case: "s", Result: "skip"},
	} {
		msg, at := l.Result(r)
		rs.AddLogged(r, msg, at)
	}
	return rs
}

func TestResultsFiles(t *testing.T) {
	rs := testResults()
	var y, j bytes.Buffer
	if err := rs.WriteYAML(&y); err != nil {
		t.Fatal(err)
	}
	if err := rs.WriteJUnit(&j, "demo job"); err != nil {
		t.Fatal(err)
	}
	golden(t, "results.yaml", y.Bytes())
	golden(t, "junit.xml", j.Bytes())
	// the fields of LAVA's results export, every value a string but metadata
	var got []map[string]any
	if err := yaml.Unmarshal(y.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	fields := []string{"name", "job", "suite", "result", "measurement", "unit", "level", "url", "id",
		"logged", "log_start_line", "log_end_line", "metadata"}
	for i, r := range got {
		if len(r) != len(fields) {
			t.Errorf("result %d has %d fields, want %d: %v", i, len(r), len(fields), r)
		}
		for _, f := range fields {
			if _, ok := r[f]; !ok {
				t.Errorf("result %d has no %s", i, f)
			} else if _, isStr := r[f].(string); !isStr && f != "metadata" {
				t.Errorf("result %d: %s is %T, LAVA exports strings", i, f, r[f])
			}
		}
	}
}

// TestJUnitValidatesAgainstXSD validates junit.xml against the JUnit schema
// CI importers read (testdata/junit.xsd) with xmllint: errors on every
// testsuite, timestamp, hostname, one of skipped/error/failure, unique test
// case names per suite (the results repeat linux-pwd).
func TestJUnitValidatesAgainstXSD(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("xmllint is required under CI (make deps installs libxml2-utils): %v", err)
		}
		t.Skipf("xmllint not available (apt-get install libxml2-utils): %v", err)
	}
	var j bytes.Buffer
	if err := testResults().WriteJUnit(&j, "demo job"); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "junit.xml")
	if err := os.WriteFile(file, j.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(xmllint, "--noout", "--schema", filepath.Join("testdata", "junit.xsd"), file).CombinedOutput()
	if err != nil {
		t.Fatalf("junit.xml does not validate: %v\n%s\n%s", err, out, j.String())
	}
	// the schema itself catches what it must: a repeated name, no errors attribute
	for name, bad := range map[string]string{
		"repeated name": strings.Replace(j.String(), `name="linux-pwd (2)"`, `name="linux-pwd"`, 1),
		"no errors":     strings.Replace(j.String(), ` errors="0" skipped="1"`, ` skipped="1"`, 1),
	} {
		if bad == j.String() {
			t.Fatalf("%s: the mutation did not apply", name)
		}
		f := filepath.Join(t.TempDir(), "bad.xml")
		if err := os.WriteFile(f, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(xmllint, "--noout", "--schema", filepath.Join("testdata", "junit.xsd"), f).CombinedOutput(); err == nil {
			t.Errorf("%s: the schema accepts it:\n%s", name, out)
		}
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
