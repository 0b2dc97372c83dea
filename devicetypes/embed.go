// Package devicetypes holds the HCL device types shipped with lavacore
// (mustang, ssh …) and _base.hcl, the defaults every type starts from.
// core/device loads them after a lab's own devicetypes/ directory.
package devicetypes

import "embed"

// FS holds every built-in device type file (*.hcl).
//
//go:embed *.hcl
var FS embed.FS
