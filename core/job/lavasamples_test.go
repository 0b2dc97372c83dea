package job

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lavaSamples is LAVA's own job files (GPL test data outside the repository).
const lavaSamples = "../../../shared/lava-fixtures/sample_jobs"

// lavaSampleJobs lists LAVA's sample jobs. Without them the test is skipped,
// except in CI (CI=true), where the fixtures are always present and a missing
// folder is a broken checkout, not a reason to pass.
func lavaSampleJobs(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(lavaSamples, "*.yaml"))
	if len(files) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("LAVA fixtures missing at %s (CI=true: they must be present)", lavaSamples)
		}
		t.Skipf("LAVA fixtures not present at %s", lavaSamples)
	}
	return files
}

// fingerprint is what a job decodes to: its diagnostics and a hash of every
// decoded value (positions included, the YAML nodes left out).
func fingerprint(j *Job, diags Diagnostics) string {
	var b strings.Builder
	fmt.Fprintf(&b, "diags=%d", len(diags))
	if j != nil {
		c := *j
		c.Root = nil
		c.Actions = append([]ActionBlock(nil), j.Actions...)
		for i := range c.Actions {
			c.Actions[i].Node = nil
		}
		data, err := json.Marshal(c)
		if err != nil {
			return "marshal: " + err.Error()
		}
		// Warnings came with the duplicate-key check: compare the rest.
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			return "unmarshal: " + err.Error()
		}
		delete(m, "Warnings")
		if data, err = json.Marshal(m); err != nil {
			return "marshal: " + err.Error()
		}
		fmt.Fprintf(&b, " job=%x", sha256.Sum256(data))
	}
	for _, d := range diags {
		b.WriteString("\n  " + d.String())
	}
	return b.String()
}

// TestLAVASampleJobsDecodeAsBefore pins what each of LAVA's sample jobs
// decodes to (testdata/lava-samples.golden, written before the decoding
// limits and the duplicate-key check were added): the limits must not refuse
// or change a legitimate job.
func TestLAVASampleJobsDecodeAsBefore(t *testing.T) {
	files := lavaSampleJobs(t)
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		j, diags := Parse(name, data)
		fmt.Fprintf(&b, "%s %s\n", name, fingerprint(j, diags))
	}
	golden := "testdata/lava-samples.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got := b.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("line %d:\n got: %s\nwant: %s", i+1, g, w)
			}
		}
	}
	if len(files) < 138 {
		t.Errorf("%d sample jobs, want LAVA's 138", len(files))
	}
}
