package device

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/lavacore/lavacore/sdk"
)

// enabledAttr is the reserved attribute that switches a method block off.
const enabledAttr = "enabled"

var enabledSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: enabledAttr}}}

// decodeMethod decodes one method block, with its plugin's spec when there is one.
func decodeMethod(key string, b *hcl.Block, ctx *hcl.EvalContext, opts LoadOptions) (map[string]any, bool, hcl.Diagnostics) {
	content, remain, diags := b.Body.PartialContent(enabledSchema)
	if a, ok := content.Attributes[enabledAttr]; ok {
		v, d := a.Expr.Value(ctx)
		diags = append(diags, d...)
		if d.HasErrors() {
			return nil, false, diags
		}
		cv, err := convert.Convert(v, cty.Bool)
		if err != nil || cv.IsNull() {
			return nil, false, append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid enabled value",
				Detail:   fmt.Sprintf("%s: enabled needs a bool.", key),
				Subject:  a.Expr.Range().Ptr(),
			})
		}
		if !cv.True() {
			return nil, false, diags
		}
	}
	var bs *sdk.BlockSpec
	if opts.Spec != nil {
		bs = opts.Spec(key)
	}
	if bs == nil {
		m, d := decodeGeneric(b.Body, ctx, map[string]bool{enabledAttr: true})
		return m, true, append(diags, d...)
	}
	spec, err := hcldecSpec(bs)
	if err != nil {
		return nil, false, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid method spec",
			Detail:   fmt.Sprintf("The spec supplied for %s is invalid: %s.", key, err),
			Subject:  b.DefRange.Ptr(),
		})
	}
	v, d := hcldec.Decode(remain, spec, ctx)
	diags = append(diags, d...)
	if d.HasErrors() {
		return nil, false, diags
	}
	m, _ := ctyToGo(v).(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	collapseSpec(m, bs)
	return m, true, diags
}

// hcldecSpec turns a plugin's BlockSpec into an hcldec spec.
func hcldecSpec(bs *sdk.BlockSpec) (hcldec.ObjectSpec, error) {
	obj := hcldec.ObjectSpec{}
	for _, a := range bs.Attrs {
		if a.Name == "" {
			return nil, fmt.Errorf("an attribute has no name")
		}
		ty, err := parseType(a.Type)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", a.Name, err)
		}
		var s hcldec.Spec = &hcldec.AttrSpec{Name: a.Name, Type: ty, Required: a.Required}
		if a.Default != nil && !a.Required {
			dv, err := goToCty(a.Default)
			if err == nil {
				dv, err = convert.Convert(dv, ty)
			}
			if err != nil {
				return nil, fmt.Errorf("attribute %q: default: %w", a.Name, err)
			}
			s = &hcldec.DefaultSpec{Primary: s, Default: &hcldec.LiteralSpec{Value: dv}}
		}
		obj[a.Name] = s
	}
	for _, nb := range bs.Blocks {
		if nb.TypeName == "" {
			return nil, fmt.Errorf("a nested block has no type name")
		}
		if _, dup := obj[nb.TypeName]; dup {
			return nil, fmt.Errorf("%q is both an attribute and a block", nb.TypeName)
		}
		nested, err := hcldecSpec(&nb.Body)
		if err != nil {
			return nil, fmt.Errorf("block %q: %w", nb.TypeName, err)
		}
		if len(nb.Labels) == 0 {
			obj[nb.TypeName] = &hcldec.BlockSpec{TypeName: nb.TypeName, Nested: nested}
		} else {
			obj[nb.TypeName] = &hcldec.BlockMapSpec{TypeName: nb.TypeName, LabelNames: nb.Labels, Nested: nested}
		}
	}
	return obj, nil
}

// parseType reads an sdk.AttrSpec type: "string", "number", "bool",
// "list(string)", "map(string)", "any"… ("" is "any").
func parseType(s string) (cty.Type, error) {
	if s == "" {
		return cty.DynamicPseudoType, nil
	}
	expr, diags := hclsyntax.ParseExpression([]byte(s), "type", hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilType, fmt.Errorf("type %q: %s", s, diags[0].Summary)
	}
	ty, diags := typeexpr.TypeConstraint(expr)
	if diags.HasErrors() {
		return cty.NilType, fmt.Errorf("type %q: %s", s, diags[0].Detail)
	}
	return ty, nil
}

// collapseSpec applies the `lines` rule to the nested blocks a spec declares.
func collapseSpec(m map[string]any, bs *sdk.BlockSpec) {
	for _, nb := range bs.Blocks {
		v, ok := m[nb.TypeName]
		if !ok {
			continue
		}
		m[nb.TypeName] = collapseLevels(v, len(nb.Labels), &nb.Body)
	}
}

func collapseLevels(v any, depth int, body *sdk.BlockSpec) any {
	if depth == 0 {
		inner, ok := v.(map[string]any)
		if !ok {
			return v
		}
		collapseSpec(inner, body)
		return collapse(inner)
	}
	mm, ok := v.(map[string]any)
	if !ok {
		return v
	}
	for k, e := range mm {
		mm[k] = collapseLevels(e, depth-1, body)
	}
	return mm
}

// collapse returns the `lines` list of a block whose only attribute is lines.
func collapse(m map[string]any) any {
	if len(m) == 1 {
		if l, ok := m["lines"].([]any); ok {
			return l
		}
	}
	return m
}

// decodeGeneric decodes a body without a schema (see Device.Methods for the shape).
func decodeGeneric(body hcl.Body, ctx *hcl.EvalContext, skip map[string]bool) (map[string]any, hcl.Diagnostics) {
	out := map[string]any{}
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		attrs, diags := body.JustAttributes()
		for n, a := range attrs {
			if skip[n] {
				continue
			}
			v, d := a.Expr.Value(ctx)
			diags = append(diags, d...)
			if !v.IsNull() {
				out[n] = ctyToGo(v)
			}
		}
		return out, diags
	}
	var diags hcl.Diagnostics
	for n, a := range sb.Attributes {
		if skip[n] {
			continue
		}
		v, d := a.Expr.Value(ctx)
		diags = append(diags, d...)
		if d.HasErrors() || v.IsNull() {
			continue
		}
		out[n] = ctyToGo(v)
	}
	counts := map[string]int{}
	for _, b := range sb.Blocks {
		if len(b.Labels) == 0 {
			counts[b.Type]++
		}
	}
	blocks := append([]*hclsyntax.Block(nil), sb.Blocks...)
	sort.SliceStable(blocks, func(i, j int) bool { return blocks[i].Range().Start.Byte < blocks[j].Range().Start.Byte })
	for _, b := range blocks {
		if a, clash := sb.Attributes[b.Type]; clash {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Attribute and block of the same name",
				Detail:   fmt.Sprintf("%q is already an attribute (line %d); use one or the other.", b.Type, a.SrcRange.Start.Line),
				Subject:  b.DefRange().Ptr(),
			})
			continue
		}
		inner, d := decodeGeneric(b.Body, ctx, nil)
		diags = append(diags, d...)
		val := collapse(inner)
		if len(b.Labels) == 0 {
			if counts[b.Type] > 1 {
				l, _ := out[b.Type].([]any)
				out[b.Type] = append(l, val)
			} else {
				out[b.Type] = val
			}
			continue
		}
		cur, _ := out[b.Type].(map[string]any)
		if cur == nil {
			if _, exists := out[b.Type]; exists {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Mixed blocks", Detail: fmt.Sprintf("Blocks %q are used both with and without labels.", b.Type), Subject: b.DefRange().Ptr()})
				continue
			}
			cur = map[string]any{}
			out[b.Type] = cur
		}
		for i, lbl := range b.Labels {
			if i == len(b.Labels)-1 {
				if _, dup := cur[lbl]; dup {
					diags = append(diags, &hcl.Diagnostic{
						Severity: hcl.DiagError,
						Summary:  "Duplicate block",
						Detail:   fmt.Sprintf("A %s block labelled %q is already defined here.", b.Type, lbl),
						Subject:  b.DefRange().Ptr(),
					})
					break
				}
				cur[lbl] = val
				break
			}
			next, _ := cur[lbl].(map[string]any)
			if next == nil {
				next = map[string]any{}
				cur[lbl] = next
			}
			cur = next
		}
	}
	return out, diags
}
