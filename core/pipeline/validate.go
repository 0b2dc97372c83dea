package pipeline

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/core/job"
	"github.com/lavacore/lavacore/sdk"
)

// Problem is a method's validation diagnostic placed in the job file.
type Problem struct {
	sdk.Diagnostic
	Block int     // index in Pipeline.Job.Actions
	Pos   job.Pos // the key the diagnostic is about, else the block
	// Path is LAVA-style from the job root: actions[3].boot.grub-efi.commands
	Path string
}

// String is `file:line:col: <path>: <summary>`.
func (p Problem) String() string {
	s := fmt.Sprintf("%s: %s", p.Path, p.Summary)
	if p.Pos.File != "" {
		s = fmt.Sprintf("%s:%d:%d: %s", p.Pos.File, p.Pos.Line, p.Pos.Column, s)
	}
	if p.Severity == sdk.SevWarning {
		s += " (warning)"
	}
	return s
}

// Validate asks each block's method to validate its block against the device
// (no side effects), and places every diagnostic in the job file.
func (p *Pipeline) Validate(ctx context.Context) []Problem {
	var out []Problem
	for _, n := range p.Actions {
		if n.Block < 0 {
			continue
		}
		b := &p.Job.Actions[n.Block]
		diags := n.Method.Validate(ctx, *n.Request)
		if b.Repeat > 0 && b.FailureRetry > 0 {
			diags = append(diags, sdk.Diagnostic{Path: "repeat", Summary: "Unable to use repeat and failure_retry, use a repeat block"})
		}
		for _, d := range diags {
			pr := Problem{Diagnostic: d, Block: n.Block, Pos: b.Pos}
			pr.Path = fmt.Sprintf("actions[%d].%s.%s", b.Index, b.Section, b.Method)
			if b.Section == string(sdk.SectionTest) {
				pr.Path = fmt.Sprintf("actions[%d].%s", b.Index, b.Section)
			}
			if d.Path != "" {
				pr.Path += "." + d.Path
			}
			if pos, ok := keyPos(b, d.Path); ok {
				pr.Pos = pos
			}
			out = append(out, pr)
		}
	}
	if p.JobTimeout > 0 {
		p.Walk(func(n *Node) bool {
			if n.Timeout > p.JobTimeout {
				pr := Problem{Block: n.Block, Pos: job.Pos{File: p.Job.File}, Path: "timeouts",
					Diagnostic: sdk.Diagnostic{Severity: sdk.SevWarning,
						Summary: fmt.Sprintf("%s %s: its timeout (%d s) is longer than the job timeout (%d s)", n.Level, n.Name, int64(n.Timeout.Seconds()), int64(p.JobTimeout.Seconds()))}}
				if n.Block >= 0 {
					pr.Pos = p.Job.Actions[n.Block].Pos
				}
				out = append(out, pr)
			}
			return true
		})
	}
	return out
}

// keyPos finds the deepest node of a diagnostic path ("kernel.url",
// "definitions[2].from") in the block's YAML.
func keyPos(b *job.ActionBlock, path string) (job.Pos, bool) {
	n := b.Node
	if n == nil || path == "" {
		return job.Pos{}, false
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == b.Section && n.Content[1].Kind == yaml.MappingNode {
		n = n.Content[1]
	}
	var found *yaml.Node
	for _, seg := range strings.Split(path, ".") {
		key, idx := seg, -1
		if i := strings.IndexByte(seg, '['); i > 0 && strings.HasSuffix(seg, "]") {
			key = seg[:i]
			idx, _ = strconv.Atoi(seg[i+1 : len(seg)-1])
		}
		if n.Kind != yaml.MappingNode {
			break
		}
		var val *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				found, val = n.Content[i], n.Content[i+1]
			}
		}
		if val == nil {
			break
		}
		n = val
		if idx >= 0 {
			if n.Kind != yaml.SequenceNode || idx >= len(n.Content) {
				break
			}
			n = n.Content[idx]
			found = n
		}
	}
	if found == nil {
		return job.Pos{}, false
	}
	return job.Pos{File: b.Pos.File, Line: found.Line, Column: found.Column}, true
}
