package pipeline

import "gopkg.in/yaml.v3"

// maxOrderDepth bounds how deep KeyOrder records mappings: a block's own
// keys and those of its direct sub-mappings (deploy images …) are all LAVA
// reads in file order.
const maxOrderDepth = 2

// KeyOrder records the file order of the keys of a block's mapping node and
// of its sub-mappings (sdk.Block.Order), down to maxOrderDepth.
func KeyOrder(n *yaml.Node) map[string][]string {
	out := map[string][]string{}
	keyOrder(n, "", 0, out)
	if len(out) == 0 {
		return nil
	}
	return out
}

func keyOrder(n *yaml.Node, path string, depth int, out map[string][]string) {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil || n.Kind != yaml.MappingNode || depth > maxOrderDepth {
		return
	}
	seen := map[string]bool{}
	var keys []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
		sub := k
		if path != "" {
			sub = path + "." + k
		}
		keyOrder(n.Content[i+1], sub, depth+1, out)
	}
	out[path] = keys
}
