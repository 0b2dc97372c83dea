package overlay

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/lavacore/lavacore/sdk/shlex"
)

// envName is a name a POSIX shell accepts in an assignment.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// CheckEnv says why name=value cannot be a line of the secrets file: a name
// that is not a shell variable name, or a value with a line break or a NUL
// (it would add a line, run as a command when the file is sourced).
func CheckEnv(name, value string) error {
	if !envName.MatchString(name) {
		return fmt.Errorf("%q is not a shell variable name", name)
	}
	if strings.ContainsAny(value, "\n\r\x00") {
		return fmt.Errorf("%s: the value has a line break or a NUL", name)
	}
	return nil
}

// writeSecrets writes <results>/secrets (LAVA's overlay.py): the job's
// secrets as KEY=VALUE lines (LAVA's format, as the job wrote them), then the
// DUT environment (env-dut.yaml), whose values are shell-quoted: they are the
// worker's data, not the job's, and must stay data when a test sources the
// file. Each part is sorted by name (LAVA keeps its dicts' order). No file
// when both are empty.
func (ov *Overlay) writeSecrets() error {
	secrets, env := ov.opts.Secrets, ov.opts.DUTEnvironment
	if len(secrets) == 0 && len(env) == 0 {
		return nil
	}
	var s strings.Builder
	for _, k := range sortedKeys(secrets) {
		fmt.Fprintf(&s, "%s=%s\n", k, secrets[k])
	}
	for _, k := range sortedKeys(env) {
		if err := CheckEnv(k, env[k]); err != nil {
			return fmt.Errorf("overlay: DUT environment: %w", err)
		}
		fmt.Fprintf(&s, "%s=%s\n", k, shlex.Quote(env[k]))
	}
	if err := os.WriteFile(filepath.Join(ov.Results, "secrets"), []byte(s.String()), 0o600); err != nil {
		return fmt.Errorf("overlay: %w", err)
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
