package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// removeOverlays removes what compress-overlay leaves in a sub-job's work
// directory: the overlay tarballs (overlay-<level>.tar.gz) and the trees they
// were packed from (overlay-*/). Both hold the job's secrets.
func removeOverlays(workDir string) error {
	left, err := filepath.Glob(filepath.Join(workDir, "overlay-*"))
	if err != nil {
		return fmt.Errorf("remove overlay: %w", err)
	}
	for _, p := range left {
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("remove overlay: %w", err)
		}
	}
	return nil
}

// cleanWork removes what a run leaves in a sub-job's work directory: all of
// it, unless keepWork; then the overlays (they hold the job's secrets),
// unless keepOverlay too.
func cleanWork(workDir string, keepWork, keepOverlay bool) error {
	switch {
	case !keepWork && !keepOverlay:
		if err := os.RemoveAll(workDir); err != nil {
			return fmt.Errorf("remove work directory: %w", err)
		}
	case !keepWork:
		es, err := os.ReadDir(workDir)
		if err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove work directory: %w", err)
		}
		for _, e := range es {
			if !strings.HasPrefix(e.Name(), "overlay-") {
				if err := os.RemoveAll(filepath.Join(workDir, e.Name())); err != nil {
					return fmt.Errorf("remove work directory: %w", err)
				}
			}
		}
	case !keepOverlay:
		return removeOverlays(workDir)
	}
	return nil
}
