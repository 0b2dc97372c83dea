package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lavacore/lavacore/core/htmlreport"
)

const reportLong = `Rebuilds OUTPUT_DIR/report.html from what a run left in its output directory
(log.yaml, results.yaml and result.yaml of the job, or of each sub-job of a
MultiNode group in its own sub-directory): one self-contained page, with no
network access needed, that shows the group's timeline (a lane per sub-job,
a bar per action, lava-send → lava-wait / lava-sync as arrows), the console
lines each action saw, the results per test definition and every error.
lavacore run writes it at the end of every run.`

func newReportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "report OUTPUT_DIR",
		Short: "rebuild report.html (the group's timeline, console lines, results) from a run's output directory",
		Long:  reportLong,
		Args:  exactArgs(1, "a run's output directory"),
		RunE: func(c *cobra.Command, args []string) error {
			path, err := htmlreport.WriteFile(args[0])
			if err != nil {
				fmt.Fprintf(c.ErrOrStderr(), "lavacore report: %v\n", err)
				return exit(exitFailed)
			}
			fmt.Fprintln(c.OutOrStdout(), path)
			return nil
		},
	}
}
