package runner

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/sdk"
)

func TestActionResults(t *testing.T) {
	ev := func(level, name string, err error) pipeline.ActionEvent {
		return pipeline.ActionEvent{Level: level, Name: name, Namespace: "common", Duration: 1500 * time.Millisecond, Err: err}
	}
	for _, c := range []struct {
		name string
		run  func(a *actionResults)
		want []sdk.Result
	}{
		{"an action's results are logged when it ends, with its duration and namespace", func(a *actionResults) {
			a.start(ev("1.2.1", "http-download", nil))
			a.add("common", sdk.Result{Definition: "lava", Case: "http-download", Level: "1.2.1", Duration: "0.20", Result: "pass",
				Extra: map[string]any{"label": "kernel"}})
			a.add("common", sdk.Result{Definition: "lava", Case: "http-download", Level: "1.2.1", Extra: map[string]any{"size": 3}})
			a.end(ev("1.2.1", "http-download", nil))
		}, []sdk.Result{{Definition: "lava", Case: "http-download", Level: "1.2.1", Duration: "1.50", Result: "pass",
			Extra: map[string]any{"label": "kernel", "size": 3, "namespace": "common"}}}},
		{"an action without results that succeeds logs nothing", func(a *actionResults) {
			a.start(ev("2.3", "connect-device", nil))
			a.end(ev("2.3", "connect-device", nil))
		}, nil},
		{"an action that fails logs fail with the error, as LAVA's", func(a *actionResults) {
			a.start(ev("4.1", "power-off", nil))
			a.end(ev("4.1", "power-off", errors.New("power-off timed out after 20 seconds")))
		}, []sdk.Result{{Definition: "lava", Case: "power-off", Level: "4.1", Duration: "1.50", Result: "fail",
			Extra: map[string]any{"fail": "power-off timed out after 20 seconds", "namespace": "common"}}}},
		{"a result of another case is logged at once; a test run gets its namespace", func(a *actionResults) {
			a.start(ev("2.7.1", "login-action", nil))
			a.add("common", sdk.Result{Definition: "lava", Case: "kernel-messages", Level: "2.7.1", Result: "pass"})
			a.add("common", sdk.Result{Definition: "lava", Case: "0_smoke", Result: "pass", Extra: map[string]any{"uuid": "1_1.1"}})
			a.add("common", sdk.Result{Definition: "0_smoke", Case: "pwd", Result: "pass"})
		}, []sdk.Result{
			{Definition: "lava", Case: "kernel-messages", Level: "2.7.1", Result: "pass", Extra: map[string]any{"namespace": "common"}},
			{Definition: "lava", Case: "0_smoke", Result: "pass", Extra: map[string]any{"uuid": "1_1.1", "namespace": "common"}},
			{Definition: "0_smoke", Case: "pwd", Result: "pass"},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []sdk.Result
			a := newActionResults(func(r sdk.Result) { got = append(got, r) })
			c.run(a)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}
