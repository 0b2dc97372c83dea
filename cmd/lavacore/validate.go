package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/lavacore/lavacore/core/job"
)

const validateLong = `Checks each job file against LAVA's job schema (top-level keys, timeouts,
protocols, context, action blocks, each method's block against the job
parameters its plugin's manifest declares) and LAVA's cross-field rules,
without starting a plugin. With --lab it also builds every sub-job's pipeline
on the lab's devices (methods accept the blocks, command sets exist), starting
the plugins the job uses; --lava-device does the same on a device file
rendered by LAVA (as lava-run --device takes it). Without either, no lab is
read. Every problem is printed on stderr as file:line:col: <path>: <message>;
the exit status is 2 when a file has one. A key written twice in one mapping
is a warning (LAVA keeps the last value); with --strict it is a problem too.

Several files are checked one after the other. --output json prints a list
with one object per file: file, valid, actions, sub_jobs, problems (file,
line, column, path, message, text) and warnings.`

// validateOptions are the flags of `lavacore validate`.
type validateOptions struct {
	src    deviceSource
	strict bool
	output string
}

func newValidateCmd() *cobra.Command {
	var o validateOptions
	c := &cobra.Command{
		Use:   "validate JOB.yaml... [--lab DIR | --lava-device DEVICE.yaml] [--lava-version YYYY.MM]",
		Short: "check LAVA job files and list every problem as file:line:col: path: message",
		Long:  validateLong,
		RunE: func(c *cobra.Command, files []string) error {
			o.src.labSet = c.Flags().Changed("lab")
			if err := checkOutput(o.output, "text", "json"); err != nil {
				return err
			}
			if !o.src.checkVersion("validate", c.ErrOrStderr()) {
				return exit(exitInvalid)
			}
			return exit(runValidate(c.Context(), o, files, c.OutOrStdout(), c.ErrOrStderr()))
		},
	}
	c.Args = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return usagef("missing JOB.yaml")
		}
		return nil
	}
	f := c.Flags()
	f.StringVar(&o.src.Lab, "lab", "", "also check the job against this lab's devices and build the pipelines")
	o.src.register(f)
	f.BoolVar(&o.strict, "strict", false, "refuse duplicate keys (LAVA silently keeps the last one)")
	outputFlag(f, &o.output, "text")
	return c
}

// validateResult is one file's outcome (--output json).
type validateResult struct {
	File     string            `json:"file"`
	Valid    bool              `json:"valid"`
	Actions  int               `json:"actions"`
	SubJobs  int               `json:"sub_jobs"`
	Problems []validateProblem `json:"problems"`
	Warnings []validateProblem `json:"warnings"`
}

// validateProblem is a problem; file, line, column and path are set when it
// is about a place in the job file, text is the line printed in text mode.
type validateProblem struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
	Text    string `json:"text"`
}

func problemOf(d job.Diagnostic) validateProblem {
	return validateProblem{File: d.Pos.File, Line: d.Pos.Line, Column: d.Pos.Column, Path: d.Path, Message: d.Msg, Text: d.String()}
}

// runValidate checks every file; the status is the worst of them.
func runValidate(ctx context.Context, o validateOptions, files []string, stdout, stderr io.Writer) int {
	pl := openPlugins("validate", stderr)
	defer pl.close()
	code := exitOK
	results := []validateResult{}
	for _, file := range files {
		r := validateFile(ctx, pl, o, file)
		results = append(results, r)
		if o.output == "text" {
			for _, w := range r.Warnings {
				fmt.Fprintf(stderr, "%s (warning)\n", w.Text)
			}
			for _, p := range r.Problems {
				fmt.Fprintln(stderr, p.Text)
			}
			if r.Valid {
				fmt.Fprintf(stdout, "%s: valid (%d actions, %d sub-jobs)\n", file, r.Actions, r.SubJobs)
			} else {
				fmt.Fprintf(stderr, "%s: %d problem(s)\n", file, len(r.Problems))
			}
		}
		if !r.Valid {
			code = exitInvalid
		}
	}
	if o.output == "json" {
		if err := writeJSON(stdout, results); err != nil {
			fmt.Fprintf(stderr, "lavacore validate: %v\n", err)
			return exitFailed
		}
	}
	return code
}

// validateFile checks one job file.
func validateFile(ctx context.Context, pl *plugins, o validateOptions, file string) validateResult {
	r := validateResult{File: file, Problems: []validateProblem{}, Warnings: []validateProblem{}}
	jo := pl.jobOptions()
	jo.StrictKeys = o.strict
	j, diags := jo.Load(file)
	if j != nil {
		for _, w := range j.Warnings {
			r.Warnings = append(r.Warnings, problemOf(w))
		}
	}
	if j != nil && len(diags) == 0 {
		diags = append(diags, job.LintMultiNode(j)...)
	}
	for _, d := range diags {
		r.Problems = append(r.Problems, problemOf(d))
	}
	if j != nil && len(diags) == 0 {
		for _, p := range validatePipelines(ctx, pl, j, o.src) {
			r.Problems = append(r.Problems, validateProblem{Message: p, Text: p})
		}
	}
	if len(r.Problems) > 0 {
		return r
	}
	subs, err := job.Split(j)
	if err != nil {
		msg := fmt.Sprintf("%s: %v", file, err)
		r.Problems = append(r.Problems, validateProblem{File: file, Message: err.Error(), Text: msg})
		return r
	}
	r.Valid, r.Actions, r.SubJobs = true, len(j.Actions), len(subs)
	return r
}
