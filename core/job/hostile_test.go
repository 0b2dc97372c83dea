package job

import (
	"path/filepath"
	"testing"
	"time"
)

// Each test names an attack through a job file; its fixtures in
// testdata/invalid/ hold the attack and their .err goldens the diagnostics
// that refuse it (file:line:col, field path, why).
func runFixtures(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		t.Run(n, func(t *testing.T) { checkInvalid(t, filepath.Join("testdata", "invalid", n+".yaml")) })
	}
}

// A definition's path ("../../x.yaml", "/etc/shadow") wrote or read any file
// of the dispatcher.
func TestValidate_InlineDefinitionPathEscapes(t *testing.T) {
	runFixtures(t, "definition-path-escapes")
}

// lava_test_results_dir "/../../tmp/X-%s" moved the overlay (scripts,
// secrets) anywhere on the dispatcher; a relative one or one with shell
// characters is no device path either.
func TestValidate_ResultsDirEscape(t *testing.T) {
	runFixtures(t, "results-dir-escape", "results-dir-not-a-device-path")
}

// A git revision, branch or repository starting with "-" reached git as an
// option (--pathspec-from-file=/etc/shadow, --upload-pack=…).
func TestValidate_GitValuesAsOptions(t *testing.T) {
	runFixtures(t, "git-values-as-options")
}

// `seconds: 18446744074` wrapped to 0.29 s; every unit of every timeout is bounded.
func TestTimeoutOverflow(t *testing.T) {
	runFixtures(t, "timeout-overflow", "multinode-timeout-overflow")
}

// A url without a scheme was accepted by validate and refused only by describe.
func TestValidate_URLWithoutScheme(t *testing.T) {
	runFixtures(t, "url-without-scheme")
}

// Retry counts, intervals, delays and group sizes that overflow or exhaust memory.
func TestValidate_AbsurdNumbers(t *testing.T) {
	runFixtures(t, "absurd-numbers", "multinode-group-too-large")
}

// Whatever validation says, a decoded timeout is never above MaxTimeout and
// never wraps: the pipeline reads Duration without looking at diagnostics.
func TestTimeoutOverflow_DecodedValueIsClamped(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       time.Duration
	}{
		{"seconds that wrapped", "{seconds: 18446744074}", MaxTimeout},
		{"days past 292 years", "{days: 106752}", MaxTimeout},
		{"max int64 seconds", "{seconds: 9223372036854775807}", MaxTimeout},
		{"negative", "{minutes: -5}", 30 * time.Second},
		{"ordinary", "{minutes: 5}", 5 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j, _ := Parse("t.yaml", []byte("job_name: t\ntimeouts:\n  job: "+tc.yaml+"\nvisibility: public\ndevice_type: d\nactions:\n- boot: {method: minimal, failure_retry_interval: 18446744074}\n"))
			if j == nil || j.Timeouts.Job == nil {
				t.Fatal("not decoded")
			}
			if got := j.Timeouts.Job.Duration; got != tc.want {
				t.Errorf("job timeout %v, want %v", got, tc.want)
			}
			if got := j.Actions[0].FailureRetryInterval; got != MaxTimeout {
				t.Errorf("failure_retry_interval %v, want %v", got, MaxTimeout)
			}
		})
	}
}

// A MultiNode group is never split into more sub-jobs than MaxGroupSize, even
// when the caller did not look at the diagnostics.
func TestSplit_GroupTooLarge(t *testing.T) {
	j, _ := Parse("t.yaml", []byte(`job_name: t
timeouts: {job: {minutes: 5}}
visibility: public
protocols:
  lava-multinode:
    roles:
      a: {count: 1000, device_type: d}
      b: {count: 1, device_type: d}
actions:
- boot: {method: minimal, role: [a, b]}
`))
	if j == nil || j.MultiNode == nil {
		t.Fatal("not decoded")
	}
	if subs, err := Split(j); err == nil {
		t.Fatalf("split into %d sub-jobs", len(subs))
	}
}
