package device

import (
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Limits on an HCL file (a device type, a device file, lab.hcl) before hcl
// parses it. hclsyntax's parser and the evaluation of what it builds are
// recursive: 100 000 nested brackets (`x = [[[[…`, 200 kB) overflow the
// goroutine stack, which is a fatal error no recover() catches. So every file
// is lexed first (hclsyntax's lexer keeps its own stack on the heap) and
// measured:
//
//   - MaxHCLSize: the file; device types and devices are a few kB (the
//     largest built-in type is 6 kB).
//   - MaxHCLDepth: how deep the parser could recurse — every open bracket,
//     brace, parenthesis, quote, heredoc, `${`/`%{` and template if/for,
//     plus every operator of an expression (a chain of `!`, `-`, `a + a + …`
//     or `c ? x : c ? …` nests too), counted until the expression ends (a
//     comma, or a newline in a body or object). A real file stays under 20.
const (
	MaxHCLSize  = 256 << 10
	MaxHCLDepth = 100
)

// readHCL reads an HCL file of at most MaxHCLSize bytes.
func readHCL(path string) ([]byte, hcl.Diagnostics) {
	f, err := os.Open(path)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read file", Detail: err.Error()}}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxHCLSize+1))
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read file", Detail: fmt.Sprintf("%s: %v", path, err)}}
	}
	return data, nil
}

// parseHCL checks src against the limits, then parses it.
func (l *loader) parseHCL(src []byte, name string) (*hcl.File, hcl.Diagnostics) {
	if diags := checkHCL(src, name); diags.HasErrors() {
		return nil, diags
	}
	return l.parser.ParseHCL(src, name)
}

// level is one open bracket (or quote, heredoc, template sequence) and the
// recursion its current expression adds.
type level struct {
	open  hclsyntax.TokenType
	extra int
}

// closerOf is the token that closes open.
func closerOf(open hclsyntax.TokenType) hclsyntax.TokenType {
	switch open {
	case hclsyntax.TokenOBrace:
		return hclsyntax.TokenCBrace
	case hclsyntax.TokenOBrack:
		return hclsyntax.TokenCBrack
	case hclsyntax.TokenOParen:
		return hclsyntax.TokenCParen
	case hclsyntax.TokenOQuote:
		return hclsyntax.TokenCQuote
	case hclsyntax.TokenOHeredoc:
		return hclsyntax.TokenCHeredoc
	}
	return hclsyntax.TokenTemplateSeqEnd // ${ and %{
}

// checkHCL measures src (see MaxHCLSize, MaxHCLDepth); an error names the
// file and the line where the limit is crossed.
func checkHCL(src []byte, name string) hcl.Diagnostics {
	start := hcl.Pos{Line: 1, Column: 1, Byte: 0}
	if len(src) > MaxHCLSize {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "File too large",
			Detail:  fmt.Sprintf("%s is larger than %d bytes.", name, MaxHCLSize),
			Subject: &hcl.Range{Filename: name, Start: start, End: start}}}
	}
	if deepest, at := hclNesting(src, name, MaxHCLDepth); deepest > MaxHCLDepth {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Nested too deeply",
			Detail:  fmt.Sprintf("Brackets, templates and operators nest more than %d levels deep here.", MaxHCLDepth),
			Subject: &at}}
	}
	return nil
}

// hclNesting lexes src and returns how deep its parser could recurse (see
// MaxHCLDepth), stopping at the token where that passes limit.
func hclNesting(src []byte, name string, limit int) (deepest int, at hcl.Range) {
	tokens, _ := hclsyntax.LexConfig(src, name, hcl.InitialPos) // the parser reports lexing errors
	stack := []level{{open: hclsyntax.TokenOBrace}}             // the file is a body
	depth := 0                                                  // open levels + their extras
	for i, tok := range tokens {
		top := &stack[len(stack)-1]
		switch tok.Type {
		case hclsyntax.TokenOBrace, hclsyntax.TokenOBrack, hclsyntax.TokenOParen, hclsyntax.TokenOQuote,
			hclsyntax.TokenOHeredoc, hclsyntax.TokenTemplateInterp, hclsyntax.TokenTemplateControl:
			if tok.Type == hclsyntax.TokenTemplateControl && i+1 < len(tokens) && tokens[i+1].Type == hclsyntax.TokenIdent {
				// %{ if } … %{ endif } nests the template between them.
				switch string(tokens[i+1].Bytes) {
				case "if", "for":
					top.extra++
					depth++
				case "endif", "endfor":
					if top.extra > 0 {
						top.extra--
						depth--
					}
				}
			}
			stack = append(stack, level{open: tok.Type})
			depth++
		case hclsyntax.TokenCBrace, hclsyntax.TokenCBrack, hclsyntax.TokenCParen, hclsyntax.TokenCQuote,
			hclsyntax.TokenCHeredoc, hclsyntax.TokenTemplateSeqEnd:
			// Only the closer of the innermost opener closes it: the parser
			// nests on past a stray one (and reports it), so do we.
			if len(stack) > 1 && closerOf(top.open) == tok.Type {
				depth -= 1 + top.extra
				stack = stack[:len(stack)-1]
			}
		case hclsyntax.TokenComma:
			depth -= top.extra
			top.extra = 0
		case hclsyntax.TokenNewline:
			if top.open == hclsyntax.TokenOBrace {
				depth -= top.extra
				top.extra = 0
			}
		case hclsyntax.TokenBang, hclsyntax.TokenMinus, hclsyntax.TokenPlus, hclsyntax.TokenStar, hclsyntax.TokenSlash,
			hclsyntax.TokenPercent, hclsyntax.TokenEqualOp, hclsyntax.TokenNotEqual, hclsyntax.TokenLessThan,
			hclsyntax.TokenLessThanEq, hclsyntax.TokenGreaterThan, hclsyntax.TokenGreaterThanEq, hclsyntax.TokenAnd,
			hclsyntax.TokenOr, hclsyntax.TokenQuestion, hclsyntax.TokenColon:
			top.extra++
			depth++
		}
		if depth > deepest {
			deepest = depth
			if deepest > limit {
				return deepest, tok.Range
			}
		}
	}
	return deepest, hcl.Range{}
}
