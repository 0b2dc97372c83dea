package device

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/dynblock"
)

// dynamicTypes are the blocks a device type may generate with HCL's
// `dynamic "TYPE" { for_each = …, labels = [...], content { … } }`: blocks
// whose set of names comes from the device's variables, as LAVA's
// connection_list / connection_commands / connection_tags give a device its
// named console connections.
var dynamicTypes = map[string]hcl.BlockHeaderSchema{
	"connection":   {Type: "connection", LabelNames: []string{"name"}},
	"user_command": {Type: "user_command", LabelNames: []string{"name"}},
}

// expandDynamic returns blocks with each `dynamic` block replaced by the
// blocks it generates (in place, so file order is kept).
func expandDynamic(blocks hcl.Blocks, ctx *hcl.EvalContext) (hcl.Blocks, hcl.Diagnostics) {
	var out hcl.Blocks
	var diags hcl.Diagnostics
	for _, b := range blocks {
		if b.Type != "dynamic" {
			out = append(out, b)
			continue
		}
		hs, ok := dynamicTypes[b.Labels[0]]
		if !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unsupported dynamic block",
				Detail:   fmt.Sprintf("A dynamic block generates %s blocks only, not %q.", strings.Join(keys(dynamicTypes), " or "), b.Labels[0]),
				Subject:  b.LabelRanges[0].Ptr(),
			})
			continue
		}
		content, d := dynblock.Expand(oneBlock{b}, ctx).Content(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{hs}})
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		out = append(out, content.Blocks...)
	}
	return out, diags
}

// oneBlock is a body holding a single block, so that dynblock expands one
// `dynamic` block of a type file at a time.
type oneBlock struct{ b *hcl.Block }

func (o oneBlock) Content(*hcl.BodySchema) (*hcl.BodyContent, hcl.Diagnostics) {
	return &hcl.BodyContent{Attributes: hcl.Attributes{}, Blocks: hcl.Blocks{o.b}, MissingItemRange: o.b.DefRange}, nil
}

func (o oneBlock) PartialContent(s *hcl.BodySchema) (*hcl.BodyContent, hcl.Body, hcl.Diagnostics) {
	c, d := o.Content(s)
	return c, hcl.EmptyBody(), d
}

func (o oneBlock) JustAttributes() (hcl.Attributes, hcl.Diagnostics) { return hcl.Attributes{}, nil }

func (o oneBlock) MissingItemRange() hcl.Range { return o.b.DefRange }
