package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/lavacore/lavacore/core/htmlreport"
	"github.com/lavacore/lavacore/core/job"
	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/core/report"
	"github.com/lavacore/lavacore/core/runner"
	"github.com/lavacore/lavacore/protocols/multinode/coordinator"
)

const runUsage = `usage: lavacore run JOB.yaml [--lab DIR | --lava-device DEVICE.yaml] [--lava-version YYYY.MM] [flags]

Runs the job: validates it, splits a MultiNode job into its sub-jobs, picks a
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

Exit status: 0 when the job is Complete, 1 when it is Incomplete or Canceled,
2 for bad usage or an invalid job.
`

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

func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o runOptions
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, runUsage, "\nflags:\n"); fs.PrintDefaults() }
	fs.StringVar(&o.Lab, "lab", defaultLabDir(), "lab directory (lab.hcl, devices/*.hcl); default $LAVACORE_LAB_DIR, else ./lab")
	fs.StringVar(&o.OutputDir, "output-dir", "", "output directory (default ./lavacore-out/<job name, sanitised>)")
	fs.StringVar(&o.JobID, "job-id", "", "numeric job id (default: from the clock); sub-job i gets id+i")
	fs.StringVar(&o.Role, "role", "", "run only this MultiNode role")
	fs.IntVar(&o.SubID, "sub-id", -1, "with --role: run only this sub_id")
	fs.StringVar(&o.Device, "device", "", "run on this device of the lab")
	fs.StringVar(&o.Coordinator, "coordinator", "", "HOST:PORT of a coordinator for groups that span machines (default: embedded)")
	fs.StringVar(&o.CoordinatorSecretFile, "coordinator-secret-file", os.Getenv("LAVACORE_COORDINATOR_SECRET_FILE"),
		"with --coordinator: the lab's coordinator secret, to prove group membership (default $LAVACORE_COORDINATOR_SECRET_FILE)")
	fs.StringVar(&o.Output, "output", "text", "terminal output: text or json (NDJSON records)")
	fs.StringVar(&o.Progress, "progress", "auto", "text progress: auto (tty on a terminal), plain (lines for CI) or tty (status lines redrawn in place); NO_COLOR turns colours off")
	fs.BoolVar(&o.Console, "console", false, "show console output on the terminal")
	fs.BoolVar(&o.Debug, "debug", false, "show debug records on the terminal")
	fs.BoolVar(&o.KeepOverlay, "keep-overlay", false, "keep the overlay tarballs (they hold the job's secrets) in the output directory after the run")
	fs.BoolVar(&o.KeepWork, "keep-work", false, "keep the work directory (downloads; overlays only with --keep-overlay) in the output directory after the run")
	src := deviceSource{}
	src.register(fs)
	jobFile, code, ok := parseJobArgs(fs, args)
	if !ok {
		return code
	}
	src.Lab, o.LavaDevice = o.Lab, src.LavaDevice
	src.parsed(fs)
	if !src.checkVersion("run", stderr) {
		return 2
	}
	if src.LavaDevice != "" && o.Device != "" {
		fmt.Fprintln(stderr, "lavacore run: --device names a lab device, --lava-device brings its own: use one")
		return 2
	}
	if o.Output != "text" && o.Output != "json" {
		fmt.Fprintf(stderr, "lavacore run: --output must be text or json, not %q\n", o.Output)
		return 2
	}
	if err := report.CheckProgress(o.Progress); err != nil {
		fmt.Fprintf(stderr, "lavacore run: %v\n", err)
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
	lab, pin, ok := src.load("run", j.DeviceType, pipeline.SpecFunc(reg), stderr)
	if !ok {
		return 2
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
			return 2
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
		return 1
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
