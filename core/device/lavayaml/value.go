package lavayaml

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"gopkg.in/yaml.v3"
)

// maxNodes bounds the YAML nodes one load visits, aliases expanded: a
// rendered device has a few thousand; an alias bomb (a billion laughs) stops
// here instead of eating the memory.
const maxNodes = 100_000

// maxDepth bounds the nesting of values (aliases can nest deeper than the text).
const maxDepth = 200

// yaml11Bools are the plain scalars PyYAML (LAVA's loader, YAML 1.1) reads as
// booleans and yaml.v3 (YAML 1.2) as strings.
var yaml11Bools = map[string]bool{
	"yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"no": false, "No": false, "NO": false, "off": false, "Off": false, "OFF": false,
}

// conv converts YAML nodes to JSON-compatible Go values (string, float64,
// bool, nil, []any, map[string]any) and collects problems.
type conv struct {
	file   string
	nodes  int
	probs  Problems
	bombed bool
	// scalars caches resolved scalars: an alias visits its nodes again.
	scalars map[*yaml.Node]any
}

func (c *conv) errorf(n *yaml.Node, path, format string, args ...any) {
	c.probs = append(c.probs, c.problem(n, path, fmt.Sprintf(format, args...), false))
}

func (c *conv) warnf(n *yaml.Node, path, format string, args ...any) {
	c.probs = append(c.probs, c.problem(n, path, fmt.Sprintf(format, args...), true))
}

func (c *conv) problem(n *yaml.Node, path, msg string, warning bool) Problem {
	p := Problem{File: c.file, Path: path, Msg: msg, Warning: warning}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	return p
}

// visit counts a node against the budget; false once it is spent.
func (c *conv) visit(n *yaml.Node, path string) bool {
	c.nodes++
	if c.nodes > maxNodes {
		if !c.bombed {
			c.bombed = true
			c.errorf(n, path, "the document expands to more than %d values (excessive aliasing)", maxNodes)
		}
		return false
	}
	return true
}

// deref follows aliases (and a document node) to the value node.
func (c *conv) deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && i < 100; i++ {
		switch n.Kind {
		case yaml.AliasNode:
			n = n.Alias
		case yaml.DocumentNode:
			if len(n.Content) == 0 {
				return nil
			}
			n = n.Content[0]
		default:
			return n
		}
	}
	return nil
}

// pair is one key of a mapping with its nodes.
type pair struct {
	key  string
	k, v *yaml.Node
}

// pairs returns a mapping's keys in order, merge keys (<<) applied and a
// repeated key's last value kept, as PyYAML does.
func (c *conv) pairs(n *yaml.Node, path string, depth int) []pair {
	n = c.deref(n)
	if n == nil || n.Kind != yaml.MappingNode || depth > maxDepth {
		return nil
	}
	var out []pair
	idx := map[string]int{}
	add := func(p pair, override bool) {
		if i, ok := idx[p.key]; ok {
			if override {
				out[i] = p
			}
			return
		}
		idx[p.key] = len(out)
		out = append(out, p)
	}
	var merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !c.visit(k, path) {
			return out
		}
		kd := c.deref(k)
		if kd == nil || kd.Kind != yaml.ScalarNode {
			c.errorf(k, path, "a mapping key must be a scalar")
			continue
		}
		if kd.Tag == "!!merge" || (kd.Value == "<<" && kd.Style == 0) {
			vd := c.deref(v)
			srcs := []*yaml.Node{vd}
			if vd != nil && vd.Kind == yaml.SequenceNode {
				srcs = vd.Content
			}
			for _, s := range srcs {
				if sd := c.deref(s); sd == nil || sd.Kind != yaml.MappingNode {
					c.errorf(v, path, "a merge key (<<) needs a mapping or a list of mappings")
					continue
				}
				merged = append(merged, c.pairs(s, path, depth+1)...)
			}
			continue
		}
		add(pair{key: kd.Value, k: k, v: v}, true)
	}
	for _, p := range merged {
		add(p, false) // the mapping's own keys win over merged ones
	}
	return out
}

// value converts a node; ok is false when it could not be (a problem was
// recorded).
func (c *conv) value(n *yaml.Node, path string, depth int) (any, bool) {
	if !c.visit(n, path) {
		return nil, false
	}
	if depth > maxDepth {
		c.errorf(n, path, "values nested deeper than %d levels", maxDepth)
		return nil, false
	}
	d := c.deref(n)
	if d == nil {
		if n != nil && n.Kind == yaml.AliasNode {
			c.errorf(n, path, "unknown or recursive alias")
			return nil, false
		}
		return nil, true
	}
	switch d.Kind {
	case yaml.ScalarNode:
		return c.scalar(d, path)
	case yaml.SequenceNode:
		out := make([]any, 0, len(d.Content))
		for i, e := range d.Content {
			v, ok := c.value(e, fmt.Sprintf("%s[%d]", path, i), depth+1)
			if !ok {
				return nil, false
			}
			out = append(out, v)
		}
		return out, true
	case yaml.MappingNode:
		out := map[string]any{}
		for _, p := range c.pairs(d, path, depth) {
			v, ok := c.value(p.v, join(path, p.key), depth+1)
			if !ok {
				return nil, false
			}
			out[p.key] = v
		}
		return out, !c.bombed
	}
	c.errorf(n, path, "unexpected YAML node")
	return nil, false
}

// scalar resolves a scalar as LAVA (PyYAML) would, in JSON-compatible types:
// every number is a float64; NaN and infinities, which JSON and HCL cannot
// hold, keep their text.
func (c *conv) scalar(n *yaml.Node, path string) (any, bool) {
	if v, ok := c.scalars[n]; ok {
		return v, true
	}
	v, ok := c.resolveScalar(n, path)
	if ok {
		if c.scalars == nil {
			c.scalars = map[*yaml.Node]any{}
		}
		c.scalars[n] = v
	}
	return v, ok
}

func (c *conv) resolveScalar(n *yaml.Node, path string) (any, bool) {
	switch n.Tag {
	case "!!str":
		if n.Style == 0 {
			if b, ok := yaml11Bools[n.Value]; ok {
				return b, true
			}
		}
		return n.Value, true
	case "!!null":
		return nil, true
	}
	if n.Style == 0 && n.Tag == "!!str" {
		if b, ok := yaml11Bools[n.Value]; ok {
			return b, true
		}
	}
	var v any
	if err := n.Decode(&v); err != nil {
		c.errorf(n, path, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		return nil, false
	}
	switch x := v.(type) {
	case nil, string, bool:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return n.Value, true
		}
		return x, true
	case time.Time:
		return n.Value, true
	case []byte:
		return string(x), true
	}
	return n.Value, true
}

// join appends a key to a dotted YAML path; a key that would read as a path
// itself is quoted.
func join(path, key string) string {
	if key == "" || strings.ContainsAny(key, ".[]\" ") {
		key = fmt.Sprintf("[%q]", key)
		return path + key
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// rng is a node's position as an hcl.Range.
func (c *conv) rng(n *yaml.Node) hcl.Range {
	if n == nil {
		return hcl.Range{Filename: c.file}
	}
	return hcl.Range{Filename: c.file, Start: hcl.Pos{Line: n.Line, Column: n.Column},
		End: hcl.Pos{Line: n.Line, Column: n.Column + len(n.Value)}}
}

// dropNulls removes null map entries at every level (lists keep theirs): in
// lavacore's device model an absent key and a null one are the same, as in
// an HCL block.
func dropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			x[k] = dropNulls(e)
		}
	case []any:
		for i, e := range x {
			x[i] = dropNulls(e)
		}
	}
	return v
}
