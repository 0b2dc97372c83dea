package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/lavacore/lavacore/core/htmlreport"
	"github.com/spf13/cobra"

	"github.com/lavacore/lavacore/core/job"
	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/core/report"
	"github.com/lavacore/lavacore/core/runner"
	"github.com/lavacore/lavacore/protocols/multinode/coordinator"
)

const runLong = `Runs the job: validates it, splits a MultiNode job into its sub-jobs, picks a
device of the lab for each, builds each pipeline and runs them all at once with
an embedded coordinator. Every (sub-)job writes log.yaml, results.yaml,
junit.xml, description.yaml, result.yaml and its console transcripts into its
output directory; a MultiNode job also writes summary.yaml. report.html (see
lavacore report) shows the whole run on one page. The default output
directory is ./lavacore-out/<job name>, the name reduced to letters, digits,
".", "_" and "-" (never "." or ".."); the results keep the job's own name.
The overlay tarballs, which hold the job's secrets, are written 0600 and
removed from the output directory's work/ after the run (--keep-overlay keeps them);
the rest of work/ (downloads, the NFS root's tarball) is removed too unless
--keep-work is given.
--lava-device runs
on a device file rendered by LAVA (the YAML lava-run --device takes); with an
explicit --lab it joins that lab, whose lab.hcl gives the dispatcher settings.

--output json prints NDJSON on stdout: every log record (LAVA's dt, lvl, msg)
with the job_id, role and sub_id of its sub-job, then one last record
{"outcome": {job_name, health, exit_status, sub_jobs: [{job_id, role, sub_id,
device, output_dir, health, error, error_type, duration (seconds)}]}}.`

// runOptions are the flags of `lavacore run`.
type runOptions struct {
	Lab         string
	LavaDevice  string
	OutputDir   string
	JobID       string
	Role        string
	SubID       int
	Device      string
	Coordinator string
	// CoordinatorSecretFile is the lab's coordinator secret (lavacore coordinator --secret-file).
	CoordinatorSecretFile string
	Output                string
	Progress              string
	Console               bool
	Debug                 bool
	KeepOverlay           bool
	KeepWork              bool
}

func newRunCmd() *cobra.Command {
	var o runOptions
	src := deviceSource{}
	c := &cobra.Command{
		Use:   "run JOB.yaml [--lab DIR | --lava-device DEVICE.yaml] [--lava-version YYYY.MM] [flags]",
		Short: "run a LAVA job on a lab's devices (every MultiNode sub-job, in one process)",
		Long:  runLong,
		Args:  exactArgs(1, "one JOB.yaml"),
		RunE: func(c *cobra.Command, args []string) error {
			src.Lab, o.LavaDevice = o.Lab, src.LavaDevice
			src.labSet = c.Flags().Changed("lab")
			if src.LavaDevice != "" && o.Device != "" {
				return usagef("--device names a lab device, --lava-device brings its own: use one")
			}
			if err := checkOutput(o.Output, "text", "json"); err != nil {
				return err
			}
			if !src.checkVersion("run", c.ErrOrStderr()) {
				return exit(exitInvalid)
			}
			return exit(runJob(c.Context(), o, src, args[0], c.OutOrStdout(), c.ErrOrStderr()))
		},
	}
	f := c.Flags()
	f.StringVar(&o.Lab, "lab", defaultLabDir(), labFlagUsage)
	f.StringVar(&o.OutputDir, "output-dir", "", "output directory (default ./lavacore-out/<job name, sanitised>)")
	f.StringVar(&o.JobID, "job-id", "", "numeric job id (default: from the clock); sub-job i gets id+i")
	f.StringVar(&o.Role, "role", "", "run only this MultiNode role")
	f.IntVar(&o.SubID, "sub-id", -1, "with --role: run only this sub_id")
	f.StringVar(&o.Device, "device", "", "run on this device of the lab")
	f.StringVar(&o.Coordinator, "coordinator", "", "HOST:PORT of a coordinator for groups that span machines (default: embedded)")
	f.StringVar(&o.CoordinatorSecretFile, "coordinator-secret-file", os.Getenv("LAVACORE_COORDINATOR_SECRET_FILE"),
		"with --coordinator: the lab's coordinator secret, to prove group membership (default $LAVACORE_COORDINATOR_SECRET_FILE)")
	outputFlag(f, &o.Output, "text")
	f.StringVar(&o.Progress, "progress", "auto", "text progress: auto (tty on a terminal), plain (lines for CI) or tty (status lines redrawn in place); NO_COLOR turns colours off")
	f.BoolVar(&o.Console, "console", false, "show console output on the terminal")
	f.BoolVar(&o.Debug, "debug", false, "show debug records on the terminal")
	f.BoolVar(&o.KeepOverlay, "keep-overlay", false, "keep the overlay tarballs (they hold the job's secrets) in the output directory after the run")
	f.BoolVar(&o.KeepWork, "keep-work", false, "keep the work directory (downloads; overlays only with --keep-overlay) in the output directory after the run")
	src.register(f)
	return c
}

// runJob runs the job file; o and src are the parsed flags.
func runJob(ctx context.Context, o runOptions, src deviceSource, jobFile string, stdout, stderr io.Writer) int {
	if err := report.CheckProgress(o.Progress); err != nil {
		fmt.Fprintf(stderr, "lavacore run: %v\n", err)
		return exitInvalid
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
		return exitInvalid
	}
	lab, pin, ok := src.load("run", j.DeviceType, pipeline.SpecFunc(reg), stderr)
	if !ok {
		return exitInvalid
	}
	if pin != "" {
		o.Device = pin
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
	if o.Coordinator != "" && o.CoordinatorSecretFile != "" {
		abs, err := filepath.Abs(o.CoordinatorSecretFile)
		if err != nil {
			fmt.Fprintf(stderr, "lavacore run: --coordinator-secret-file: %v\n", err)
			return exitInvalid
		}
		o.Coordinator = coordinator.Address{Addr: o.Coordinator, SecretFile: abs}.String()
	}
	out, err := runner.Run(ctx, runner.Options{
		Job: j, Lab: lab, OutputDir: o.OutputDir, JobID: o.JobID, Role: o.Role, SubID: o.SubID,
		Device: o.Device, Coordinator: o.Coordinator, Registry: reg, Protocols: pl.protocol,
		Stdout: stdout, JSON: o.Output == "json", Progress: o.Progress, Console: o.Console, Debug: o.Debug,
		KeepOverlay: o.KeepOverlay, KeepWork: o.KeepWork,
	})
	if err != nil {
		fmt.Fprintf(stderr, "lavacore run: %v\n", err)
		return runErrorStatus(err)
	}
	code := outcomeStatus(out)
	if o.Output == "json" {
		if err := writeOutcome(stdout, out, code); err != nil {
			fmt.Fprintf(stderr, "lavacore run: %v\n", err)
		}
	}
	report, rerr := htmlreport.WriteFile(o.OutputDir)
	if rerr != nil {
		fmt.Fprintf(stderr, "lavacore run: warning: report: %v\n", rerr)
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
		if rerr == nil {
			fmt.Fprintf(stdout, "report: %s\n", report)
		}
	}
	return code
}
