package download

import (
	"testing"
	"time"

	"github.com/lavacore/lavacore/sdk"
)

func TestArtefactSpec(t *testing.T) {
	d := sdk.Dispatcher{AllowedFileDirs: []string{"/srv/images"}}
	tests := []struct {
		name     string
		artefact map[string]any
		want     Spec
	}{
		{"url only", map[string]any{"url": "http://x/k"}, Spec{Key: "kernel", URL: "http://x/k", AllowedFileDirs: d.AllowedFileDirs}},
		{"compression and sums", map[string]any{"compression": "xz", "md5sum": "a", "sha256sum": "b", "sha512sum": "c"},
			Spec{Key: "kernel", URL: "http://x/k", Compression: "xz", MD5: "a", SHA256: "b", SHA512: "c", AllowedFileDirs: d.AllowedFileDirs}},
		{"values of another type are ignored", map[string]any{"compression": 3}, Spec{Key: "kernel", URL: "http://x/k", AllowedFileDirs: d.AllowedFileDirs}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ArtefactSpec("kernel", "http://x/k", tc.artefact, d)
			if got.Key != tc.want.Key || got.URL != tc.want.URL || got.Compression != tc.want.Compression ||
				got.MD5 != tc.want.MD5 || got.SHA256 != tc.want.SHA256 || got.SHA512 != tc.want.SHA512 ||
				len(got.AllowedFileDirs) != 1 || got.AllowedFileDirs[0] != "/srv/images" {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestActionResult(t *testing.T) {
	r := ActionResult(sdk.Call{Action: "http-download", Level: "1.2.1"}, Result{Duration: 1520 * time.Millisecond})
	if r.Definition != "lava" || r.Case != "http-download" || r.Level != "1.2.1" || r.Duration != "1.52" || r.Result != "pass" {
		t.Errorf("%+v", r)
	}
}
