package lavayaml

import (
	"os"
	"path/filepath"
	"testing"
)

// fixtures is LAVA's own test data (GPL, read-only, outside the repository):
// ../shared/lava-fixtures from the repository root.
const fixtures = "../../../../shared/lava-fixtures"

// fixtureFiles returns the *.yaml files of a fixture folder. Without the
// fixtures the test is skipped, except under CI (CI=true), where they must be
// there: the test fails.
func fixtureFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(fixtures, dir, "*.yaml"))
	if len(files) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("LAVA fixtures missing: no %s/*.yaml (CI needs ../shared/lava-fixtures)", filepath.Join(fixtures, dir))
		}
		t.Skipf("LAVA fixtures absent (%s)", filepath.Join(fixtures, dir))
	}
	return files
}
