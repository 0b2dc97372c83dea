package overlay

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// secretsOf builds an overlay and returns its secrets file ("" if none).
func secretsOf(t *testing.T, o Options) (string, error) {
	t.Helper()
	o.JobID, o.WorkDir = "7", t.TempDir()
	ov, err := Build(o)
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(filepath.Join(ov.Results, "secrets"))
	if os.IsNotExist(err) {
		return "", nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b), nil
}

// The secrets file: the job's secrets, then the DUT environment (env-dut),
// each sorted by name; safe values as LAVA writes them, others shell-quoted.
func TestSecretsFile_DUTEnvironmentGolden(t *testing.T) {
	tests := []struct {
		name    string
		secrets map[string]string
		env     map[string]string
		want    string
	}{
		{"none", nil, nil, ""},
		{"secrets only", map[string]string{"TOKEN": "s3cret", "A": "1"}, nil, "A=1\nTOKEN=s3cret\n"},
		{"env only", nil, map[string]string{"PATH": "/usr/bin:/bin", "HOME": "/root"}, "HOME=/root\nPATH=/usr/bin:/bin\n"},
		{"secrets then env", map[string]string{"TOKEN": "s3cret"},
			map[string]string{"Z": "1", "B": "two words", "EMPTY": "", "Q": "it's"},
			"TOKEN=s3cret\nB='two words'\nEMPTY=''\nQ='it'\"'\"'s'\nZ=1\n"},
		{"same name in both: both lines, env last (sourced: env wins)", map[string]string{"X": "secret"},
			map[string]string{"X": "env"}, "X=secret\nX=env\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := secretsOf(t, Options{Secrets: tc.secrets, DUTEnvironment: tc.env})
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("secrets file:\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

// A DUT environment value or name that would add a line to the secrets
// file, or end the assignment, when a test definition sources it.
func TestSecretsFile_DUTEnvLineInjection(t *testing.T) {
	for _, tc := range []struct{ name, key, value string }{
		{"newline in value adds a command line", "FOO", "x\nreboot"},
		{"carriage return in value", "FOO", "x\rreboot"},
		{"NUL in value", "FOO", "x\x00y"},
		{"name with a command", "A;reboot", "1"},
		{"name with a newline", "A\nreboot", "1"},
		{"name with an assignment", "A=B", "1"},
		{"empty name", "", "1"},
		{"name starting with a digit", "1A", "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := secretsOf(t, Options{DUTEnvironment: map[string]string{tc.key: tc.value}})
			if err == nil {
				t.Fatalf("accepted %q=%q; secrets file:\n%q", tc.key, tc.value, got)
			}
		})
	}
}

// A DUT environment value with shell syntax ran commands when the secrets
// file was sourced on the device; each value must come back literally.
func TestSecretsFile_DUTEnvCommandInjectionWhenSourced(t *testing.T) {
	dir := t.TempDir()
	pwned := filepath.Join(dir, "PWNED")
	values := map[string]string{
		"SUBST":    "$(touch " + pwned + ")",
		"BACKTICK": "`touch " + pwned + "`",
		"SEMI":     "x; touch " + pwned,
		"AMP":      "x && touch " + pwned,
		"QUOTE":    "a'; touch " + pwned + "; '",
		"DQUOTE":   `a"; touch ` + pwned + `; "`,
		"GLOB":     "*",
		"VAR":      "${HOME}",
		"SPACE":    "x touch " + pwned,
	}
	got, err := secretsOf(t, Options{DUTEnvironment: values})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "secrets")
	if err := os.WriteFile(file, []byte(got), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, sh := range shells(t) {
		t.Run(strings.Join(sh, " "), func(t *testing.T) {
			script := ". " + file + "\n"
			for k := range values {
				script += "printf '%s=%s\\0' " + k + " \"$" + k + "\"\n"
			}
			cmd := exec.Command(sh[0], append(sh[1:], "-c", script)...)
			cmd.Dir = dir
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("sourcing failed: %v\n%s", err, got)
			}
			if _, err := os.Stat(pwned); err == nil {
				t.Fatalf("sourcing the secrets file ran a command:\n%s", got)
			}
			seen := map[string]string{}
			for _, kv := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
				k, v, _ := strings.Cut(kv, "=")
				seen[k] = v
			}
			for k, v := range values {
				if seen[k] != v {
					t.Errorf("%s = %q after sourcing, want %q", k, seen[k], v)
				}
			}
		})
	}
}
