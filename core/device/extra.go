package device

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// evalParameters evaluates a `parameters {}` block into dev.Parameters, or a
// `section_parameters "deploy" {}` block into dev.SectionParameters["deploy"];
// both are generic (like constants) and deep-merged over earlier files.
func evalParameters(dev *Device, b *hcl.Block, ctx *hcl.EvalContext) hcl.Diagnostics {
	m, diags := decodeGeneric(b.Body, ctx, nil)
	if b.Type == "parameters" {
		deepMerge(dev.Parameters, m)
		return diags
	}
	sec := b.Labels[0]
	if dev.SectionParameters[sec] == nil {
		dev.SectionParameters[sec] = map[string]any{}
	}
	deepMerge(dev.SectionParameters[sec], m)
	return diags
}

// evalExtra evaluates the top-level `extra = { "path" = value }` attribute
// into dev.Extra (a later file replaces a path an earlier one set). Unlike
// method blocks, nulls are kept, in maps too: LAVA writes sets as maps of
// nulls (`connections: {serial: , ssh: }`).
func evalExtra(dev *Device, a *hcl.Attribute, ctx *hcl.EvalContext) hcl.Diagnostics {
	items, diags := evalMapItems(a, ctx)
	for _, it := range items {
		dev.Extra[it.key] = ctyToGoNulls(it.value)
		dev.ExtraRanges[it.key] = it.rng
	}
	return diags
}

// ctyToGoNulls is ctyToGo keeping null map and object entries.
func ctyToGoNulls(v cty.Value) any {
	v, _ = v.Unmark()
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	ty := v.Type()
	switch {
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		out := make([]any, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, ctyToGoNulls(e))
		}
		return out
	case ty.IsMapType() || ty.IsObjectType():
		out := make(map[string]any, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out[k.AsString()] = ctyToGoNulls(e)
		}
		return out
	}
	return ctyToGo(v)
}

// writeExternal prints the parameters and the kept, unused values (shown only
// when a device has them: LAVA's rendered devices and their imports do).
func writeExternal(b *strings.Builder, d *Device) {
	if len(d.Parameters) > 0 {
		b.WriteString("\nparameters:\n")
		writeYAML(b, d.Parameters)
	}
	for _, sec := range keys(d.SectionParameters) {
		fmt.Fprintf(b, "\n%s parameters:\n", sec)
		writeYAML(b, d.SectionParameters[sec])
	}
	if len(d.Extra) == 0 {
		return
	}
	b.WriteString("\nkept, not used by lavacore (yet):\n")
	for _, k := range keys(d.Extra) {
		where := ""
		if r, ok := d.ExtraRanges[k]; ok && r.Filename != "" {
			where = fmt.Sprintf(" (%s:%d:%d)", r.Filename, r.Start.Line, r.Start.Column)
		}
		var vb strings.Builder
		writeYAML(&vb, d.Extra[k])
		v := vb.String()
		if strings.Count(v, "\n") == 1 && !strings.HasPrefix(strings.TrimSpace(v), "-") {
			fmt.Fprintf(b, "  %s%s: %s", k, where, strings.TrimSpace(v)+"\n")
			continue
		}
		fmt.Fprintf(b, "  %s%s:\n", k, where)
		for _, line := range strings.SplitAfter(v, "\n") {
			if line != "" {
				b.WriteString("  " + line)
			}
		}
	}
}
