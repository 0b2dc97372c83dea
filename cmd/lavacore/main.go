// Command lavacore runs LAVA job files against devices described in HCL.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one lavacore subcommand; each lives in its own file.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands lists lavacore's subcommands, by name.
func commands() []command {
	return []command{
		{name: "coordinator", summary: "serve MultiNode groups over TCP (LAVA's lava-coordinator protocol, plus push for lavacore clients)", run: runCoordinator},
		{name: "describe", summary: "print the action pipeline of every sub-job, in LAVA's description shape", run: runDescribe},
		{name: "devices", summary: "list a lab's devices, or show one device's resolved values and where they came from", run: runDevices},
		{name: "lava-run", summary: "LAVA's lava-run: run one job under lava-worker (its command line, log to lava-server, result.yaml)", run: runLavaRun},
		{name: "lab", summary: "the built-in virtual lab: up, down, status, dir, build, power", run: runLab},
		{name: "plugins", summary: "list, check and install the method and protocol plugins, record their checksums and manifests", run: runPlugins},
		{name: "report", summary: "rebuild report.html (the group's timeline, console lines, results) from a run's output directory", run: runReport},
		{name: "run", summary: "run a LAVA job on a lab's devices (every MultiNode sub-job, in one process)", run: runRun},
		{name: "validate", summary: "check a LAVA job file and list every problem as file:line:col: path: message", run: runValidate},
	}
}

// lookup finds a command by name.
func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: lavacore <command> [arguments]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'lavacore <command> -h' for a command's flags.")
}

func main() {
	os.Exit(realMain(asLavaRun(os.Args[0], os.Args[1:]), os.Stdout, os.Stderr))
}

func realMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := lookup(args[0])
	if !ok {
		fmt.Fprintf(stderr, "lavacore: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return c.run(ctx, args[1:], stdout, stderr)
}
