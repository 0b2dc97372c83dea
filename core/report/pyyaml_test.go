package report

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lavacore/lavacore/sdk"
)

// debianPython is the Python that has PyYAML (python3-yaml), LAVA's YAML library.
const debianPython = "/usr/bin/python3"

// needPyYAML skips the test when Debian's Python with PyYAML is missing,
// except under CI (CI=true), where it fails: there, make deps installs it.
func needPyYAML(t *testing.T) {
	t.Helper()
	err := exec.Command(debianPython, "-c", "import yaml").Run()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s with PyYAML is required under CI (make deps installs python3-yaml): %v", debianPython, err)
	}
	t.Skipf("%s with PyYAML not available (apt-get install python3-yaml): %v", debianPython, err)
}

// TestLogIsWhatLAVADumps writes records of every kind through the job log
// and re-dumps each one with PyYAML and LAVA's settings: the bytes must be
// the same (non-ASCII escapes, float and integer tags, key order, the too
// long record, timestamps with and without microseconds).
func TestLogIsWhatLAVADumps(t *testing.T) {
	needPyYAML(t)
	var buf bytes.Buffer
	l := NewLog(&buf)
	t0 := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
	n := 0
	l.SetClock(func() time.Time { n++; return t0.Add(time.Duration(n-1) * 1234567 * time.Nanosecond) })
	for _, s := range []string{
		"plain ascii",
		"start: 1 tftp-deploy (timeout 00:04:00) [common]",
		"caf\u00e9 \u20ac \U0001F600 \u2028 \u2029 \u0085 \u00a0 \ufeff end",
		"ctl \x00 \x01 \x07 \x08 \t \n \v \f \r \x1b[0m \x7f \u0080 \u009f",
		`quotes " and \ backslash 'single' {flow} [list], key: value # comment`,
		"  leading and trailing spaces  ",
		"",
		"- dash", "null", "true", "123", "1.5", "~", "@at `tick` %pct &amp *star !bang |pipe >gt",
		"invalid utf-8 \xff\xfe",
		"surrogate-ish \ud7ff \ue000 \ufffd \uffff",
		strings.Repeat("long line ", 11000),
	} {
		l.Add("target", s)
	}
	l.Feedback("guest", "feedback with ns \u00e9")
	l.Add("debug", map[string]any{"a": 1, "b": []any{"x", 2.5, nil, true}, "c": map[string]any{"d": "e"}})
	l.Add("info", Fields{{"skip", strings.Repeat("y", MaxRecord)}})
	results := []sdk.Result{
		{Definition: "lava", Case: "http-download", Level: "1.2.1", Duration: "0.52", Result: "pass",
			Extra: map[string]any{"label": "kernel", "size": float64(15305012), "md5sum": "d41d8cd98f00b204e9800998ecf8427e",
				"sha256sum": "ab", "sha512sum": "cd", "namespace": "common"}},
		{Definition: "lava", Case: "kernel-messages", Level: "2.7.1", Duration: "0.00", Result: "fail",
			Extra: map[string]any{"extra": []any{map[string]any{"kind": "panic", "message": "Kernel panic \u00e9"}}}},
		{Definition: "0_smoke", Case: "measured", Result: "pass", Measurement: "42", Units: "widgets"},
		{Definition: "0_smoke", Case: "tiny", Result: "pass", Measurement: "0.00001", Units: "s"},
		{Definition: "0_smoke", Case: "huge", Result: "pass", Measurement: "1e16"},
		{Definition: "0_smoke", Case: "frac", Result: "pass", Measurement: "1234567.125", Set: "set1"},
		{Definition: "0_smoke", Case: "ref", Result: "pass", Extra: map[string]any{"reference": "http://x"}},
		{Definition: "lava", Case: "0_smoke", Result: "pass", Duration: "2.50",
			Extra: map[string]any{"uuid": "1_1.1.4.1", "repository": "http://git", "path": "a.yaml",
				"revision": "unspecified", "namespace": "common", "commit_id": "abc"}},
		{Definition: "lava", Case: "job", Result: "fail",
			Extra: map[string]any{"error_msg": "boom \u00e9", "error_type": "Infrastructure"}},
		{Definition: "lava", Case: "validate", Result: "pass"},
	}
	for _, r := range results {
		l.Result(r)
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "log.yaml")
	if err := os.WriteFile(log, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(debianPython, filepath.Join("testdata", "redump.py"), log).CombinedOutput()
	if err != nil {
		t.Fatalf("LAVA's dump differs: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

// TestResultsYAMLReadsAsLAVAExport loads results.yaml with PyYAML, as a
// script written for LAVA's results API would: every field but metadata a
// string (no date, number or boolean read from an unquoted value).
func TestResultsYAMLReadsAsLAVAExport(t *testing.T) {
	needPyYAML(t)
	var y bytes.Buffer
	if err := testResults().WriteYAML(&y); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "results.yaml")
	if err := os.WriteFile(file, y.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
bad = [(i, k, v) for i, r in enumerate(d) for k, v in r.items() if k != "metadata" and not isinstance(v, str)]
m = [r for r in d if r["name"] == "bandwidth"][0]
assert float(m["measurement"]) == 10.5 and m["unit"] == "MB/s", m
assert m["metadata"]["measurement"] == 10.5, m
if bad:
    sys.exit("not strings: %r" % bad)
`
	if out, err := exec.Command(debianPython, "-c", script, file).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}
