package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/lavacore/lavacore/core/job"
	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/core/pluginhost"
	"github.com/lavacore/lavacore/sdk"
)

// plugins is one command's view of the installed plugins: the catalog of
// the plugin path (read once, without starting anything) and the registry
// that starts a plugin when the job needs one of its methods. Validate,
// describe and run all use it; nothing else knows a method.
type plugins struct {
	reg *pluginhost.Registry
}

// openPlugins scans the plugin path. Unusable plugins are reported on stderr
// as warnings (a job that needs one fails on its own terms).
func openPlugins(cmd string, stderr io.Writer) *plugins {
	cat := pluginhost.Scan(pluginhost.Dirs())
	for _, p := range cat.Problems() {
		fmt.Fprintf(stderr, "lavacore %s: warning: %s\n", cmd, p)
	}
	if len(cat.Entries) == 0 {
		fmt.Fprintf(stderr, "lavacore %s: warning: no plugins in %s (make build installs lavacore's own beside the binary)\n",
			cmd, strings.Join(cat.Dirs, ", "))
	}
	return &plugins{reg: cat.Open(pluginhost.Options{Log: stderr})}
}

// registry is the pipeline's view of the plugins' methods.
func (p *plugins) registry() pipeline.Registry { return p.reg }

// jobOptions checks a job against the installed methods' manifests.
func (p *plugins) jobOptions() job.Options {
	return job.Options{Methods: append([]sdk.MethodInfo{}, p.reg.Catalog().Methods()...)}
}

// prepare starts, concurrently, the plugins the sub-jobs use.
func (p *plugins) prepare(ctx context.Context, jobs ...*job.Job) error {
	var blocks []sdk.Block
	for _, j := range jobs {
		blocks = append(blocks, pipeline.JobInfo(j).Blocks...)
	}
	return p.reg.Prepare(ctx, blocks)
}

// protocol opens a client of the named protocol (runner.ProtocolFactory).
func (p *plugins) protocol(name string) (sdk.Protocol, error) { return p.reg.Protocol(name) }

// close stops every plugin started.
func (p *plugins) close() { p.reg.Close() }
