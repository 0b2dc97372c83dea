package pipelinetest

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/core/device/lavayaml"
	"github.com/lavacore/lavacore/core/pipeline"
)

// uBootTypes are the built-in device types (devicetypes/) written after
// LAVA's templates of the same name.
var uBootTypes = []string{"b2260", "beaglebone-black", "cubietruck", "juno-uboot", "x15"}

var extendsRe = regexp.MustCompile(`\{%\s*extends\s+'([^']+)\.jinja2'\s*%\}`)

// TestBuiltinTypesMatchLAVA resolves each of LAVA's test devices of the
// built-in U-Boot types as an HCL device (testdata/lava-devices: the device
// dictionary's variables) and compares it with LAVA's rendering of the same
// dictionary (devices-rendered/), both decoded with the methods' specs as
// describe and run decode them. Variables are compared where LAVA's file
// names one (connection and power commands); everything else must be equal.
func TestBuiltinTypesMatchLAVA(t *testing.T) {
	dicts, _ := filepath.Glob(filepath.Join(fixtures, "devices", "*.jinja2"))
	if len(dicts) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("LAVA fixtures missing under CI: no %s/devices/*.jinja2", fixtures)
		}
		t.Skipf("LAVA fixtures absent (%s)", fixtures)
	}
	typeOf := map[string]string{} // device → type, for the types built in
	for _, f := range dicts {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m := extendsRe.FindSubmatch(src)
		if m == nil {
			continue
		}
		for _, ty := range uBootTypes {
			if string(m[1]) == ty {
				typeOf[strings.TrimSuffix(filepath.Base(f), ".jinja2")] = ty
			}
		}
	}
	spec := pipeline.SpecFunc(builtinRegistry(t))
	lab, diags := device.LoadLab(filepath.Join("testdata", "lava-devices"), device.LoadOptions{Spec: spec})
	if diags.HasErrors() {
		_ = lab.WriteDiagnostics(os.Stderr, diags)
		t.Fatalf("testdata/lava-devices: %v", diags.Error())
	}
	names := make([]string, 0, len(typeOf))
	for n := range typeOf {
		names = append(names, n)
	}
	sort.Strings(names)
	same := 0
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			got, ok := lab.Devices[name]
			if !ok {
				t.Fatalf("no HCL device %q in testdata/lava-devices (LAVA's dictionary extends %s)", name, typeOf[name])
			}
			if got.Type != typeOf[name] {
				t.Fatalf("device %s has type %s, LAVA's dictionary extends %s", name, got.Type, typeOf[name])
			}
			want, probs := lavayaml.LoadFile(filepath.Join(fixtures, "devices-rendered", name+".yaml"), lavayaml.Options{Spec: spec, Type: typeOf[name]})
			if probs.HasErrors() {
				t.Fatal(probs.Error())
			}
			var diffs []string
			for v, wv := range want.Vars {
				if gv, ok := got.Vars[v]; !ok || !reflect.DeepEqual(gv.Raw, wv.Raw) {
					diffs = append(diffs, "vars."+v+": the device's value differs from LAVA's")
				}
			}
			// The type's own description, variables and job context have no
			// counterpart in a rendered file.
			g := *got
			g.Vars, want.Vars = nil, nil
			g.Description, g.Arch, g.JobContext = want.Description, want.Arch, want.JobContext
			diffs = append(diffs, lavayaml.Diff(want, &g)...)
			if len(diffs) > 0 {
				t.Errorf("%s (type %s) resolves to other values than LAVA's rendering (first: LAVA, second: HCL):\n  %s",
					name, typeOf[name], strings.Join(diffs, "\n  "))
				return
			}
			same++
		})
	}
	t.Logf("%d of LAVA's %d test devices of types %v resolve identically", same, len(names), uBootTypes)
}
