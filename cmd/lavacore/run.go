package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/core/job"
	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/core/runner"
)

const runUsage = `usage: lavacore run JOB.yaml [--lab DIR] [flags]

Runs the job: validates it, splits a MultiNode job into its sub-jobs, picks a
device of the lab for each, builds each pipeline and runs them all at once with
an embedded coordinator. Every (sub-)job writes log.yaml, results.yaml,
junit.xml, description.yaml, result.yaml and its console transcripts into its
output directory; a MultiNode job also writes summary.yaml.

Exit status: 0 when the job is Complete, 1 when it is Incomplete or Canceled,
2 for bad usage or an invalid job.
`

// runOptions are the flags of `lavacore run`.
type runOptions struct {
	Lab         string
	OutputDir   string
	JobID       string
	Role        string
	SubID       int
	Device      string
	Coordinator string
	Output      string
	Console     bool
	Debug       bool
}

func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o runOptions
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, runUsage, "\nflags:\n"); fs.PrintDefaults() }
	fs.StringVar(&o.Lab, "lab", defaultLabDir(), "lab directory (lab.hcl, devices/*.hcl); default $LAVACORE_LAB_DIR, else ./lab")
	fs.StringVar(&o.OutputDir, "output-dir", "", "output directory (default ./lavacore-out/<job name>)")
	fs.StringVar(&o.JobID, "job-id", "", "numeric job id (default: from the clock); sub-job i gets id+i")
	fs.StringVar(&o.Role, "role", "", "run only this MultiNode role")
	fs.IntVar(&o.SubID, "sub-id", -1, "with --role: run only this sub_id")
	fs.StringVar(&o.Device, "device", "", "run on this device of the lab")
	fs.StringVar(&o.Coordinator, "coordinator", "", "HOST:PORT of a coordinator for groups that span machines (default: embedded)")
	fs.StringVar(&o.Output, "output", "text", "terminal output: text or json (NDJSON records)")
	fs.BoolVar(&o.Console, "console", false, "show console output on the terminal")
	fs.BoolVar(&o.Debug, "debug", false, "show debug records on the terminal")
	jobFile, code, ok := parseJobArgs(fs, args)
	if !ok {
		return code
	}
	if o.Output != "text" && o.Output != "json" {
		fmt.Fprintf(stderr, "lavacore run: --output must be text or json, not %q\n", o.Output)
		return 2
	}
	pl := openPlugins("run", stderr)
	defer pl.close()
	reg := pl.registry()
	j, diags := job.LoadWith(jobFile, pl.jobOptions())
	if len(diags) > 0 {
		for _, d := range diags {
			fmt.Fprintln(stderr, d.String())
		}
		fmt.Fprintf(stderr, "lavacore run: %s is not a valid job (%d problems)\n", jobFile, len(diags))
		return 2
	}
	lab, hdiags := device.LoadLab(o.Lab, device.LoadOptions{Spec: pipeline.SpecFunc(reg)})
	if hdiags.HasErrors() {
		_ = device.WriteDiagnostics(stderr, lab.Files(), hdiags, 100, false)
		fmt.Fprintf(stderr, "lavacore run: the lab %s has errors\n", o.Lab)
		return 2
	}
	if subs, err := job.Split(j); err == nil {
		if o.Role != "" {
			subs = slices.DeleteFunc(subs, func(s *job.Job) bool { return s.Role != o.Role })
		}
		// start the plugins the job uses, all at once (a broken one fails the
		// action that needs it, with its reason)
		if err := pl.prepare(ctx, subs...); err != nil {
			fmt.Fprintf(stderr, "lavacore run: warning: %v\n", err)
		}
	}
	if o.OutputDir == "" {
		o.OutputDir = filepath.Join("lavacore-out", runner.Slug(j.Name))
	}
	out, err := runner.Run(ctx, runner.Options{
		Job: j, Lab: lab, OutputDir: o.OutputDir, JobID: o.JobID, Role: o.Role, SubID: o.SubID,
		Device: o.Device, Coordinator: o.Coordinator, Registry: reg, Protocols: pl.protocol,
		Stdout: stdout, JSON: o.Output == "json", Console: o.Console, Debug: o.Debug,
	})
	if err != nil {
		fmt.Fprintf(stderr, "lavacore run: %v\n", err)
		return 1
	}
	if o.Output == "text" {
		fmt.Fprintf(stdout, "\n%s: %s (output in %s)\n", j.Name, out.Health, o.OutputDir)
		for _, s := range out.SubJobs {
			line := fmt.Sprintf("  job %s", s.JobID)
			if s.Role != "" {
				line += fmt.Sprintf(" %s.%d", s.Role, s.SubID)
			}
			line += ": " + s.Health
			if t := s.Timing; t != nil {
				line += fmt.Sprintf(" in %s (board %s", t.Wall, t.Board)
				if t.Group != "" {
					line += ", waiting for the group " + t.Group
				}
				line += ", lavacore " + t.Lavacore + ")"
			}
			if s.Error != "" {
				line += fmt.Sprintf(" — %s: %s", s.Type, s.Error)
			}
			fmt.Fprintln(stdout, line)
		}
	}
	if !out.OK() {
		return 1
	}
	return 0
}

// splitPositional takes the first argument that is not a flag as the job file,
// so `lavacore run job.yaml --lab D` works as well as `lavacore run --lab D job.yaml`.
// parseJobArgs parses a command's flags around its job file (`lavacore X
// JOB.yaml --flag` or `lavacore X --flag JOB.yaml`). ok is false when the
// command should exit with code: 0 for -h, 2 for bad flags or no job file
// (the usage has been printed).
func parseJobArgs(fs *flag.FlagSet, args []string) (file string, code int, ok bool) {
	file, rest := splitPositional(args)
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", 0, false
		}
		return "", 2, false
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	if file == "" {
		fs.Usage()
		return "", 2, false
	}
	return file, 0, true
}

func splitPositional(args []string) (string, []string) {
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		return args[0], args[1:]
	}
	return "", args
}
