package bootflow

import (
	"strings"
	"testing"
)

func TestCheckHost(t *testing.T) {
	for _, tc := range []struct {
		host string
		ok   bool
	}{
		{"10.77.0.101", true},
		{"fe80::1", true},
		{"board-01", true},
		{"linaro-developer.lab", true},
		{strings.Repeat("a", 253), true},
		{strings.Repeat("a", 254), false},
		{"", false},
		{"-rf", false},
		{".hidden", false},
		{"1.2.3.4;touch /tmp/pwned", false},
		{"$(reboot)", false},
		{"a b", false},
		{"host\n", false},
	} {
		if err := CheckHost(tc.host); (err == nil) != tc.ok {
			t.Errorf("CheckHost(%q) = %v, want ok=%v", tc.host, err, tc.ok)
		}
	}
}
