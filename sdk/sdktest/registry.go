package sdktest

import (
	"testing"

	"github.com/lavacore/lavacore/sdk"
)

// Registry is a method registry for tests, shaped as the host's
// (core/pipeline.Registry): methods by "<section>/<name>", in order. Its
// methods are served over an in-memory go-plugin gRPC connection (see
// Serve), so a test that builds or runs a pipeline with them sees what the
// host sees of a plugin process, without building one.
type Registry struct {
	all   []sdk.Method
	byKey map[string][]sdk.Method
}

// NewRegistry serves methods over the wire (closed when the test ends) and
// registers them. Each method's Info is its own, as the host reads it from
// the plugin's recorded manifest (JobParams included).
func NewRegistry(t testing.TB, methods ...sdk.Method) *Registry {
	t.Helper()
	r := &Registry{byKey: map[string][]sdk.Method{}}
	if len(methods) == 0 {
		return r
	}
	served := Serve(t, methods...)
	for i, m := range served {
		r.add(manifestInfo{Method: m, info: methods[i].Info()})
	}
	return r
}

// Add registers methods in process, without the wire (test doubles).
func (r *Registry) Add(methods ...sdk.Method) *Registry {
	for _, m := range methods {
		r.add(m)
	}
	return r
}

func (r *Registry) add(m sdk.Method) {
	r.all = append(r.all, m)
	k := m.Info().Key()
	r.byKey[k] = append(r.byKey[k], m)
}

// Methods returns the methods registered for section/name.
func (r *Registry) Methods(section sdk.Section, name string) []sdk.Method {
	return r.byKey[string(section)+"/"+name]
}

// All returns every registered method.
func (r *Registry) All() []sdk.Method { return r.all }

// Infos lists the registered methods' Info (what core/job validates a job against).
func (r *Registry) Infos() []sdk.MethodInfo {
	out := make([]sdk.MethodInfo, len(r.all))
	for i, m := range r.all {
		out[i] = m.Info()
	}
	return out
}

// manifestInfo is a served method with the Info its manifest records.
type manifestInfo struct {
	sdk.Method
	info sdk.MethodInfo
}

func (m manifestInfo) Info() sdk.MethodInfo { return m.info }
