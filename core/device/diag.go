package device

import (
	"io"

	"github.com/hashicorp/hcl/v2"
)

// WriteDiagnostics prints diags with source snippets from files (see
// (*Lab).Files), wrapped at width columns (0: no wrapping).
func WriteDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics, width uint, color bool) error {
	return hcl.NewDiagnosticTextWriter(w, files, width, color).WriteDiagnostics(diags)
}

// WriteDiagnostics prints diags with snippets from the lab's files.
func (l *Lab) WriteDiagnostics(w io.Writer, diags hcl.Diagnostics) error {
	return WriteDiagnostics(w, l.Files(), diags, 0, false)
}
