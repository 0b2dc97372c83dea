// Package pipeline builds LAVA's action tree from a job and a device and runs it.
package pipeline

import "github.com/lavacore/lavacore/sdk"

// Registry finds the methods that may serve a job block. The in-process registry
// holds Go values; core/pluginhost provides one backed by plugin processes.
type Registry interface {
	// Methods returns every method registered for section/name (several may
	// compete; Accepts decides, as LAVA's strategies do).
	Methods(section sdk.Section, name string) []sdk.Method
	// All returns every registered method.
	All() []sdk.Method
}
