package device

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/lavacore/lavacore/internal/childtest"
)

const labHCL = "lab {\n  dispatcher_ip = \"10.0.0.1\"\n  tftp_root     = \"tftp\"\n  nfs_root      = \"/srv/nfs\"\n}\n"

const deviceHCL = "device \"d1\" {\n  device_type = \"mustang\"\n}\n"

// writeLab writes a lab directory: lab.hcl, devices/d.hcl and, when typ is
// set, devicetypes/t.hcl.
func writeLab(t *testing.T, lab, dev, typ string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"lab.hcl": lab, "devices/d.hcl": dev}
	if typ != "" {
		files["devicetypes/t.hcl"] = typ
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// diagAt reports whether diags hold an error whose subject is file:line and
// whose text holds want.
func diagAt(diags hcl.Diagnostics, file string, line int, want string) bool {
	for _, d := range diags {
		if d.Severity == hcl.DiagError && d.Subject != nil && d.Subject.Filename == file &&
			d.Subject.Start.Line == line && strings.Contains(d.Summary+": "+d.Detail, want) {
			return true
		}
	}
	return false
}

// TestLoadLab_NestedBracketsOverflowTheStack: 100 000 nested brackets in a
// device file, a device type or lab.hcl overflowed the goroutine stack inside
// hclsyntax (a fatal error, not a panic: the whole process died). They are
// refused before parsing, naming the file and line. Each case runs in a
// memory-limited child process.
func TestLoadLab_NestedBracketsOverflowTheStack(t *testing.T) {
	deep := "  x = " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "\n"
	cases := []struct {
		name, lab, dev, typ, file string
		line                      int
	}{
		{"DeviceFile", labHCL, "device \"d1\" {\n  device_type = \"mustang\"\n  vars {\n" + deep + "  }\n}\n", "", "devices/d.hcl", 4},
		{"DeviceType", labHCL, deviceHCL, "device_type \"t\" {\n" + deep + "}\n", "devicetypes/t.hcl", 2},
		{"LabConfig", "lab {\n" + deep + "}\n", deviceHCL, "", "lab.hcl", 2},
		{"Operators", labHCL, "device \"d1\" {\n  device_type = \"mustang\"\n  vars {\n    x = " + strings.Repeat("!", 200_000) + "true\n  }\n}\n", "", "devices/d.hcl", 4},
		{"Templates", labHCL, "device \"d1\" {\n  device_type = \"mustang\"\n  vars {\n    x = " + strings.Repeat("\"${", 50_000) + strings.Repeat("}\"", 50_000) + "\n  }\n}\n", "", "devices/d.hcl", 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !childtest.Run(t) {
				return
			}
			dir := writeLab(t, c.lab, c.dev, c.typ)
			_, diags := LoadLab(dir, LoadOptions{})
			if !diagAt(diags, filepath.Join(dir, c.file), c.line, fmt.Sprintf("nest more than %d levels deep here", MaxHCLDepth)) {
				t.Fatalf("no nesting error at %s:%d; got %v", c.file, c.line, diags)
			}
		})
	}
}

// TestLoadLab_OversizedFile: a device file, device type or lab.hcl larger
// than MaxHCLSize is refused, not read whole.
func TestLoadLab_OversizedFile(t *testing.T) {
	pad := strings.Repeat("# padding padding padding padding\n", MaxHCLSize/34+1)
	for _, c := range []struct{ name, lab, dev, typ, file string }{
		{"DeviceFile", labHCL, deviceHCL + pad, "", "devices/d.hcl"},
		{"DeviceType", labHCL, deviceHCL, "device_type \"t\" {\n}\n" + pad, "devicetypes/t.hcl"},
		{"LabConfig", labHCL + pad, deviceHCL, "", "lab.hcl"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := writeLab(t, c.lab, c.dev, c.typ)
			_, diags := LoadLab(dir, LoadOptions{})
			if !diagAt(diags, filepath.Join(dir, c.file), 1, fmt.Sprintf("is larger than %d bytes", MaxHCLSize)) {
				t.Fatalf("no size error for %s; got %v", c.file, diags)
			}
		})
	}
}

// TestCheckHCL_RealFilesPass: the built-in device types and every test lab
// stay well under the nesting limit.
func TestCheckHCL_RealFilesPass(t *testing.T) {
	files, _ := filepath.Glob("../../devicetypes/*.hcl")
	more, _ := filepath.Glob("testdata/labs/*/*/*.hcl")
	labs, _ := filepath.Glob("testdata/labs/*/lab.hcl")
	files = append(append(files, more...), labs...)
	if len(files) < 10 {
		t.Fatalf("only %d HCL files", len(files))
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if d := checkHCL(src, f); d.HasErrors() {
			t.Errorf("%s: %v", f, d)
		}
		if got, _ := hclNesting(src, f, 1<<30); got > 20 {
			t.Errorf("%s nests %d levels", f, got)
		}
	}
}

// depthWalker finds how deep an hclsyntax tree nests.
type depthWalker struct{ depth, deepest int }

func (w *depthWalker) Enter(hclsyntax.Node) hcl.Diagnostics {
	w.depth++
	w.deepest = max(w.deepest, w.depth)
	return nil
}

func (w *depthWalker) Exit(hclsyntax.Node) hcl.Diagnostics {
	w.depth--
	return nil
}

// FuzzHCLNesting: whatever the bytes, the pre-scan ends (it is a loop over
// the lexer's tokens), and a file it lets through parses into a tree that
// nests no deeper than a small multiple of what it measured — the parser's
// recursion is bounded by the measure. No clock involved.
func FuzzHCLNesting(f *testing.F) {
	files, _ := filepath.Glob("../../devicetypes/*.hcl")
	more, _ := filepath.Glob("testdata/labs/*/*/*.hcl")
	for _, p := range append(files, more...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("x = " + strings.Repeat("[", 120) + strings.Repeat("]", 120)))
	f.Add([]byte("x = a[*][*].b[0].*.c\ny = !!-1 + 2 * (3 - 4) > 5 ? \"${f(1)}\" : <<EOT\n%{ if a }${b}%{ endif }\nEOT\n"))
	f.Add([]byte("x = {a = [1, 2], b = {c = \"%{for x in y}${x}%{endfor}\"}}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		measured, _ := hclNesting(src, "f.hcl", 1<<30)
		if checkHCL(src, "f.hcl").HasErrors() {
			return
		}
		file, _ := hclsyntax.ParseConfig(src, "f.hcl", hcl.InitialPos)
		if file == nil {
			return
		}
		body, ok := file.Body.(*hclsyntax.Body)
		if !ok {
			return
		}
		w := &depthWalker{}
		hclsyntax.Walk(body, w)
		if w.deepest > 4*(measured+2) {
			t.Fatalf("the tree nests %d levels; the pre-scan measured %d", w.deepest, measured)
		}
	})
}
