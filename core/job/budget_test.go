package job

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/internal/childtest"
)

// laughs writes a "billion laughs" ladder as mapping entries at indent:
// l0 is a string, each next level a list of fan aliases of the one before,
// and the last level expands to fan^levels strings.
func laughs(indent string, levels, fan int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%sl0: &l0 \"lol\"\n", indent)
	for i := 1; i <= levels; i++ {
		items := make([]string, fan)
		for k := range items {
			items[k] = fmt.Sprintf("*l%d", i-1)
		}
		fmt.Fprintf(&b, "%sl%d: &l%d [%s]\n", indent, i, i, strings.Join(items, ", "))
	}
	return b.String()
}

const bombHeader = "job_name: bomb\ndevice_type: qemu\nvisibility: public\ntimeouts:\n  job: {minutes: 5}\n"

const bombActions = `actions:
- deploy: {to: tmpfs, images: {rootfs: {url: "http://x/r.img"}}}
`

// TestParse_BillionLaughs: a job of a few kB whose aliases expand to
// billions of nodes (or forever) is refused at the alias, before anything
// expands it. Each case runs in a memory-limited child process.
func TestParse_BillionLaughs(t *testing.T) {
	wide := "context:\n  big: &big [" + strings.Repeat("x, ", 1999) + "x]\n  many: [" + strings.Repeat("*big, ", 999) + "*big]\n"
	cases := []struct {
		name string
		job  string
		want string // a diagnostic holds this
	}{
		{"InContext", bombHeader + "context:\n" + laughs("  ", 9, 9) + bombActions,
			`: context.l`},
		{"InMetadata", bombHeader + "metadata:\n" + laughs("  ", 9, 9) + bombActions,
			`: metadata.l`},
		{"InInlineDefinition", bombHeader + bombActions + `- test:
    definitions:
    - from: inline
      name: bomb
      path: inline/bomb.yaml
      repository:
        metadata: {format: Lava-Test Test Definition 1.0, name: bomb}
` + laughs("        ", 9, 9),
			`: actions[1].test.definitions[0].repository.l`},
		{"ManySmallAliases", bombHeader + wide + bombActions, `: context.many[`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !childtest.Run(t) {
				return
			}
			if len(c.job) > 16<<10 {
				t.Fatalf("the bomb is %d bytes: make it smaller", len(c.job))
			}
			_, diags := Parse("bomb.yaml", []byte(c.job))
			found := false
			for _, d := range diags {
				s := d.String()
				if strings.Contains(s, c.want) && strings.Contains(s, ": alias *") &&
					strings.Contains(s, "expands to more than ") && strings.Contains(s, ` nodes (a "billion laughs" document?)`) && d.Pos.Line > 5 {
					found = true
				}
			}
			if !found {
				t.Fatalf("no alias budget diagnostic at %q; got:\n%v", c.want, diags.Error())
			}
		})
	}
}

// TestParse_SelfReferentialAlias: an anchor whose own content aliases it
// (`&a [*a, *a]`) is a document without end; it is refused, not walked.
func TestParse_SelfReferentialAlias(t *testing.T) {
	for _, c := range []struct{ name, body, want string }{
		{"List", "context:\n  loop: &a [*a, *a]\n", "bomb.yaml:7:13: context.loop[0]: alias *a refers to a node that contains it"},
		{"Map", "metadata:\n  loop: &a\n    x: *a\n    y: *a\n", "bomb.yaml:8:8: metadata.loop.x: alias *a refers to a node that contains it"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !childtest.Run(t) {
				return
			}
			_, diags := Parse("bomb.yaml", []byte(bombHeader+c.body+bombActions))
			if !strings.Contains(diags.Error(), c.want) {
				t.Fatalf("want %q; got:\n%s", c.want, diags.Error())
			}
		})
	}
}

// TestParse_DeepNesting: nesting beyond MaxDepth, written out or built from
// aliases of aliases, is refused with its position (it was cut off silently).
func TestParse_DeepNesting(t *testing.T) {
	chain := "context:\n  a: &a " + strings.Repeat("[", 60) + "x" + strings.Repeat("]", 60) + "\n" +
		"  b: &b " + strings.Repeat("[", 60) + "*a" + strings.Repeat("]", 60) + "\n"
	for _, c := range []struct{ name, body, want string }{
		{"WrittenOut", "context:\n  deep: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n",
			fmt.Sprintf("bomb.yaml:7:%d: context.deep%s: nested more than %d levels deep", 9+MaxDepth-2, strings.Repeat("[0]", MaxDepth-2), MaxDepth)},
		{"ThroughAliases", chain, fmt.Sprintf("bomb.yaml:8:69: context.b%s: alias *a: nested more than %d levels deep", strings.Repeat("[0]", 60), MaxDepth)},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, diags := Parse("bomb.yaml", []byte(bombHeader+c.body+bombActions))
			if !strings.Contains(diags.Error(), c.want) {
				t.Fatalf("want %q; got:\n%s", c.want, diags.Error())
			}
		})
	}
}

// TestParse_OversizedJob: Parse itself (not only Load) refuses a job larger
// than MaxJobSize before decoding it.
func TestParse_OversizedJob(t *testing.T) {
	data := []byte(bombHeader + bombActions + strings.Repeat("# padding padding padding\n", MaxJobSize/26+1))
	_, diags := Parse("big.yaml", data)
	want := fmt.Sprintf("big.yaml:1:1: job file is larger than %d bytes", MaxJobSize)
	if len(diags) != 1 || diags[0].String() != want {
		t.Fatalf("want %q; got:\n%s", want, diags.Error())
	}
}

// naive expands n the slow way, stopping after stop nodes: the oracle the
// budget's linear count is checked against.
func naive(n *yaml.Node, depth int, count, deepest *int, stop int) {
	if n == nil || *count > stop {
		return
	}
	if n.Kind == yaml.AliasNode {
		naive(n.Alias, depth, count, deepest, stop)
		return
	}
	*count++
	*deepest = max(*deepest, depth)
	for _, c := range n.Content {
		naive(c, depth+1, count, deepest, stop)
	}
}

// FuzzAliasBudget: whatever the bytes, Parse's work stays within the budget.
// A document the budget lets through expands (counted the slow way, which
// stops at the cap) to exactly the nodes the budget counted, within
// MaxNodes, MaxScalarBytes and MaxDepth, and converting it to plain values
// takes no more nodes than that; a document it refuses for size really is
// larger than its cap. No clock: the work is bounded by these counters.
func FuzzAliasBudget(f *testing.F) {
	f.Add([]byte(bombHeader + "context:\n" + laughs("  ", 9, 9) + bombActions))
	f.Add([]byte(bombHeader + "context:\n" + laughs("  ", 3, 4) + bombActions))
	f.Add([]byte(bombHeader + "context:\n  loop: &a [*a, *a]\n" + bombActions))
	f.Add([]byte("a: &a {b: &b [*a]}\n"))
	f.Add([]byte("a: &a [x, y]\nb: [*a, *a, *a]\nc: {<<: *a}\na: dup\n"))
	f.Add([]byte(strings.Repeat("[", 150) + strings.Repeat("]", 150)))
	for _, p := range []string{seed, "../../examples/jobs/mustang-ssh-guest.yaml", "../../examples/jobs/single-node-nfs.yaml"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		j, diags, b := Options{}.parse("fuzz.yaml", data)
		if b.doc == nil {
			return // too large, or not YAML
		}
		// counting past this document's own cap proves nothing more: the walk
		// stops there (a small document's cap is aliasFloor, and walking a
		// refused bomb to MaxNodes took long enough, for each of the engine's
		// minimizing runs, to look like a hung worker)
		count, deepest := 0, 0
		naive(b.doc, 0, &count, &deepest, b.limit+1)
		if !b.passed {
			if len(diags) == 0 || j != nil {
				t.Fatalf("refused without a diagnostic, or decoded anyway: %v", diags)
			}
			if strings.Contains(diags[0].Msg, "expands to more than") && count <= b.limit {
				t.Fatalf("refused as larger than %d nodes, but it expands to %d", b.limit, count)
			}
			return
		}
		if count != b.nodes || b.nodes > b.limit || b.limit > MaxNodes {
			t.Fatalf("expands to %d nodes; the budget counted %d (limit %d)", count, b.nodes, b.limit)
		}
		if b.bytes > MaxScalarBytes || deepest != b.height || b.height > MaxDepth {
			t.Fatalf("bytes %d, depth %d (budget: %d)", b.bytes, deepest, b.height)
		}
		if _, used := plainCount(b.doc); used > b.nodes {
			t.Fatalf("plain converted %d nodes of a document of %d", used, b.nodes)
		}
	})
}
