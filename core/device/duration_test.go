package device

import (
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
)

// A character delay or timeout too large for time.Duration wrapped to any
// value (a negative one, or a tiny one) instead of being refused.
func TestParseDuration_Overflow(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    cty.Value
		unit time.Duration
		want time.Duration
		ok   bool
	}{
		{"ms number past int64", cty.NumberFloatVal(1e30), time.Millisecond, 0, false},
		{"seconds that wrap", cty.NumberIntVal(18446744074), time.Second, 0, false},
		{"string past int64", cty.StringVal("1e300"), time.Millisecond, 0, false},
		{"NaN", cty.StringVal("NaN"), time.Millisecond, 0, false},
		{"Inf", cty.StringVal("+Inf"), time.Second, 0, false},
		{"go duration past a year", cty.StringVal("9000h"), time.Second, 0, false},
		{"negative", cty.NumberIntVal(-1), time.Second, 0, false},
		{"ms", cty.NumberIntVal(10), time.Millisecond, 10 * time.Millisecond, true},
		{"go duration", cty.StringVal("3m"), time.Second, 3 * time.Minute, true},
		{"a year", cty.NumberIntVal(365 * 24 * 3600), time.Second, 365 * 24 * time.Hour, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseDuration(tc.v, tc.unit)
			if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
				t.Errorf("parseDuration = %v, %v; want %v ok=%v", got, err, tc.want, tc.ok)
			}
		})
	}
}
