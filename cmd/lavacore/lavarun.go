package main

import (
	"context"
	"io"
	"path/filepath"

	"github.com/lavacore/lavacore/core/job"
	"github.com/lavacore/lavacore/core/lavarun"
	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/sdk"
)

// lavaRunName is the name lavacore answers to as LAVA's dispatcher (a
// lava-run symlink on a worker's PATH; lava-worker checks that the
// process's command line holds it).
const lavaRunName = "lava-run"

// asLavaRun makes `lava-run ARGS` (lavacore started through a lava-run
// symlink) the same as `lavacore lava-run ARGS`.
func asLavaRun(argv0 string, args []string) []string {
	if filepath.Base(argv0) == lavaRunName {
		return append([]string{lavaRunName}, args...)
	}
	return args
}

// runLavaRun is `lavacore lava-run`: LAVA's lava-run command line, run by
// core/lavarun with lavacore's plugins.
func runLavaRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return lavarun.Main(ctx, args, lavarun.Env{
		Prog: lavaRunName, Stdout: stdout, Stderr: stderr,
		OpenPlugins: func() lavarun.Plugins { return lavaRunPlugins{openPlugins(lavaRunName, stderr)} },
		UserAgent:   "lavacore lava-run",
	})
}

// lavaRunPlugins is the command's plugins as lavarun.Plugins.
type lavaRunPlugins struct{ p *plugins }

func (l lavaRunPlugins) Registry() pipeline.Registry { return l.p.registry() }
func (l lavaRunPlugins) JobOptions() job.Options     { return l.p.jobOptions() }
func (l lavaRunPlugins) Prepare(ctx context.Context, jobs ...*job.Job) error {
	return l.p.prepare(ctx, jobs...)
}
func (l lavaRunPlugins) Close()                                     { l.p.close() }
func (l lavaRunPlugins) Protocol(name string) (sdk.Protocol, error) { return l.p.protocol(name) }
