package runner

import (
	"fmt"
	"sync"

	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/sdk"
)

// actionResults is LAVA's log_action_results: an action's own results are
// logged once, when it ends, as {definition: lava, namespace, case: <action>,
// level, duration, result, extra}. A method gives its action results with
// host.Result(sdk.Result{Definition: "lava", Case: call.Action, Level:
// call.Level, Extra: …}); several such results of one run are merged, as
// LAVA's results.update. The duration is the action's; the result is fail
// when the action failed (extra "fail": the error, as LAVA's) or a method
// said fail, else pass. An action that fails without results of its own
// still gets one. Other results are logged when they come, a lava suite
// result of a test run with its namespace.
type actionResults struct {
	mu      sync.Mutex
	running map[string]bool
	pending map[string]*sdk.Result
	emit    func(sdk.Result)
}

func newActionResults(emit func(sdk.Result)) *actionResults {
	return &actionResults{running: map[string]bool{}, pending: map[string]*sdk.Result{}, emit: emit}
}

func actionKey(level, name string) string { return level + " " + name }

func (a *actionResults) start(ev pipeline.ActionEvent) {
	a.mu.Lock()
	a.running[actionKey(ev.Level, ev.Name)] = true
	a.mu.Unlock()
}

// add takes a result a method gave in namespace ns.
func (a *actionResults) add(ns string, r sdk.Result) {
	if r.Definition == "lava" {
		key := actionKey(r.Level, r.Case)
		a.mu.Lock()
		if r.Level != "" && a.running[key] {
			p := a.pending[key]
			if p == nil {
				p = &sdk.Result{Definition: "lava", Case: r.Case, Level: r.Level, Extra: map[string]any{}}
				a.pending[key] = p
			}
			for k, v := range r.Extra {
				p.Extra[k] = v
			}
			if r.Result == "fail" || p.Result == "" {
				p.Result = r.Result
			}
			a.mu.Unlock()
			return
		}
		a.mu.Unlock()
		if _, run := r.Extra["uuid"]; (r.Level != "" || run) && ns != "" {
			if _, ok := r.Extra["namespace"]; !ok {
				extra := make(map[string]any, len(r.Extra)+1)
				for k, v := range r.Extra {
					extra[k] = v
				}
				extra["namespace"] = ns
				r.Extra = extra
			}
		}
	}
	a.emit(r)
}

// end logs the results of the action that ended, if it has any or failed.
func (a *actionResults) end(ev pipeline.ActionEvent) {
	key := actionKey(ev.Level, ev.Name)
	a.mu.Lock()
	p := a.pending[key]
	delete(a.pending, key)
	delete(a.running, key)
	a.mu.Unlock()
	if p == nil && ev.Err == nil {
		return
	}
	if p == nil {
		p = &sdk.Result{Definition: "lava", Case: ev.Name, Level: ev.Level, Extra: map[string]any{}}
	}
	if ev.Err != nil {
		p.Result = "fail"
		p.Extra["fail"] = ev.Err.Error()
	} else if p.Result != "fail" {
		p.Result = "pass"
	}
	p.Duration = fmt.Sprintf("%.02f", ev.Duration.Seconds())
	p.Extra["namespace"] = ev.Namespace
	a.emit(*p)
}
