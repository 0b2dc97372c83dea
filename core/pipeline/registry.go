// Package pipeline builds LAVA's action tree from a job and a device and runs it.
//
// Build asks the Registry for the method of each job block (LAVA's
// strategies: Accepts, highest priority first), takes the actions the method
// declares (Describe), numbers them with LAVA's level counters (1, 1.1,
// 1.1.5, 2.10), resolves their timeouts with LAVA's six-step precedence and
// their max_retries (failure_retry, repeat, boot_retry), and appends finalize.
// Describe prints the tree in LAVA's pipeline_refs shape. Validate asks each
// method to check its block. Run drives the tree under nested context
// deadlines, with LAVA's retries, and always runs finalize and the Cleanup of
// every started action, newest first.
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

// StaticRegistry is an in-process Registry of Go values.
type StaticRegistry struct {
	all   []sdk.Method
	byKey map[string][]sdk.Method
}

// NewStaticRegistry registers methods in order (earlier wins among equal priorities).
func NewStaticRegistry(methods ...sdk.Method) *StaticRegistry {
	r := &StaticRegistry{byKey: map[string][]sdk.Method{}}
	for _, m := range methods {
		r.Add(m)
	}
	return r
}

// Add registers one more method.
func (r *StaticRegistry) Add(m sdk.Method) {
	r.all = append(r.all, m)
	k := m.Info().Key()
	r.byKey[k] = append(r.byKey[k], m)
}

// Methods implements Registry.
func (r *StaticRegistry) Methods(section sdk.Section, name string) []sdk.Method {
	return r.byKey[string(section)+"/"+name]
}

// All implements Registry.
func (r *StaticRegistry) All() []sdk.Method { return r.all }
