package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/sdk"
)

// Registry is a Catalog's methods as a pipeline.Registry. It starts a plugin
// only when one of its methods is first called (or Prepare asks for it), so
// a job starts only the plugins it uses; the methods' Info comes from the
// recorded manifests. Close stops every plugin it started.
type Registry struct {
	cat     *Catalog
	opts    Options
	all     []sdk.Method
	byKey   map[string][]sdk.Method
	mu      sync.Mutex
	started map[*Entry]*starting
}

// starting is one plugin's start, shared by every caller.
type starting struct {
	done chan struct{}
	p    *Plugin
	err  error
}

// Open returns the catalog's registry; it starts nothing.
func (c *Catalog) Open(opts Options) *Registry {
	r := &Registry{cat: c, opts: opts, byKey: map[string][]sdk.Method{}, started: map[*Entry]*starting{}}
	for _, e := range c.Entries {
		if !e.Usable() {
			continue
		}
		for i, info := range e.Manifest.Methods {
			if _, gone := e.Overridden[info.Key()]; gone {
				continue
			}
			m := newLazyMethod(r, e, info, i)
			r.all = append(r.all, m)
			r.byKey[info.Key()] = append(r.byKey[info.Key()], m)
		}
	}
	return r
}

var _ pipeline.Registry = (*Registry)(nil)

// Catalog is the catalog the registry serves.
func (r *Registry) Catalog() *Catalog { return r.cat }

// Methods implements pipeline.Registry.
func (r *Registry) Methods(section sdk.Section, name string) []sdk.Method {
	return r.byKey[string(section)+"/"+name]
}

// All implements pipeline.Registry.
func (r *Registry) All() []sdk.Method { return r.all }

// Prepare starts, concurrently, every plugin that may serve one of blocks
// (for a command block, every plugin with a command method, as
// pipeline.Select asks them all). The error lists the plugins that failed.
func (r *Registry) Prepare(ctx context.Context, blocks []sdk.Block) error {
	need := map[*Entry]bool{}
	for _, b := range blocks {
		for _, m := range r.Methods(b.Section, b.Method) {
			need[m.(*lazyMethod).e] = true
		}
		if b.Section == sdk.SectionCommand {
			for _, m := range r.all {
				if m.Info().Section == sdk.SectionCommand {
					need[m.(*lazyMethod).e] = true
				}
			}
		}
	}
	errs := make(chan error, len(need))
	for e := range need {
		go func() { _, err := r.plugin(ctx, e); errs <- err }()
	}
	var all []error
	for range need {
		all = append(all, <-errs)
	}
	return errors.Join(all...)
}

// plugin returns the started plugin of e, starting it once.
func (r *Registry) plugin(ctx context.Context, e *Entry) (*Plugin, error) {
	r.mu.Lock()
	s := r.started[e]
	first := s == nil
	if first {
		s = &starting{done: make(chan struct{})}
		r.started[e] = s
	}
	r.mu.Unlock()
	if first {
		s.p, s.err = startChecked(ctx, e, r.opts)
		close(s.done)
	}
	select {
	case <-s.done:
		return s.p, s.err
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for plugin %s to start: %w", e.Name, ctx.Err())
	}
}

// startChecked starts e's plugin and checks that it serves what its
// recorded manifest says.
func startChecked(ctx context.Context, e *Entry, opts Options) (*Plugin, error) {
	p, err := Start(ctx, e.Binary, opts)
	if err != nil {
		return nil, err
	}
	if got, want := keysOf(p.Manifest), keysOf(e.Manifest); got != want {
		p.Kill()
		return nil, fmt.Errorf("plugin %s: stale manifest: %s%s says it serves %s, the running plugin serves %s (run 'lavacore plugins checksum DIR')",
			e.Name, e.Path, ManifestSuffix, want, got)
	}
	return p, nil
}

func keysOf(m sdk.Manifest) string {
	e := Entry{Manifest: m}
	return fmt.Sprint(e.keys())
}

// Protocol returns a new client of the named protocol, starting the plugin
// that serves it (the shape of runner.ProtocolFactory).
func (r *Registry) Protocol(name string) (sdk.Protocol, error) {
	e := r.cat.ProtocolEntry(name)
	if e == nil {
		return nil, fmt.Errorf("no plugin serves protocol %q (plugins in %v)", name, r.cat.Dirs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := r.plugin(ctx, e)
	if err != nil {
		return nil, err
	}
	return p.OpenProtocol(ctx, name)
}

// Started lists the plugins started so far.
func (r *Registry) Started() []*Plugin {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*Plugin
	for _, s := range r.started {
		select {
		case <-s.done:
			if s.p != nil {
				out = append(out, s.p)
			}
		default:
		}
	}
	return out
}

// Close stops every plugin the registry started, in parallel (waiting for
// those still starting), then kills whatever still carries one of their
// instance marks (one pass over /proc for them all).
func (r *Registry) Close() {
	r.mu.Lock()
	var all []*starting
	for _, s := range r.started {
		all = append(all, s)
	}
	r.mu.Unlock()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var marks []string
	for _, s := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-s.done
			if s.p != nil {
				s.p.stop()
				mu.Lock()
				marks = append(marks, s.p.instance)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, pid := range markedAny(marks) {
		_ = killPid(pid)
	}
}

// stop is Kill without the pass over /proc (the caller makes it).
func (p *Plugin) stop() {
	p.mu.Lock()
	p.stopped = true
	c := p.client
	p.mu.Unlock()
	if c != nil {
		c.Kill()
	}
}

// markedAny lists the processes whose environment carries one of the instance marks.
func markedAny(instances []string) []int {
	if len(instances) == 0 {
		return nil
	}
	marks := make([][]byte, len(instances))
	for i, in := range instances {
		marks[i] = []byte(InstanceEnv + "=" + in + "\x00")
	}
	ents, _ := os.ReadDir("/proc")
	var out []int
	self := os.Getpid()
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil {
			continue
		}
		for _, m := range marks {
			if hasVar(env, m) {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}

// lazyMethod is a method of a catalog entry; a call starts its plugin.
type lazyMethod struct {
	proxy
	r     *Registry
	e     *Entry
	index int // in the manifest's Methods
}

func newLazyMethod(r *Registry, e *Entry, info sdk.MethodInfo, index int) *lazyMethod {
	m := &lazyMethod{r: r, e: e, index: index}
	m.proxy = proxy{info: info, remote: m.started}
	return m
}

// started is the started plugin's method.
func (m *lazyMethod) started(ctx context.Context) (sdk.Method, error) {
	p, err := m.r.plugin(ctx, m.e)
	if err != nil {
		return nil, sdk.InfraErrorf("%v", err)
	}
	ms := p.Methods()
	if m.index >= len(ms) || ms[m.index].Info().Key() != m.info.Key() {
		return nil, sdk.InfraErrorf("plugin %s no longer serves %s", m.e.Name, m.info.Key())
	}
	return ms[m.index], nil
}
