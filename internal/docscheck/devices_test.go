package docscheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/lavacore/lavacore/devicetypes"
	"github.com/lavacore/lavacore/plugins/command"
	"github.com/lavacore/lavacore/plugins/grub"
	"github.com/lavacore/lavacore/plugins/monitor"
	"github.com/lavacore/lavacore/plugins/qemu"
	"github.com/lavacore/lavacore/plugins/ssh"
	"github.com/lavacore/lavacore/plugins/testshell"
	"github.com/lavacore/lavacore/plugins/tftp"
	"github.com/lavacore/lavacore/plugins/uboot"
	"github.com/lavacore/lavacore/sdk"
)

const (
	devicesDoc = "../../docs/devices.md"
	deviceDir  = "../../core/device"
	// lavaTemplates is LAVA's device-type templates (../shared/lava-fixtures
	// from the repository root); the mapping test skips without them.
	lavaTemplates = "../../../shared/lava-fixtures/device-types"
)

// schemaHeadings says under which heading of docs/devices.md the names of
// each HCL schema of core/device are documented: the key is the variable,
// struct type or function that holds the schema (hcl.BodySchema literals,
// gohcl struct tags), the value the heading's text without backticks. A new
// schema fails TestDevicesDoc_EveryLoaderNameDocumented until it is listed.
var schemaHeadings = map[string]string{
	"partFile":          "Top-level blocks and attributes",
	"typeBodySchema":    "Top-level blocks and attributes",
	"typeHeader":        "The device_type header",
	"variableBlock":     "Variables",
	"connectionSchema":  "connection",
	"serialSchema":      "connection",
	"powerSchema":       "power",
	"userCommandSchema": "user_command",
	"dynamicTypes":      "dynamic",
	"delaySchema":       "character_delays",
	"timeoutsSchema":    "timeouts",
	"enabledSchema":     "Method blocks",
	"labFile":           "lab.hcl",
	"labBlock":          "lab.hcl",
	"deviceFile":        "Device files",
	"deviceBlock":       "Device files",
	"functions":         "Expressions",
}

// dynblockNames are the attributes and blocks of a `dynamic` block, which
// HCL's dynblock extension (not a schema of core/device) decodes.
var dynblockNames = []string{"for_each", "iterator", "labels", "content"}

// TestDevicesDoc_EveryLoaderNameDocumented: every attribute and block name
// that core/device's HCL schemas accept (and every function of its
// expressions) is written as `name` under its heading of docs/devices.md.
func TestDevicesDoc_EveryLoaderNameDocumented(t *testing.T) {
	doc := loadDoc(t)
	names := loaderNames(t)
	if len(names["typeBodySchema"]) == 0 || len(names["labBlock"]) == 0 || len(names["functions"]) == 0 {
		t.Fatalf("found no schema in %s (%v): the walk is broken", deviceDir, names)
	}
	names["dynamic-blocks"] = dynblockNames
	for _, owner := range sortedKeys(names) {
		heading, ok := schemaHeadings[owner]
		if owner == "dynamic-blocks" {
			heading, ok = "dynamic", true
		}
		if !ok {
			t.Errorf("%s: %s declares HCL names %v: document them in docs/devices.md and add %q to schemaHeadings", deviceDir, owner, names[owner], owner)
			continue
		}
		doc.requireAll(t, heading, owner, names[owner])
	}
}

// TestDevicesDoc_EveryMethodBlockDocumented: every built-in method has a
// heading naming it as `section "name"` in docs/devices.md (one heading may
// name several methods), and every attribute and
// nested block its DeviceSpec declares is written as `name` under it.
func TestDevicesDoc_EveryMethodBlockDocumented(t *testing.T) {
	doc := loadDoc(t)
	var methods []sdk.Method
	for _, ms := range [][]sdk.Method{tftp.Methods(), ssh.Methods(), grub.Methods(), testshell.Methods(),
		command.Methods(), monitor.Methods(), uboot.Methods(), qemu.Methods()} {
		methods = append(methods, ms...)
	}
	for _, m := range methods {
		info := m.Info()
		heading := string(info.Section) + ` "` + info.Name + `"`
		var names []string
		specNames(info.DeviceSpec, &names)
		doc.requireAll(t, heading, info.Key(), names)
	}
}

// TestDevicesDoc_BaseVariablesDocumented: every variable of the built-in
// shared bases is documented under "Variables of _NAME.hcl".
func TestDevicesDoc_BaseVariablesDocumented(t *testing.T) {
	doc := loadDoc(t)
	bases, _ := fs.Glob(devicetypes.FS, "_*.hcl")
	if len(bases) < 2 {
		t.Fatalf("devicetypes holds %v: want _base.hcl and _base-uboot.hcl at least", bases)
	}
	for _, b := range bases {
		src, err := fs.ReadFile(devicetypes.FS, b)
		if err != nil {
			t.Fatal(err)
		}
		f, diags := hclparse.NewParser().ParseHCL(src, b)
		if diags.HasErrors() {
			t.Fatalf("%s: %v", b, diags)
		}
		content, _, _ := f.Body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "variable", LabelNames: []string{"name"}}}})
		var names []string
		for _, blk := range content.Blocks {
			names = append(names, blk.Labels[0])
		}
		if len(names) == 0 {
			t.Errorf("%s declares no variable: the walk is broken", b)
		}
		doc.requireAll(t, "Variables of "+b, b, names)
	}
}

// TestDevicesDoc_LAVADictionaryVariablesMapped: every device dictionary
// variable LAVA's base.jinja2 and base-uboot.jinja2 read is named in the
// section that says where it goes in lavacore's HCL.
func TestDevicesDoc_LAVADictionaryVariablesMapped(t *testing.T) {
	if _, err := os.Stat(lavaTemplates); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("LAVA's device-type templates are missing under CI (../shared beside the clone): %v", err)
		}
		t.Skipf("LAVA's device-type templates are not here (%v)", err)
	}
	doc := loadDoc(t)
	for _, name := range []string{"base.jinja2", "base-uboot.jinja2"} {
		src, err := os.ReadFile(filepath.Join(lavaTemplates, name))
		if err != nil {
			t.Fatal(err)
		}
		vars := jinjaDictionaryVariables(string(src))
		if len(vars) < 50 {
			t.Fatalf("%s: found only %d dictionary variables (%v): the scan is broken", name, len(vars), vars)
		}
		doc.requireAll(t, "Where LAVA's device dictionary goes", name, vars)
	}
}

// ---- docs/devices.md ----

type heading struct {
	level int
	title string // without backticks
	start int    // line index of the heading
	end   int    // line index where its section (with subsections) ends
}

type doc struct {
	lines    []string
	headings []heading
}

func loadDoc(t *testing.T) *doc {
	t.Helper()
	data, err := os.ReadFile(devicesDoc)
	if err != nil {
		t.Fatalf("docs/devices.md: %v", err)
	}
	d := &doc{lines: strings.Split(string(data), "\n")}
	fenced := false
	for i, l := range d.lines {
		if strings.HasPrefix(l, "```") {
			fenced = !fenced
			continue
		}
		if fenced || !strings.HasPrefix(l, "#") {
			continue
		}
		level := len(l) - len(strings.TrimLeft(l, "#"))
		title := strings.TrimSpace(strings.ReplaceAll(l[level:], "`", ""))
		d.headings = append(d.headings, heading{level: level, title: title, start: i, end: len(d.lines)})
	}
	for i := range d.headings {
		for _, n := range d.headings[i+1:] {
			if n.level <= d.headings[i].level {
				d.headings[i].end = n.start
				break
			}
		}
	}
	return d
}

// section returns the text under the one heading titled title (with its
// subsections); a method's marker (`boot "grub"`, with its quotes) may be
// one of several a heading names.
func (d *doc) section(t *testing.T, title string) (string, bool) {
	t.Helper()
	var found []heading
	for _, h := range d.headings {
		if h.title == title || strings.HasSuffix(title, `"`) && strings.Contains(h.title, title) {
			found = append(found, h)
		}
	}
	switch len(found) {
	case 0:
		return "", false
	case 1:
		return strings.Join(d.lines[found[0].start:found[0].end], "\n"), true
	}
	t.Errorf("docs/devices.md: %d headings are titled %q; make them unique", len(found), title)
	return "", false
}

// requireAll checks that every name is written as code (`name`, `name =`,
// `name {` …) in the section titled title.
func (d *doc) requireAll(t *testing.T, title, what string, names []string) {
	t.Helper()
	body, ok := d.section(t, title)
	if !ok {
		t.Errorf("docs/devices.md has no heading %q (for %s: %v)", title, what, names)
		return
	}
	var missing []string
	for _, n := range names {
		if !regexp.MustCompile("`" + regexp.QuoteMeta(n) + "[`\\s=({\\[\"]").MatchString(body) {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		t.Errorf("docs/devices.md, section %q: %s accepts %d undocumented name(s): %s (write each as `name`)", title, what, len(missing), strings.Join(missing, ", "))
	}
}

// ---- core/device's schemas ----

// loaderNames walks core/device's Go files (not its tests) and returns, by
// the declaration that holds them, the names of every hcl.AttributeSchema
// and hcl.BlockHeaderSchema literal, every `hcl:"name"` struct field (labels,
// remain and ranges left out) and the keys of the expression functions.
func loaderNames(t *testing.T) map[string][]string {
	t.Helper()
	fset := token.NewFileSet()
	files, _ := filepath.Glob(filepath.Join(deviceDir, "*.go"))
	out := map[string][]string{}
	add := func(owner, name string) {
		if name != "" && !contains(out[owner], name) {
			out[owner] = append(out[owner], name)
		}
	}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				walkLiterals(d.Body, func(n string) { add(d.Name.Name, n) })
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.ValueSpec:
						owner := s.Names[0].Name
						for _, v := range s.Values {
							if owner == "functions" {
								functionKeys(v, func(n string) { add(owner, n) })
								continue
							}
							walkLiterals(v, func(n string) { add(owner, n) })
						}
					case *ast.TypeSpec:
						st, ok := s.Type.(*ast.StructType)
						if !ok {
							continue
						}
						for _, fld := range st.Fields.List {
							if n, ok := hclTag(fld); ok {
								add(s.Name.Name, n)
							}
						}
					}
				}
			}
		}
	}
	return out
}

// hclTag returns the attribute or block name of a gohcl struct field.
func hclTag(f *ast.Field) (string, bool) {
	if f.Tag == nil {
		return "", false
	}
	tag, err := strconv.Unquote(f.Tag.Value)
	if err != nil {
		return "", false
	}
	v, ok := reflect.StructTag(tag).Lookup("hcl")
	if !ok {
		return "", false
	}
	name, kind, _ := strings.Cut(v, ",")
	switch kind {
	case "", "optional", "attr", "block":
		return name, name != ""
	}
	return "", false // label, remain, def_range, type_range …
}

// walkLiterals calls found with the Name of every hcl.AttributeSchema and the
// Type of every hcl.BlockHeaderSchema literal under n, element types elided
// or not.
func walkLiterals(n ast.Node, found func(string)) {
	if n == nil {
		return
	}
	ast.Inspect(n, func(x ast.Node) bool {
		if cl, ok := x.(*ast.CompositeLit); ok {
			visitLiteral(cl, nil, found)
			return false
		}
		return true
	})
}

func visitLiteral(e ast.Expr, typ ast.Expr, found func(string)) {
	if u, ok := e.(*ast.UnaryExpr); ok {
		e = u.X
	}
	cl, ok := e.(*ast.CompositeLit)
	if !ok {
		walkLiterals(e, found)
		return
	}
	if cl.Type != nil {
		typ = cl.Type
	}
	switch tt := typ.(type) {
	case *ast.ArrayType:
		for _, el := range cl.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				el = kv.Value
			}
			visitLiteral(el, tt.Elt, found)
		}
		return
	case *ast.MapType:
		for _, el := range cl.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				visitLiteral(kv.Value, tt.Value, found)
			}
		}
		return
	}
	key := ""
	switch typeName(typ) {
	case "hcl.AttributeSchema":
		key = "Name"
	case "hcl.BlockHeaderSchema":
		key = "Type"
	}
	for _, el := range cl.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			walkLiterals(el, found)
			continue
		}
		if id, ok := kv.Key.(*ast.Ident); ok && key != "" && id.Name == key {
			if lit, ok := kv.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, _ := strconv.Unquote(lit.Value)
				found(s)
			}
			continue
		}
		visitLiteral(kv.Value, nil, found)
	}
}

func typeName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.SelectorExpr:
		if id, ok := x.X.(*ast.Ident); ok {
			return id.Name + "." + x.Sel.Name
		}
	case *ast.StarExpr:
		return typeName(x.X)
	}
	return ""
}

// functionKeys calls found with the string keys of a map literal.
func functionKeys(e ast.Expr, found func(string)) {
	cl, ok := e.(*ast.CompositeLit)
	if !ok {
		return
	}
	for _, el := range cl.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			if lit, ok := kv.Key.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, _ := strconv.Unquote(lit.Value)
				found(s)
			}
		}
	}
}

// ---- method specs ----

// specNames appends the attribute and nested block names of a BlockSpec,
// nested blocks' own names included.
func specNames(bs *sdk.BlockSpec, out *[]string) {
	if bs == nil {
		return
	}
	for _, a := range bs.Attrs {
		if !contains(*out, a.Name) {
			*out = append(*out, a.Name)
		}
	}
	for _, b := range bs.Blocks {
		if !contains(*out, b.TypeName) {
			*out = append(*out, b.TypeName)
		}
		specNames(&b.Body, out)
	}
}

// ---- LAVA's templates ----

var (
	jinjaComment = regexp.MustCompile(`(?s)\{#.*?#\}`)
	jinjaTag     = regexp.MustCompile(`(?s)(\{\{|\{%)(.*?)(\}\}|%\})`)
	jinjaString  = regexp.MustCompile(`'[^']*'|"[^"]*"`)
	jinjaIdent   = regexp.MustCompile(`\b[a-z_][a-z0-9_]*\b`)
	jinjaSet     = regexp.MustCompile(`^\s*-?\s*set\s+([a-z_][a-z0-9_]*)`)
	jinjaFor     = regexp.MustCompile(`^\s*-?\s*for\s+([a-z_][a-z0-9_]*)(?:\s*,\s*([a-z_][a-z0-9_]*))?\s+in\b`)
	jinjaBlock   = regexp.MustCompile(`^\s*-?\s*block\s+([a-z_][a-z0-9_]*)`)
	jinjaAttr    = regexp.MustCompile(`\.\s*[a-z_]+`)
)

// jinjaWords are Jinja2's keywords, tests, filters and the methods the
// templates call: no dictionary variable.
var jinjaWords = map[string]bool{
	"set": true, "if": true, "else": true, "elif": true, "endif": true, "for": true, "endfor": true, "in": true,
	"default": true, "block": true, "endblock": true, "extends": true, "is": true, "not": true, "and": true,
	"or": true, "true": true, "false": true, "none": true, "string": true, "iterable": true, "join": true,
	"indent": true, "first": true, "width": true, "items": true, "get": true, "super": true, "defined": true,
}

// jinjaDictionaryVariables returns the names a template reads from the
// device dictionary: every name it reads before it sets it (`{% set x =
// x|default(…) %}` reads x first), leaving out loop variables, block names
// and Jinja2's words.
func jinjaDictionaryVariables(src string) []string {
	src = jinjaComment.ReplaceAllString(src, "")
	assigned, local, dict := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, m := range jinjaTag.FindAllStringSubmatch(src, -1) {
		body := jinjaString.ReplaceAllString(m[2], "")
		lhs := ""
		if s := jinjaSet.FindStringSubmatch(body); s != nil {
			lhs = s[1]
			_, body, _ = strings.Cut(body, "=")
		}
		if f := jinjaFor.FindStringSubmatch(body); f != nil {
			local[f[1]], local[f[2]] = true, true
		}
		if b := jinjaBlock.FindStringSubmatch(body); b != nil {
			local[b[1]] = true
		}
		// attribute access (x.get, command['do']) names no variable
		body = jinjaAttr.ReplaceAllString(body, "")
		for _, w := range jinjaIdent.FindAllString(body, -1) {
			if !jinjaWords[w] && !local[w] && !assigned[w] {
				dict[w] = true
			}
		}
		if lhs != "" {
			assigned[lhs] = true
		}
	}
	return sortedKeys(dict)
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
