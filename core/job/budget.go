package job

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// What a job file may cost to decode. A job file is untrusted input, and
// YAML aliases make a small file expand exponentially ("billion laughs": ten
// levels of ten aliases each is 10^10 nodes from 2 kB), or without end (an
// anchor whose content aliases itself). gopkg.in/yaml.v3 bounds aliases only
// when it decodes into Go values; lavacore walks the *yaml.Node tree itself,
// so every job is measured here first, in time linear in its size, before
// anything converts, validates or re-serialises it:
//
//   - MaxJobSize: the file (LAVA's jobs are a few kB; the largest of LAVA's
//     138 sample jobs is 5 kB). 1 MiB keeps the parser's own node tree under
//     about 200 MB even for the densest YAML (`[a,a,a,…]`).
//   - MaxDepth: nesting, counted through aliases (a LAVA job nests about 10
//     levels; an inline test definition a few more).
//   - MaxNodes: the nodes of the job as every alias expanded (what plain Go
//     values of the whole job hold); aliases may also add at most AliasFactor
//     times the file's own node count (but always aliasFloor), so that a
//     small file cannot expand to the absolute cap.
//   - MaxScalarBytes: the text of every scalar as expanded, which bounds what
//     re-serialising a value (an inline test definition written to the
//     overlay) can produce.
const (
	MaxJobSize     = 1 << 20
	MaxDepth       = 100
	MaxNodes       = 250_000
	AliasFactor    = 10
	aliasFloor     = 10_000
	MaxScalarBytes = 8 << 20
)

// cost is what a node expands to: nodes, scalar bytes and nesting below it.
type cost struct{ nodes, bytes, height int }

// step is one level of a field path, built into a string only for a
// diagnostic (a key, or an index when key is "").
type step struct {
	up  *step
	key string
	idx int
}

func (s *step) child(key string) *step { return &step{up: s, key: key} }
func (s *step) item(i int) *step       { return &step{up: s, idx: i} }

func (s *step) String() string {
	var parts []string
	for ; s != nil; s = s.up {
		if s.key != "" {
			parts = append(parts, s.key)
		} else {
			parts = append(parts, fmt.Sprintf("[%d]", s.idx))
		}
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		if b.Len() > 0 && !strings.HasPrefix(parts[i], "[") {
			b.WriteByte('.')
		}
		b.WriteString(parts[i])
	}
	return b.String()
}

// budget measures a decoded document against the limits above and finds
// duplicate keys. Its counters are what the fuzz target checks.
type budget struct {
	file       string
	strictKeys bool
	own        int // nodes written in the file (an alias counts 1)
	nodes      int // nodes as every alias expanded
	bytes      int // scalar bytes as every alias expanded
	height     int // the deepest nesting as expanded
	limit      int // the cap on nodes for this document
	doc        *yaml.Node
	passed     bool // the document is within every limit
	memo       map[*yaml.Node]cost
	diags      Diagnostics // errors: the job is refused
	warnings   Diagnostics // duplicate keys unless strictKeys
}

func (b *budget) fail(n *yaml.Node, at *step, format string, a ...any) {
	b.diags = append(b.diags, Diagnostic{Pos: Pos{File: b.file, Line: n.Line, Column: n.Column},
		Path: at.String(), Msg: fmt.Sprintf(format, a...)})
}

// check measures doc; false means it must not be walked any further (its
// reasons are in b.diags).
func (b *budget) check(doc *yaml.Node) bool {
	b.doc = doc
	if !b.walkOwn(doc, 0, nil) {
		return false
	}
	b.limit = min(MaxNodes, max(aliasFloor, AliasFactor*b.own))
	b.memo = map[*yaml.Node]cost{}
	c, ok := b.expand(doc, 0, nil)
	b.height = c.height
	b.passed = ok
	return ok
}

// children calls f for each child of n with its path, keys with their value's.
func children(n *yaml.Node, at *step, f func(c *yaml.Node, at *step) bool) bool {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if !f(c, at) {
				return false
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if !f(c, at.item(i)) {
				return false
			}
		}
	case yaml.MappingNode:
		for i := 0; i < len(n.Content); i += 2 {
			k := n.Content[i]
			kr := resolve(k)
			name := "?"
			if kr != nil && kr.Kind == yaml.ScalarNode {
				name = kr.Value
			}
			kat := at.child(name)
			if !f(k, kat) {
				return false
			}
			if i+1 < len(n.Content) && !f(n.Content[i+1], kat) {
				return false
			}
		}
	}
	return true
}

// walkOwn counts the file's own nodes, bounds their nesting and reports
// duplicate keys, without following aliases.
func (b *budget) walkOwn(n *yaml.Node, depth int, at *step) bool {
	b.own++
	if b.own > MaxNodes {
		b.fail(n, at, "the job has more than %d YAML nodes", MaxNodes)
		return false
	}
	if depth > MaxDepth {
		b.fail(n, at, "nested more than %d levels deep", MaxDepth)
		return false
	}
	if n.Kind == yaml.MappingNode {
		b.duplicates(n, at)
	}
	return children(n, at, func(c *yaml.Node, cat *step) bool { return b.walkOwn(c, depth+1, cat) })
}

// duplicates reports a key written twice in one mapping. PyYAML (LAVA)
// silently keeps the last value, and so does lavacore's get(); a job whose
// reviewer reads one value while the dispatcher uses another is refused when
// strictKeys is set, and warned about otherwise (LAVA's own founding job and
// five of its sample jobs repeat a key). Merge keys (<<) may repeat.
func (b *budget) duplicates(n *yaml.Node, at *step) {
	first := map[string]*yaml.Node{}
	for i := 0; i < len(n.Content); i += 2 {
		k := resolve(n.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
			continue
		}
		prev, dup := first[k.Value]
		if !dup {
			first[k.Value] = n.Content[i]
			continue
		}
		kn := n.Content[i]
		d := Diagnostic{Pos: Pos{File: b.file, Line: kn.Line, Column: kn.Column}, Path: at.child(k.Value).String(),
			Msg: fmt.Sprintf("duplicate key (first at line %d)", prev.Line)}
		if b.strictKeys {
			b.diags = append(b.diags, d)
		} else {
			d.Msg += "; the last one is used, as in LAVA"
			b.warnings = append(b.warnings, d)
		}
	}
}

// expand adds up what n expands to, in document order: an anchor is always
// complete (memoised) before an alias of it, so each alias costs one lookup,
// and one that is not complete yet sits inside its own anchor.
func (b *budget) expand(n *yaml.Node, depth int, at *step) (cost, bool) {
	if n.Kind == yaml.AliasNode {
		c, done := b.memo[n.Alias]
		switch {
		case !done:
			b.fail(n, at, "alias *%s refers to a node that contains it (a document without end)", n.Value)
		case depth+c.height > MaxDepth:
			b.fail(n, at, "alias *%s: nested more than %d levels deep", n.Value, MaxDepth)
		default:
			b.nodes += c.nodes
			b.bytes += c.bytes
			if b.nodes > b.limit {
				b.fail(n, at, "alias *%s: the job expands to more than %d nodes (a \"billion laughs\" document?)", n.Value, b.limit)
			} else if b.bytes > MaxScalarBytes {
				b.fail(n, at, "alias *%s: the job expands to more than %d bytes of text", n.Value, MaxScalarBytes)
			} else {
				return c, true
			}
		}
		return cost{}, false
	}
	c := cost{nodes: 1}
	if n.Kind == yaml.ScalarNode {
		c.bytes = len(n.Value)
	}
	b.nodes++
	b.bytes += c.bytes
	ok := children(n, at, func(ch *yaml.Node, cat *step) bool {
		cc, ok := b.expand(ch, depth+1, cat)
		c.nodes += cc.nodes
		c.bytes += cc.bytes
		c.height = max(c.height, cc.height+1)
		return ok
	})
	if ok && n.Anchor != "" {
		b.memo[n] = c
	}
	return c, ok
}
