package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

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
		var msgs strings.Builder
		if missingLab("validate", src.Lab, &msgs) {
			return []string{strings.TrimSpace(msgs.String())}
		}
		lab, ldiags = device.LoadLab(src.Lab, device.LoadOptions{Spec: pipeline.SpecFunc(reg)})
		if ldiags.HasErrors() {
			_ = device.WriteDiagnostics(&msgs, lab.Files(), ldiags, 100, false)
			return strings.Split(strings.TrimSpace(msgs.String()), "\n")
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

const describeLong = `Builds the pipeline of every sub-job (one per MultiNode role instance) on the
lab's devices and prints it as LAVA's describe() does: for each sub-job
"sub_job: {role, sub_id}" then "pipeline:", a tree of actions with class,
name, level, max_retries, description, summary, timeout (seconds) and url.
--lava-device builds it on a device file rendered by LAVA instead (the YAML
lava-run --device takes). --lava-version picks the LAVA release whose
pipeline is built (default: the lab's lava_version, else 2023.01, Debian's).
--output json prints the same list as JSON.`

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

func newDescribeCmd() *cobra.Command {
	var o describeOptions
	c := &cobra.Command{
		Use:   "describe JOB.yaml [--lab DIR [--device NAME] | --lava-device DEVICE.yaml] [--lava-version YYYY.MM] [--role ROLE] [--output yaml|json]",
		Short: "print the action pipeline of every sub-job, in LAVA's description shape",
		Long:  describeLong,
		Args:  exactArgs(1, "one JOB.yaml"),
		RunE: func(c *cobra.Command, args []string) error {
			o.Job = args[0]
			o.LabSet = c.Flags().Changed("lab")
			if o.LavaDevice != "" && o.Device != "" {
				return usagef("--device names a lab device, --lava-device brings its own: use one")
			}
			if err := checkOutput(o.Output, "yaml", "json"); err != nil {
				return err
			}
			if !(&deviceSource{LavaVersion: o.LavaVersion}).checkVersion("describe", c.ErrOrStderr()) {
				return exit(exitInvalid)
			}
			return exit(describe(c.Context(), o, c.OutOrStdout(), c.ErrOrStderr()))
		},
	}
	f := c.Flags()
	f.StringVar(&o.Lab, "lab", defaultLabDir(), labFlagUsage)
	f.StringVar(&o.Role, "role", "", "only the sub-jobs of this MultiNode role")
	f.StringVar(&o.Device, "device", "", "run device roles on this device instead of the first of their type")
	outputFlag(f, &o.Output, "yaml")
	f.StringVar(&o.LavaDevice, "lava-device", "", lavaDeviceUsage)
	f.StringVar(&o.LavaVersion, "lava-version", "", lavaVersionUsage)
	return c
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
		return exitInvalid
	}
	subs, err := job.Split(j)
	if err != nil {
		fmt.Fprintf(stderr, "lavacore describe: %v\n", err)
		return exitInvalid
	}
	var roles map[string]*job.Role
	if j.MultiNode != nil {
		roles = j.MultiNode.Roles
		if o.Role != "" && roles[o.Role] == nil {
			fmt.Fprintf(stderr, "lavacore describe: the job has no role %q\n", o.Role)
			return exitInvalid
		}
	} else if o.Role != "" {
		fmt.Fprintf(stderr, "lavacore describe: --role %s: the job is not a MultiNode job\n", o.Role)
		return exitInvalid
	}
	reg := pl.registry()
	src := deviceSource{Lab: o.Lab, LavaDevice: o.LavaDevice, LavaVersion: o.LavaVersion, labSet: o.LabSet}
	lab, pin, ok := src.load("describe", j.DeviceType, pipeline.SpecFunc(reg), stderr)
	if !ok {
		return exitInvalid
	}
	if pin == "" {
		pin = o.Device
	}
	assigned, err := pipeline.AssignDevices(subs, roles, lab, pin)
	if err != nil {
		fmt.Fprintf(stderr, "lavacore describe: %v\n", err)
		return exitInvalid
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
		return exitInvalid
	}
	if o.Output == "json" {
		err = pipeline.WriteJSON(stdout, descs)
	} else {
		err = pipeline.WriteYAML(stdout, descs)
	}
	if err != nil {
		fmt.Fprintf(stderr, "lavacore describe: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// jobsOf lists the assigned sub-jobs' jobs.
func jobsOf(subs []pipeline.SubJob) []*job.Job {
	out := make([]*job.Job, len(subs))
	for i, s := range subs {
		out[i] = s.Job
	}
	return out
}
