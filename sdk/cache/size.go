package cache

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ParseSize reads a size: a number of bytes, or a number with a unit K, M,
// G or T (powers of 1024; KB/KiB … are the same), e.g. "20G", "512MiB".
func ParseSize(s string) (int64, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	u = strings.TrimSuffix(strings.TrimSuffix(u, "B"), "I")
	mult := int64(1)
	if i := len(u) - 1; i >= 0 {
		if p := strings.IndexByte("KMGT", u[i]); p >= 0 {
			mult = int64(1) << (10 * (p + 1))
			u = strings.TrimSpace(u[:i])
		}
	}
	n, err := strconv.ParseFloat(u, 64)
	if err != nil || n < 0 || n*float64(mult) > 1<<62 {
		return 0, fmt.Errorf("invalid size %q (a number of bytes, or with K, M, G or T)", s)
	}
	return int64(n * float64(mult)), nil
}

// FormatSize writes n bytes for people: "104.9 MiB".
func FormatSize(n int64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	f, i := float64(n)/1024, 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %ciB", f, units[i])
}

// DefaultDir is the cache directory when a lab names none: root's is
// /var/cache/lavacore/artefacts, anyone else's $XDG_CACHE_HOME/lavacore/artefacts
// (~/.cache/lavacore/artefacts).
func DefaultDir() string {
	if os.Geteuid() == 0 {
		return "/var/cache/lavacore/artefacts"
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "lavacore", "artefacts")
	}
	return filepath.Join(os.TempDir(), "lavacore-cache", "artefacts")
}
