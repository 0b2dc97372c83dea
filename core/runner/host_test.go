package runner

import (
	"context"
	"errors"
	"testing"

	"github.com/lavacore/lavacore/sdk"
)

// fakeLog is a job log whose writes fail once err is set.
type fakeLog struct {
	recs []string
	err  error
}

func (l *fakeLog) Add(lvl string, msg any) { l.recs = append(l.recs, lvl) }
func (l *fakeLog) Err() error              { return l.err }

// failProto is a protocol whose calls fail with err.
type failProto struct{ err error }

func (failProto) Name() string                                        { return "lava-multinode" }
func (failProto) Configure(context.Context, sdk.ProtocolConfig) error { return nil }
func (p failProto) Call(context.Context, map[string]any) (map[string]any, error) {
	return nil, p.err
}
func (failProto) Finalize(context.Context, bool) error { return nil }

// TestHostProtocolErrors: a protocol's failure names the protocol once,
// whether or not the protocol named itself (by type, not by its text).
func TestHostProtocolErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"unnamed", sdk.JobErrorf("Missing messageID"), "lava-multinode: Missing messageID"},
		{"named by the protocol", &sdk.ProtocolError{Protocol: "lava-multinode", Err: sdk.JobErrorf("lava_sync s: timed out")},
			"lava-multinode: lava_sync s: timed out"},
		{"text that looks named", sdk.JobErrorf("lava-multinode: said by someone else"),
			"lava-multinode: lava-multinode: said by someone else"},
		{"another protocol's", &sdk.ProtocolError{Protocol: "lava-vland", Err: sdk.JobErrorf("x")}, "lava-multinode: lava-vland: x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sh := newSubjobHost(nil, nil, &fakeLog{}, func(string, sdk.Result) {}, map[string]sdk.Protocol{"lava-multinode": failProto{tc.err}})
			_, err := sh.view("common").Protocol(context.Background(), "lava-multinode", map[string]any{"request": "lava-sync"})
			var pe *sdk.ProtocolError
			if err == nil || err.Error() != tc.want || !errors.As(err, &pe) || pe.Protocol != "lava-multinode" {
				t.Errorf("got %v, want %q naming lava-multinode", err, tc.want)
			}
			if sdk.TypeOf(err) != sdk.TypeOf(tc.err) {
				t.Errorf("type %s, want %s", sdk.TypeOf(err), sdk.TypeOf(tc.err))
			}
		})
	}
}

// TestHostCallFailures: the host's Log, Result and Set return their
// failures: a job log that cannot be written, a value that is not JSON.
func TestHostCallFailures(t *testing.T) {
	log := &fakeLog{}
	var results []sdk.Result
	h := newSubjobHost(nil, nil, log, func(_ string, r sdk.Result) { results = append(results, r) }, nil).view("common")
	if err := h.Log(sdk.LevelInfo, "x"); err != nil {
		t.Fatal(err)
	}
	if err := h.Set("a", "l", "k", `{"v": 1}`); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := h.Get("a", "l", "k"); v != `{"v": 1}` || !ok || err != nil {
		t.Fatalf("Get: %q %v %v", v, ok, err)
	}
	if err := h.Set("a", "l", "k", "not json"); sdk.TypeOf(err) != sdk.Bug {
		t.Errorf("Set of a value that is not JSON: %v", err)
	}
	log.err = errors.New("write log.yaml: no space left on device")
	for name, err := range map[string]error{
		"log":    h.Log(sdk.LevelInfo, "y"),
		"result": h.Result(sdk.Result{Definition: "lava", Case: "c", Result: "pass"}),
	} {
		if sdk.TypeOf(err) != sdk.Infrastructure || !errors.Is(err, log.err) {
			t.Errorf("%s with a broken job log: %v (%s)", name, err, sdk.TypeOf(err))
		}
	}
	if len(results) != 1 {
		t.Errorf("the result was not kept: %v", results)
	}
}
