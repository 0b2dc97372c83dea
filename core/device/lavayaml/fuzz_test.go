package lavayaml

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/sdk"
)

// FuzzLoad feeds hostile device files to the loader (with and without a
// method spec) and writes what loads to HCL and to `devices show`'s text:
// nothing may panic, and an alias bomb must stop at the node budget.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"bbb-01.yaml", "db410c-01.yaml", "qemu01.yaml", "mustang1.yaml"} {
		if b, err := os.ReadFile(filepath.Join(fixtures, "devices-rendered", name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("commands: {connect: x, users: {'a b': {do: y}}}\nactions: {boot: {methods: {u-boot: {parameters: {x: 1}, x: 2, nfs: {commands: [a]}}}}}"))
	f.Add([]byte(billionLaughs))
	f.Add([]byte("a: &a {b: *a}"))
	f.Add([]byte("<<: [*x]"))
	f.Add([]byte("timeouts: {actions: {x: {minutes: .nan}}}\ncharacter_delays: {boot: .inf}"))
	spec := func(key string) *sdk.BlockSpec {
		if key != "boot/u-boot" {
			return nil
		}
		return &sdk.BlockSpec{Attrs: []sdk.AttrSpec{{Name: "bootloader_prompt", Type: "string", Default: "=>"}},
			Blocks: []sdk.NestedBlockSpec{{TypeName: "commands", Labels: []string{"name"},
				Body: sdk.BlockSpec{Attrs: []sdk.AttrSpec{{Name: "lines", Type: "list(string)", Required: true}}}}}}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		for _, opts := range []Options{{}, {Spec: spec}} {
			d, probs := Load("fuzz.yaml", src, opts)
			if d == nil {
				if !probs.HasErrors() {
					t.Fatalf("no device and no error")
				}
				continue
			}
			_ = device.WriteDevice(discard{}, d)
			_, _ = ToHCL(d, "fuzz", "fuzz.yaml")
		}
	})
}

// billionLaughs expands to 9^9 values.
var billionLaughs = func() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x]\n")
	for i := 1; i <= 9; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 9; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	b.WriteString("commands: {connect: *a9}\n")
	return b.String()
}()

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// TestLoad_AliasBombStopsAtTheNodeBudget: a billion-laughs document fails
// with the aliasing message instead of expanding.
func TestLoad_AliasBombStopsAtTheNodeBudget(t *testing.T) {
	_, probs := Load("bomb.yaml", []byte(billionLaughs), Options{})
	if !strings.Contains(probs.Error(), "excessive aliasing") {
		t.Fatalf("problems = %v, want excessive aliasing", probs)
	}
}
