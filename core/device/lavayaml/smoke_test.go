package lavayaml

import (
	"path/filepath"
	"testing"
)

func TestSmoke(t *testing.T) {
	files, _ := filepath.Glob("../../../../shared/lava-fixtures/devices-rendered/*.yaml")
	refs, _ := filepath.Glob("../../../../shared/lava-fixtures/ref-devices/*.yaml")
	extras := map[string]int{}
	for _, f := range append(files, refs...) {
		d, probs := LoadFile(f, Options{})
		if len(probs) > 0 {
			t.Errorf("%s", probs.Error())
		}
		if d != nil {
			for k := range d.Extra {
				extras[k]++
			}
		}
	}
	t.Log(extras)
}
