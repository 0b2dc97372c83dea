// Command lavacore runs LAVA job files against devices described in HCL.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit statuses, the same for every command (exitCodesHelp documents them).
const (
	exitOK      = 0 // success; the job is Complete
	exitFailed  = 1 // the job is Incomplete or Canceled; the command failed
	exitInvalid = 2 // bad usage, or invalid input: the job, a device or the lab has errors
	exitInfra   = 3 // the job is Incomplete with an InfrastructureError (worth a retry)
)

// exitCodesHelp is the exit-status table of every command's --help and the README.
const exitCodesHelp = `Exit status (every command):
  0  success; the job is Complete
  1  the job is Incomplete (a Job, Test or Bug error) or Canceled; the command failed
  2  bad usage (unknown command or flag, wrong arguments) or invalid input:
     the job, a device or the lab has errors, and nothing was run
  3  the job is Incomplete with an InfrastructureError (the lab, not the job: worth a retry)
`

// command is one lavacore subcommand; each lives in its own file. new builds
// its cobra command (flags, arguments, help); a command with only run gets
// its arguments as they are (no flag parsing) and its summary as help.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
	new     func() *cobra.Command
}

// commands lists lavacore's subcommands, by name.
func commands() []command {
	return []command{
		{name: "cache", summary: "list and prune the artefact cache the lab's jobs share (URL, size, sha256, last used, hits)", new: newCacheCmd},
		{name: "completion", summary: "print the shell completion script for bash, zsh or fish", new: newCompletionCmd},
		{name: "coordinator", summary: "serve MultiNode groups over TCP (LAVA's lava-coordinator protocol, plus push for lavacore clients)", new: newCoordinatorCmd},
		{name: "describe", summary: "print the action pipeline of every sub-job, in LAVA's description shape", new: newDescribeCmd},
		{name: "devices", summary: "list a lab's devices and device types, show one device's resolved values and where they came from, import LAVA's", new: newDevicesCmd},
		{name: "lava-run", summary: "LAVA's lava-run: run one job under lava-worker (its command line, log to lava-server, result.yaml)", run: runLavaRun},
		{name: "lab", summary: "the built-in virtual lab: up, down, status, dir, build, power, check", new: newLabCmd},
		{name: "plugins", summary: "list, check and install the method and protocol plugins, record their checksums and manifests", new: newPluginsCmd},
		{name: "report", summary: "rebuild report.html (the group's timeline, console lines, results) from a run's output directory", new: newReportCmd},
		{name: "run", summary: "run a LAVA job on a lab's devices (every MultiNode sub-job, in one process)", new: newRunCmd},
		{name: "validate", summary: "check LAVA job files and list every problem as file:line:col: path: message", new: newValidateCmd},
		{name: "version", summary: "print lavacore's version, commit and plugin API version", new: newVersionCmd},
	}
}

// exitError ends a command with an exit status; its message (if any) has
// been printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// exit turns a command's status into RunE's error.
func exit(code int) error {
	if code == exitOK {
		return nil
	}
	return exitError{code}
}

// usageError is a mistake on the command line: exit status 2, with a pointer to --help.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// newRoot builds the command tree.
func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "lavacore",
		Short: "run LAVA job files without a LAVA server",
		Long: "lavacore validates, describes and runs LAVA job files — the YAML LAVA's dispatcher takes —\n" +
			"on devices described in HCL, or on the built-in virtual lab.\n\n" + exitCodesHelp,
		Version:           versionString(),
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		Args:              groupArgs,
		RunE:              groupRun,
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err.Error()} })
	for _, c := range commands() {
		root.AddCommand(c.cobra())
	}
	setHelp(root)
	return root
}

// cobra is the command's cobra command.
func (c command) cobra() *cobra.Command {
	if c.new != nil {
		cc := c.new()
		if cc.Short == "" {
			cc.Short = c.summary
		}
		return cc
	}
	run := c.run
	return &cobra.Command{
		Use:                c.name + " [arguments]",
		Short:              c.summary,
		Long:               c.summary + "\n\n" + exitCodesHelp,
		DisableFlagParsing: true,
		RunE: func(cc *cobra.Command, args []string) error {
			if slices.Contains(args, "-h") || slices.Contains(args, "--help") {
				return cc.Help()
			}
			return exit(run(cc.Context(), args, cc.OutOrStdout(), cc.ErrOrStderr()))
		},
	}
}

// setHelp gives every command of the tree the exit-status table in its help
// and a usage error for unknown flags.
func setHelp(c *cobra.Command) {
	if c.HasParent() && !strings.Contains(c.Long, "Exit status") {
		if c.Long == "" {
			c.Long = c.Short
		}
		c.Long = strings.TrimRight(c.Long, "\n") + "\n\n" + exitCodesHelp
	}
	c.SetFlagErrorFunc(func(cc *cobra.Command, err error) error { return usageError{err.Error()} })
	for _, s := range c.Commands() {
		setHelp(s)
	}
}

// groupArgs rejects an unknown subcommand of a command that only groups
// others, with cobra's suggestions ("did you mean").
func groupArgs(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
	if c.SuggestionsMinimumDistance <= 0 {
		c.SuggestionsMinimumDistance = 2
	}
	if s := c.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
	}
	return usageError{msg}
}

// groupRun is a group command without a subcommand: its help, on stderr, and status 2.
func groupRun(c *cobra.Command, args []string) error {
	c.SetOut(c.ErrOrStderr())
	_ = c.Help()
	return exitError{exitInvalid}
}

// noArgs and friends are cobra.PositionalArgs whose errors are usage errors.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		switch {
		case len(args) < n:
			return usagef("missing %s", what)
		case len(args) > n:
			return usagef("unexpected argument %q (takes %s)", args[n], what)
		}
		return nil
	}
}

func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q (takes none)", args[0])
	}
	return nil
}

func rangeArgs(min, max int, what string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		switch {
		case len(args) < min:
			return usagef("missing %s", what)
		case len(args) > max:
			return usagef("unexpected argument %q (takes %s)", args[max], what)
		}
		return nil
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := realMain(ctx, asLavaRun(os.Args[0], os.Args[1:]), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// realMain runs one command line and returns its exit status.
func realMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	c, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if c == nil {
		c = root
	}
	// cobra's own errors (unknown command, bad flag value, wrong arguments)
	// and usageError are all mistakes on the command line.
	fmt.Fprintf(stderr, "%s: %v\n", c.CommandPath(), err)
	fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", c.CommandPath())
	return exitInvalid
}
