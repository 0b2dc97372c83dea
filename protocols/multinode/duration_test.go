package multinode

import (
	"testing"
	"time"
)

// A lava-multinode call's timeout (or a role's) too large for time.Duration
// wrapped: {seconds: 18446744074} became 0.29 s, {days: 1e6} a negative wait.
func TestTimeoutOverflow(t *testing.T) {
	const year = 365 * 24 * time.Hour
	for _, tc := range []struct {
		name string
		v    any
		want time.Duration
	}{
		{"seconds that wrap", map[string]any{"seconds": 18446744074}, year},
		{"days past 292 years", map[string]any{"days": 1000000}, year},
		{"float past int64", map[string]any{"minutes": 1e300}, year},
		{"units that add up past the bound", map[string]any{"days": 365, "hours": 1}, year},
		{"bare seconds past int64", 1e300, year},
		{"negative", map[string]any{"minutes": -5}, 0},
		{"negative bare", -5, 0},
		{"ordinary", map[string]any{"minutes": 5}, 5 * time.Minute},
		{"bare", 90, 90 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := durationOf(tc.v); got != tc.want {
				t.Errorf("durationOf(%v) = %v, want %v", tc.v, got, tc.want)
			}
		})
	}
}
