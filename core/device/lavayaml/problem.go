package lavayaml

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong (or worth a warning) in a device file, at its
// position: file:line:col: path: message.
type Problem struct {
	File    string
	Line    int
	Column  int
	Path    string // LAVA YAML path: commands.connections.uart0.connect
	Msg     string
	Warning bool
}

// String renders file:line:col: path: message ("warning: " before the
// message of a warning).
func (p Problem) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:%d: ", p.File, p.Line, p.Column)
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	if p.Warning {
		b.WriteString("warning: ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every problem of one load, in the order found.
type Problems []Problem

// HasErrors reports whether any problem is not a warning.
func (ps Problems) HasErrors() bool {
	for _, p := range ps {
		if !p.Warning {
			return true
		}
	}
	return false
}

// Error joins the problems, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}
