package job

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// pair is one key/value of a mapping node.
type pair struct {
	Key   string
	KNode *yaml.Node
	Value *yaml.Node
}

// pairs lists a mapping's entries in order (merge keys are not expanded).
func pairs(n *yaml.Node) []pair {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]pair, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolve(n.Content[i])
		key := ""
		if k != nil {
			key = k.Value
		}
		out = append(out, pair{Key: key, KNode: n.Content[i], Value: resolve(n.Content[i+1])})
	}
	return out
}

// get returns the value node of key in a mapping (the last one, as PyYAML
// keeps the last of duplicate keys).
func get(n *yaml.Node, key string) *yaml.Node {
	var v *yaml.Node
	for _, p := range pairs(n) {
		if p.Key == key {
			v = p.Value
		}
	}
	return v
}

func getKey(n *yaml.Node, key string) *yaml.Node {
	var k *yaml.Node
	for _, p := range pairs(n) {
		if p.Key == key {
			k = p.KNode
		}
	}
	return k
}

func isMap(n *yaml.Node) bool { n = resolve(n); return n != nil && n.Kind == yaml.MappingNode }
func isSeq(n *yaml.Node) bool { n = resolve(n); return n != nil && n.Kind == yaml.SequenceNode }
func isScalar(n *yaml.Node) bool {
	n = resolve(n)
	return n != nil && n.Kind == yaml.ScalarNode
}
func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}
func isStr(n *yaml.Node) bool {
	n = resolve(n)
	return n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!str"
}
func isInt(n *yaml.Node) bool {
	n = resolve(n)
	return n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!int"
}
func isBool(n *yaml.Node) bool {
	n = resolve(n)
	return n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!bool"
}

func intOf(n *yaml.Node) (int, bool) {
	n = resolve(n)
	if !isInt(n) {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
	if err != nil {
		return 0, false
	}
	return int(v), true
}

// plain converts a node to plain Go values: map[string]any, []any, string,
// int, float64, bool, nil. Parse has measured the document (budget.go), so
// this stays within MaxNodes and MaxDepth; the same caps are kept here too,
// so that no node tree — a cyclic one included — can make it run away.
func plain(n *yaml.Node) any {
	v, _ := plainCount(n)
	return v
}

// plainCount is plain and the number of nodes it converted.
func plainCount(n *yaml.Node) (any, int) {
	left := MaxNodes
	v := plainDepth(n, 0, &left)
	return v, MaxNodes - left
}

func plainDepth(n *yaml.Node, depth int, left *int) any {
	n = resolve(n)
	if n == nil || depth > MaxDepth || *left <= 0 {
		return nil
	}
	*left--
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return plainDepth(n.Content[0], depth+1, left)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := resolve(n.Content[i])
			if k == nil {
				continue
			}
			m[k.Value] = plainDepth(n.Content[i+1], depth+1, left)
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			s = append(s, plainDepth(c, depth+1, left))
		}
		return s
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err == nil {
				return b
			}
		case "!!int":
			if v, ok := intOf(n); ok {
				return v
			}
		case "!!float":
			var f float64
			if err := n.Decode(&f); err == nil {
				return f
			}
		}
		return n.Value
	}
	return nil
}

func strList(n *yaml.Node) []string {
	n = resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	var out []string
	for _, c := range n.Content {
		if c = resolve(c); c != nil && c.Kind == yaml.ScalarNode {
			out = append(out, c.Value)
		}
	}
	return out
}

// keyOrderDepth bounds how deep KeyOrder looks (the block, its mappings and
// theirs: `images: {boot: {…}}`).
const keyOrderDepth = 3

// KeyOrder returns the keys of a block's mappings in file order, by dotted
// path ("" the block itself, "images", "images.boot" …), for the mappings
// with two keys or more down to keyOrderDepth. LAVA iterates some of a
// block's mappings (fastboot's images, downloads' images …) in the job's
// order, which plain values (Go maps) lose. A repeated key keeps its first
// position, as a Python dict does.
func KeyOrder(n *yaml.Node) map[string][]string {
	out := map[string][]string{}
	keyOrder(n, "", 0, out)
	if len(out) == 0 {
		return nil
	}
	return out
}

func keyOrder(n *yaml.Node, path string, depth int, out map[string][]string) {
	ps := pairs(n)
	if depth >= keyOrderDepth || len(ps) == 0 {
		return
	}
	seen := map[string]bool{}
	var keys []string
	for _, p := range ps {
		if seen[p.Key] || p.Key == "<<" {
			continue
		}
		seen[p.Key] = true
		keys = append(keys, p.Key)
		sub := p.Key
		if path != "" {
			sub = path + "." + p.Key
		}
		keyOrder(p.Value, sub, depth+1, out)
	}
	if len(keys) > 1 {
		out[path] = keys
	}
}
