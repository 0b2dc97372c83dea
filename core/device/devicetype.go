package device

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// DeviceType is a device type loaded from HCL, merged over the base file.
type DeviceType struct {
	Name        string
	Description string
	Arch        string
	File        string // the type's own file (built-ins: "<builtin>/mustang.hcl")
	Builtin     bool
	// JobContext lists the variables a job's `context:` may override (the
	// base file's job_context, then the type's).
	JobContext []string
	// Variables holds the base's and the type's variables (the type's win).
	Variables map[string]*Variable
	// Standalone types (`standalone = true` in the header) do not start from
	// _base.hcl: an imported LAVA device's rendered file already holds every
	// value base.jinja2 gave it.
	Standalone bool
	// Base names the shared base the type extends (`base = "base-uboot"` in
	// the header: the file _base-uboot.hcl), merged after _base.hcl and
	// before the type's own file; "" for none.
	Base string

	parts []*typePart // _base.hcl (unless standalone), the named base, then the type
}

// Variable is a declared device type variable.
type Variable struct {
	Name        string
	Description string
	// Type is the declared type, or the default's primitive type, or
	// cty.DynamicPseudoType ("any") when neither says.
	Type cty.Type
	// Default is the default value (cty.NilVal when Required).
	Default  cty.Value
	Required bool
	File     string
	// Range is the `variable "x"` header; DefaultRange the default's expression.
	Range        hcl.Range
	DefaultRange hcl.Range
}

// VariableNames returns the declared variable names, sorted.
func (t *DeviceType) VariableNames() []string { return keys(t.Variables) }

// Overridable reports whether a job's context may set variable name.
func (t *DeviceType) Overridable(name string) bool {
	for _, n := range t.JobContext {
		if n == name {
			return true
		}
	}
	return false
}

// typePart is one file of a device type (the base or the type's own file).
type typePart struct {
	file       *hcl.File
	name       string
	header     *typeHeader
	vars       []*variableBlock
	locals     hcl.Attributes
	jobContext []string // header's, or the base's top-level attribute
	content    *hcl.BodyContent
}

type partFile struct {
	Headers   []*typeHeader    `hcl:"device_type,block"`
	Variables []*variableBlock `hcl:"variable,block"`
	Locals    []*localsBlock   `hcl:"locals,block"`
	Remain    hcl.Body         `hcl:",remain"`
}

type typeHeader struct {
	Name        string         `hcl:"name,label"`
	Description string         `hcl:"description,optional"`
	Arch        string         `hcl:"arch,optional"`
	JobContext  *hcl.Attribute `hcl:"job_context,optional"`
	Standalone  bool           `hcl:"standalone,optional"`
	Base        *hcl.Attribute `hcl:"base,optional"`
	DefRange    hcl.Range      `hcl:",def_range"`
}

type variableBlock struct {
	Name        string         `hcl:"name,label"`
	Type        *hcl.Attribute `hcl:"type,optional"`
	Default     *hcl.Attribute `hcl:"default,optional"`
	Description string         `hcl:"description,optional"`
	DefRange    hcl.Range      `hcl:",def_range"`
}

type localsBlock struct {
	Body hcl.Body `hcl:",remain"`
}

// Sections whose labelled blocks are method blocks.
var methodSections = []string{"deploy", "boot", "test", "command"}

var typeBodySchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "environment"},
		{Name: "extra"},
		{Name: "job_context"}, // _base.hcl only
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "connection", LabelNames: []string{"name"}},
		{Type: "power"},
		{Type: "user_command", LabelNames: []string{"name"}},
		{Type: "character_delays"},
		{Type: "constants"},
		{Type: "parameters"},
		{Type: "section_parameters", LabelNames: []string{"section"}},
		{Type: "timeouts"},
		{Type: "deploy", LabelNames: []string{"method"}},
		{Type: "boot", LabelNames: []string{"method"}},
		{Type: "test", LabelNames: []string{"method"}},
		{Type: "command", LabelNames: []string{"method"}},
		{Type: "dynamic", LabelNames: []string{"type"}}, // see dynamic.go
	},
}

// decodePart decodes the skeleton of one device type (or base) file.
func decodePart(f *hcl.File, name string) (*typePart, hcl.Diagnostics) {
	var pf partFile
	diags := gohcl.DecodeBody(f.Body, nil, &pf)
	p := &typePart{file: f, name: name, vars: pf.Variables, locals: hcl.Attributes{}}
	for i, h := range pf.Headers {
		if i > 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate device_type block",
				Detail:   fmt.Sprintf("A device type file declares one device type; %q is already declared at line %d.", pf.Headers[0].Name, pf.Headers[0].DefRange.Start.Line),
				Subject:  h.DefRange.Ptr(),
			})
			continue
		}
		p.header = h
		if h.JobContext != nil {
			jc, d := decodeNames(h.JobContext)
			diags = append(diags, d...)
			p.jobContext = jc
		}
	}
	for _, lb := range pf.Locals {
		attrs, d := lb.Body.JustAttributes()
		diags = append(diags, d...)
		for n, a := range attrs {
			if prev, dup := p.locals[n]; dup {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate local value",
					Detail:   fmt.Sprintf("Local %q is already defined at line %d.", n, prev.Range.Start.Line),
					Subject:  a.NameRange.Ptr(),
				})
				continue
			}
			p.locals[n] = a
		}
	}
	if pf.Remain != nil {
		content, d := pf.Remain.Content(typeBodySchema)
		diags = append(diags, d...)
		p.content = content
		if a, ok := content.Attributes["job_context"]; ok {
			if p.header != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Misplaced job_context",
					Detail:   "job_context belongs in the device_type block.",
					Subject:  a.NameRange.Ptr(),
				})
			} else {
				jc, d := decodeNames(a)
				diags = append(diags, d...)
				p.jobContext = jc
			}
		}
	} else {
		p.content = &hcl.BodyContent{Attributes: hcl.Attributes{}}
	}
	return p, diags
}

func decodeNames(a *hcl.Attribute) ([]string, hcl.Diagnostics) {
	var out []string
	diags := gohcl.DecodeExpression(a.Expr, nil, &out)
	return out, diags
}

// newDeviceType merges base (_base.hcl, may be nil), the named base the type
// extends (may be nil) and the type's own part.
func newDeviceType(base, named, p *typePart, builtin bool) (*DeviceType, hcl.Diagnostics) {
	t := &DeviceType{
		Name:        p.header.Name,
		Description: p.header.Description,
		Arch:        p.header.Arch,
		File:        p.name,
		Builtin:     builtin,
		Variables:   map[string]*Variable{},
		Standalone:  p.header.Standalone,
	}
	var diags hcl.Diagnostics
	var parts []*typePart
	if base != nil && !t.Standalone {
		parts = append(parts, base)
	}
	if named != nil {
		parts = append(parts, named)
	}
	parts = append(parts, p)
	t.parts = parts
	seenCtx := map[string]bool{}
	for _, part := range parts {
		seen := map[string]hcl.Range{}
		for _, vb := range part.vars {
			if prev, dup := seen[vb.Name]; dup {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate variable",
					Detail:   fmt.Sprintf("Variable %q is already declared at line %d.", vb.Name, prev.Start.Line),
					Subject:  vb.DefRange.Ptr(),
				})
				continue
			}
			seen[vb.Name] = vb.DefRange
			v, d := decodeVariable(vb, part.name)
			diags = append(diags, d...)
			if v != nil {
				t.Variables[v.Name] = v
			}
		}
		for _, n := range part.jobContext {
			if !seenCtx[n] {
				seenCtx[n] = true
				t.JobContext = append(t.JobContext, n)
			}
		}
	}
	// Every job_context name must be a variable.
	for _, part := range parts {
		var a *hcl.Attribute
		if part.header != nil {
			a = part.header.JobContext
		} else if part.content != nil {
			a = part.content.Attributes["job_context"]
		}
		for _, n := range part.jobContext {
			if _, ok := t.Variables[n]; !ok {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Unknown variable in job_context",
					Detail:   fmt.Sprintf("Device type %q lists %q in job_context but declares no such variable.%s", t.Name, n, suggest(n, keys(t.Variables))),
					Subject:  rangeOf(a),
				})
			}
		}
	}
	sort.Strings(t.JobContext)
	return t, diags
}

func rangeOf(a *hcl.Attribute) *hcl.Range {
	if a == nil {
		return nil
	}
	return a.Expr.Range().Ptr()
}

func decodeVariable(vb *variableBlock, file string) (*Variable, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	v := &Variable{
		Name:        vb.Name,
		Description: vb.Description,
		File:        file,
		Range:       vb.DefRange,
		Type:        cty.DynamicPseudoType,
	}
	if !hclIdent(vb.Name) {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid variable name",
			Detail:   fmt.Sprintf("%q is not a valid name: use letters, digits, _ and -, starting with a letter.", vb.Name),
			Subject:  vb.DefRange.Ptr(),
		}}
	}
	typed := false
	if vb.Type != nil {
		ty, d := typeexpr.TypeConstraint(vb.Type.Expr)
		diags = append(diags, d...)
		if d.HasErrors() {
			return nil, diags
		}
		v.Type, typed = ty, true
	}
	if vb.Default == nil {
		v.Required = true
		return v, diags
	}
	v.DefaultRange = vb.Default.Expr.Range()
	val, d := vb.Default.Expr.Value(funcContext())
	diags = append(diags, d...)
	if d.HasErrors() {
		return nil, diags
	}
	if typed {
		cv, err := convert.Convert(val, v.Type)
		if err != nil {
			return nil, append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid default value for variable",
				Detail:   fmt.Sprintf("The default of variable %q needs a %s: %s.", v.Name, v.Type.FriendlyName(), err),
				Subject:  vb.Default.Expr.Range().Ptr(),
			})
		}
		val = cv
	} else if !val.IsNull() && val.Type().IsPrimitiveType() {
		v.Type = val.Type()
	}
	v.Default = val
	return v, diags
}

func hclIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_':
		case i > 0 && (r >= '0' && r <= '9' || r == '-'):
		default:
			return false
		}
	}
	return true
}
