package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/core/job"
	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/sdk"
)

// validatePipelines is `lavacore validate --lab DIR`'s pipeline check: every
// sub-job is built on the lab's devices (a method must accept each block) and
// each method validates its block; problems are file:line:col lines, each once.
func validatePipelines(ctx context.Context, pl *plugins, j *job.Job, src deviceSource) []string {
	if src.Lab == "" && src.LavaDevice == "" {
		return nil
	}
	subs, err := job.Split(j)
	if err != nil {
		return []string{err.Error()}
	}
	var roles map[string]*job.Role
	if j.MultiNode != nil {
		roles = j.MultiNode.Roles
	}
	reg := pl.registry()
	var lab *device.Lab
	pin := ""
	if src.LavaDevice == "" {
		var ldiags hcl.Diagnostics
		lab, ldiags = device.LoadLab(src.Lab, device.LoadOptions{Spec: pipeline.SpecFunc(reg)})
		if ldiags.HasErrors() {
			var out []string
			for _, d := range ldiags.Errs() {
				out = append(out, d.Error())
			}
			return out
		}
		src.setVersion(lab)
	} else {
		var msgs strings.Builder
		var ok bool
		lab, pin, ok = src.load("validate", j.DeviceType, pipeline.SpecFunc(reg), &msgs)
		if !ok {
			return strings.Split(strings.TrimSpace(msgs.String()), "\n")
		}
	}
	assigned, err := pipeline.AssignDevices(subs, roles, lab, pin)
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	if err := pl.prepare(ctx, jobsOf(assigned)...); err != nil {
		out = append(out, err.Error())
	}
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, s := range assigned {
		p, err := pipeline.Build(s.Job, s.Device, reg, pipeline.DispatcherOf(lab))
		if err != nil {
			add(err.Error())
			continue
		}
		for _, pr := range p.Validate(ctx) {
			if pr.Severity == sdk.SevError {
				add(pr.String())
			}
		}
	}
	return out
}

const describeUsage = `usage: lavacore describe JOB.yaml [--lab DIR [--device NAME] | --lava-device DEVICE.yaml] [--lava-version YYYY.MM] [--role ROLE] [--output yaml|json]

Builds the pipeline of every sub-job (one per MultiNode role instance) on the
lab's devices and prints it as LAVA's describe() does: for each sub-job
"sub_job: {role, sub_id}" then "pipeline:", a tree of actions with class,
name, level, max_retries, description, summary, timeout (seconds) and url.
--lava-device builds it on a device file rendered by LAVA instead (the YAML
lava-run --device takes). --lava-version picks the LAVA release whose
pipeline is built (default: the lab's lava_version, else 2023.01, Debian's).
`

// describeOptions are the flags of `lavacore describe`.
type describeOptions struct {
	Job string
	Lab string
	// LavaDevice is a rendered LAVA device file to use instead of a lab device;
	// LabSet says --lab was given explicitly (the device then joins that lab).
	LavaDevice string
	LabSet     bool
	// LavaVersion is --lava-version.
	LavaVersion string
	Role        string
	Device      string
	Output      string
}

func runDescribe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o describeOptions
	fs := flag.NewFlagSet("describe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, describeUsage, "\nflags:\n"); fs.PrintDefaults() }
	fs.StringVar(&o.Lab, "lab", defaultLabDir(), "the lab directory (default $LAVACORE_LAB_DIR, else ./lab)")
	fs.StringVar(&o.Role, "role", "", "only the sub-jobs of this MultiNode role")
	fs.StringVar(&o.Device, "device", "", "run device roles on this device instead of the first of their type")
	fs.StringVar(&o.Output, "output", "yaml", "yaml or json")
	fs.StringVar(&o.LavaDevice, "lava-device", "", lavaDeviceUsage)
	fs.StringVar(&o.LavaVersion, "lava-version", "", lavaVersionUsage)
	file, code, ok := parseJobArgs(fs, args)
	if !ok {
		return code
	}
	fs.Visit(func(f *flag.Flag) { o.LabSet = o.LabSet || f.Name == "lab" })
	if o.LavaDevice != "" && o.Device != "" {
		fmt.Fprintln(stderr, "lavacore describe: --device names a lab device, --lava-device brings its own: use one")
		return 2
	}
	if !(&deviceSource{LavaVersion: o.LavaVersion}).checkVersion("describe", stderr) {
		return 2
	}
	if o.Output != "yaml" && o.Output != "json" {
		fmt.Fprintf(stderr, "lavacore describe: --output must be yaml or json, not %q\n", o.Output)
		return 2
	}
	o.Job = file
	return describe(ctx, o, stdout, stderr)
}

// describe loads the job and the lab, builds each sub-job's pipeline and prints it.
func describe(ctx context.Context, o describeOptions, stdout, stderr io.Writer) int {
	pl := openPlugins("describe", stderr)
	defer pl.close()
	j, diags := job.LoadWith(o.Job, pl.jobOptions())
	if len(diags) > 0 {
		for _, d := range diags {
			fmt.Fprintln(stderr, d.String())
		}
		fmt.Fprintf(stderr, "lavacore describe: %s is not a valid job (%d problems)\n", o.Job, len(diags))
		return 1
	}
	subs, err := job.Split(j)
	if err != nil {
		fmt.Fprintf(stderr, "lavacore describe: %v\n", err)
		return 1
	}
	var roles map[string]*job.Role
	if j.MultiNode != nil {
		roles = j.MultiNode.Roles
		if o.Role != "" && roles[o.Role] == nil {
			fmt.Fprintf(stderr, "lavacore describe: the job has no role %q\n", o.Role)
			return 1
		}
	} else if o.Role != "" {
		fmt.Fprintf(stderr, "lavacore describe: --role %s: the job is not a MultiNode job\n", o.Role)
		return 1
	}
	reg := pl.registry()
	src := deviceSource{Lab: o.Lab, LavaDevice: o.LavaDevice, LavaVersion: o.LavaVersion, labSet: o.LabSet}
	lab, pin, ok := src.load("describe", j.DeviceType, pipeline.SpecFunc(reg), stderr)
	if !ok {
		return 1
	}
	if pin == "" {
		pin = o.Device
	}
	assigned, err := pipeline.AssignDevices(subs, roles, lab, pin)
	if err != nil {
		fmt.Fprintf(stderr, "lavacore describe: %v\n", err)
		return 1
	}
	if o.Role != "" {
		keep := assigned[:0]
		for _, s := range assigned {
			if s.Job.Role == o.Role {
				keep = append(keep, s)
			}
		}
		assigned = keep
	}
	if err := pl.prepare(ctx, jobsOf(assigned)...); err != nil {
		fmt.Fprintf(stderr, "lavacore describe: warning: %v\n", err)
	}
	descs, err := pipeline.DescribeSubJobs(assigned, reg, pipeline.DispatcherOf(lab))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if o.Output == "json" {
		err = pipeline.WriteJSON(stdout, descs)
	} else {
		err = pipeline.WriteYAML(stdout, descs)
	}
	if err != nil {
		fmt.Fprintf(stderr, "lavacore describe: %v\n", err)
		return 1
	}
	return 0
}

// jobsOf lists the assigned sub-jobs' jobs.
func jobsOf(subs []pipeline.SubJob) []*job.Job {
	out := make([]*job.Job, len(subs))
	for i, s := range subs {
		out[i] = s.Job
	}
	return out
}
