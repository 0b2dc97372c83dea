package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/lavacore/lavacore/core/htmlreport"
)

const reportUsage = `usage: lavacore report OUTPUT_DIR

Rebuilds OUTPUT_DIR/report.html from what a run left in its output directory
(log.yaml, results.yaml and result.yaml of the job, or of each sub-job of a
MultiNode group in its own sub-directory): one self-contained page, with no
network access needed, that shows the group's timeline (a lane per sub-job,
a bar per action, lava-send → lava-wait / lava-sync as arrows), the console
lines each action saw, the results per test definition and every error.
lavacore run writes it at the end of every run.

Exit status: 0 when the report was written, 1 when the directory cannot be
read as a run's output, 2 for bad usage.
`

func runReport(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, reportUsage) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	path, err := htmlreport.WriteFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "lavacore report: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, path)
	return 0
}
