package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/lavacore/lavacore/core/job"
)

const validateUsage = `usage: lavacore validate JOB.yaml [--lab DIR | --lava-device DEVICE.yaml] [--lava-version YYYY.MM]

Checks the job against LAVA's job schema (top-level keys, timeouts, protocols,
context, action blocks, each method's block against the job parameters its
plugin's manifest declares) and LAVA's cross-field rules, without starting a
plugin. With --lab it also builds every sub-job's pipeline on the lab's devices
(methods accept the blocks, command sets exist), starting the plugins the job
uses; --lava-device does the same on a device file rendered by LAVA (as
lava-run --device takes it). Every problem is printed as
file:line:col: <path>: <message>; the exit status is 1 when there is one.
A key written twice in one mapping is a warning (LAVA keeps the last value);
with --strict it is a problem too.
`

func runValidate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, validateUsage, "\nflags:\n"); fs.PrintDefaults() }
	var src deviceSource
	fs.StringVar(&src.Lab, "lab", "", "also check the job against this lab's devices and the pipeline")
	src.register(fs)
	strict := fs.Bool("strict", false, "refuse duplicate keys (LAVA silently keeps the last one)")
	file, code, ok := parseJobArgs(fs, args)
	if !ok {
		return code
	}
	src.parsed(fs)
	if !src.checkVersion("validate", stderr) {
		return 2
	}
	pl := openPlugins("validate", stderr)
	defer pl.close()
	jo := pl.jobOptions()
	jo.StrictKeys = *strict
	j, diags := jo.Load(file)
	if j != nil {
		for _, w := range j.Warnings {
			fmt.Fprintf(stderr, "%s (warning)\n", w)
		}
	}
	if j != nil && len(diags) == 0 {
		diags = append(diags, job.LintMultiNode(j)...)
	}
	problems := make([]string, 0, len(diags))
	for _, d := range diags {
		problems = append(problems, d.String())
	}
	if j != nil && len(diags) == 0 {
		problems = append(problems, validatePipelines(ctx, pl, j, src)...)
	}
	for _, p := range problems {
		fmt.Fprintln(stderr, p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "%s: %d problem(s)\n", file, len(problems))
		return 1
	}
	subs, err := job.Split(j)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", file, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: valid (%d actions, %d sub-jobs)\n", file, len(j.Actions), len(subs))
	return 0
}
