package runner

import (
	"fmt"
	"os"
	"path/filepath"
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
