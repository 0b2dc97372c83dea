package console

import (
	"regexp/syntax"
	"strconv"
	"strings"
)

// An anchored DFA over ASCII bytes.
//
// Go's regexp interprets its program a rune at a time (tens of
// nanoseconds a byte) and offers no DFA. A pattern like the test shell's
// signals.Pattern (an alternation: "<LAVA_" and any name but MULTI_NODE, or
// a MultiNode request) is tried once per marker, thousands of times a
// minute. asciiDFA runs Go's own NFA semantics — threads in priority order,
// a match cuts off the threads of lower priority (leftmost-first, as
// regexp's machine.step does) — with the ordered thread lists made into
// states once, at compile time, so a try costs a table look-up a byte.
// It covers ASCII input only: at the first byte ≥ 0x80 it gives up and the
// caller runs the regexp. It reports the end of the match found from the
// start of its input, not the submatches.

const (
	maxDFAStates = 256  // more: no DFA for this pattern
	maxDFAInsts  = 1000 // a larger program: no DFA (building one costs states × 128 × program)
	dfaNone      = -1   // no match
	dfaUnknown   = -2   // a byte the DFA does not cover: ask the regexp
)

type asciiDFA struct {
	next  []int32 // state*128 + byte → next state (-1: no thread left)
	match []bool  // the state holds a match (before its lower-priority threads)
	dead  []bool  // the state has no thread that can go on
}

// newASCIIDFA builds the DFA of expr, or nil when expr has assertions (it
// is run on slices, which must not change what ^ $ \b see) or too many
// states.
func newASCIIDFA(expr string) *asciiDFA {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	re = re.Simplify()
	if hasAssertion(re) {
		return nil
	}
	prog, err := syntax.Compile(re)
	if err != nil {
		return nil
	}
	if len(prog.Inst) > maxDFAInsts {
		return nil
	}
	for _, in := range prog.Inst {
		if in.Op == syntax.InstEmptyWidth {
			return nil
		}
	}
	b := dfaBuilder{prog: prog, index: map[string]int32{}, d: &asciiDFA{}, seen: make([]uint32, len(prog.Inst))}
	b.gen++
	start := b.closure(nil, uint32(prog.Start))
	if b.state(start) < 0 {
		return nil
	}
	for s := 0; s < len(b.lists); s++ {
		list := b.lists[s]
		for c := 0; c < 128; c++ {
			var next []uint32
			b.gen++
			for _, pc := range list {
				in := &prog.Inst[pc]
				if in.Op == syntax.InstMatch { // (the state's list ends with it)
					break // lower-priority threads are cut off
				}
				if in.MatchRune(rune(c)) {
					next = b.closure(next, in.Out)
				}
			}
			t := int32(-1)
			if len(next) > 0 {
				if t = b.state(next); t < 0 {
					return nil
				}
			}
			b.d.next[s*128+c] = t
		}
	}
	return b.d
}

type dfaBuilder struct {
	prog  *syntax.Prog
	index map[string]int32
	lists [][]uint32
	d     *asciiDFA
	seen  []uint32 // per instruction: the gen of the list it is in
	gen   uint32
}

// closure appends the threads reachable from pc without consuming input,
// in priority order, each pc once per list (b.gen) as regexp's machine.add.
func (b *dfaBuilder) closure(list []uint32, pc uint32) []uint32 {
	if b.seen[pc] == b.gen {
		return list
	}
	b.seen[pc] = b.gen
	in := &b.prog.Inst[pc]
	switch in.Op {
	case syntax.InstFail:
		return list
	case syntax.InstAlt, syntax.InstAltMatch:
		// Recorded, as every instruction visited, so that each is
		// followed once; only rune and match instructions make the state.
		list = append(list, pc)
		list = b.closure(list, in.Out)
		return b.closure(list, in.Arg)
	case syntax.InstNop, syntax.InstCapture:
		list = append(list, pc)
		return b.closure(list, in.Out)
	}
	return append(list, pc) // rune instructions, match
}

// state returns the state of a thread list (made once), or -1 past maxDFAStates.
func (b *dfaBuilder) state(list []uint32) int32 {
	var key strings.Builder
	var kept []uint32
	match, dead := false, true
	for _, pc := range list {
		switch b.prog.Inst[pc].Op {
		case syntax.InstNop, syntax.InstCapture, syntax.InstAlt, syntax.InstAltMatch:
			continue
		case syntax.InstMatch:
			match = true
		default:
			if !match {
				dead = false
			}
		}
		kept = append(kept, pc)
		key.WriteString(strconv.Itoa(int(pc)))
		key.WriteByte(',')
		if match {
			break
		}
	}
	if s, ok := b.index[key.String()]; ok {
		return s
	}
	if len(b.lists) >= maxDFAStates {
		return -1
	}
	s := int32(len(b.lists))
	b.index[key.String()] = s
	b.lists = append(b.lists, kept)
	b.d.next = append(b.d.next, make([]int32, 128)...)
	b.d.match = append(b.d.match, match)
	b.d.dead = append(b.d.dead, dead)
	return s
}

// run returns the end of the leftmost-first match starting at b[0] (as
// regexp's FindIndex of \A(?:expr) reports it), dfaNone, or dfaUnknown
// when it reached a byte it does not cover before knowing.
func (d *asciiDFA) run(b []byte) int {
	s := int32(0)
	end := dfaNone
	for i := 0; ; i++ {
		if d.match[s] {
			end = i
		}
		if d.dead[s] || i == len(b) {
			return end
		}
		c := b[i]
		if c >= 0x80 {
			return dfaUnknown
		}
		if s = d.next[int(s)*128+int(c)]; s < 0 {
			return end
		}
	}
}
