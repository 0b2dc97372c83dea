package headless

import (
	"context"
	"errors"
	"os"
	"testing"
)

// ForTest starts a browser for test t and closes it when t ends. Without a
// Chromium the test is skipped — or fails when CI=true, where the browser
// tests must run (scripts/deps.d/report.apt installs it).
func ForTest(t testing.TB) *Browser {
	t.Helper()
	b, err := Start(context.Background())
	if errors.Is(err, ErrNoBrowser) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %v: the report's browser tests must run in CI", err)
		}
		t.Skipf("%v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("close chromium: %v", err)
		}
	})
	return b
}
