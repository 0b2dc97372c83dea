package runner

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/sdk/safejoin"
)

// `job_name: ".."` made the default output directory lavacore-out/.., the
// current directory; a role name became <role>-<sub_id>/ the same way. A job
// keeps its name in the results; only its directory name is sanitised.
func TestSlug_JobNameEscapes(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"..", "job"},
		{".", "job"},
		{"...", "job"},
		{"../..", "job"},
		{"../../etc", "etc"},
		{"a/../../b", "a-..-..-b"},
		{".hidden", "hidden"},
		{"x\x00y", "x-y"},
		{"ssh guest with standard images", "ssh-guest-with-standard-images"},
		{"v1.0", "v1.0"},
		{strings.Repeat("a", 300), strings.Repeat("a", 100)},
		{"", "job"},
	} {
		got := Slug(tc.name)
		if got != tc.want {
			t.Errorf("Slug(%q) = %q, want %q", tc.name, got, tc.want)
		}
		base := filepath.Join("lavacore-out")
		dir := filepath.Join(base, got)
		if dir == filepath.Clean(base) || !safejoin.Within(base, dir) || filepath.Base(dir) != got {
			t.Errorf("Slug(%q) = %q leaves %s", tc.name, got, base)
		}
	}
}
