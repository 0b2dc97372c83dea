package pipelinetest

import (
	"sync"

	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

// recorder keeps the job log of a run.
type recorder struct {
	mu   sync.Mutex
	logs []string
}

// env is a pipeline.RunEnv whose hosts are the SDK's fake (no console).
type env struct{ rec *recorder }

func (e env) Host(string, sdk.Call) sdk.Host { return sdktest.NewHost("") }
func (e env) Log(_ sdk.LogLevel, msg string) {
	e.rec.mu.Lock()
	e.rec.logs = append(e.rec.logs, msg)
	e.rec.mu.Unlock()
}
func (e env) Result(sdk.Result)                {}
func (e env) ActionStart(pipeline.ActionEvent) {}
func (e env) ActionEnd(pipeline.ActionEvent)   {}
