package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/lavacore/lavacore/lab"
)

func init() {
	register(command{
		name:    "lab",
		summary: "the built-in virtual lab: up, down, status, dir, build, power",
		run:     runLab,
	})
}

const labUsage = `usage:
  lavacore lab up [--boards N] [--image fast|real|all]   build what is missing, start N boards
  lavacore lab down                                      stop every process, remove the bridge and taps
  lavacore lab status                                    what runs
  lavacore lab dir                                       print the lab directory (for --lab)
  lavacore lab build [--image fast|real|all]             build the board images only
  lavacore lab power on|off|reset BOARD                  a board's power

The lab lives in $LAVACORE_LAB_DIR (default /var/lib/lavacore/lab), its image
cache in $LAVACORE_CACHE_DIR (default /var/cache/lavacore). Needs root and the
Debian packages 'make deps' installs.
`

func runLab(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, labUsage)
		return 2
	}
	d := lab.DefaultDirs()
	fs := flag.NewFlagSet("lab "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	boards := fs.Int("boards", 1, "number of boards")
	image := fs.String("image", "all", "images to build: fast, real or all")
	socket := fs.String("socket", "", "relay: the board's console socket")
	listen := fs.String("listen", "", "relay: the TCP address to serve it on")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	var err error
	switch args[0] {
	case "up":
		err = d.Up(ctx, stderr, *boards, *image)
		if err == nil {
			fmt.Fprintf(stdout, "lab up in %s: run jobs with --lab %s\n", d.Lab, d.Lab)
		}
	case "down":
		err = d.Down(ctx, stderr)
	case "status":
		err = d.Status(ctx, stdout)
	case "dir":
		fmt.Fprintln(stdout, d.Lab)
	case "build":
		err = d.Build(ctx, stderr, *image)
	case "power":
		if fs.NArg() != 2 {
			fmt.Fprint(stderr, labUsage)
			return 2
		}
		err = d.Power(ctx, stderr, fs.Arg(0), fs.Arg(1))
	case "relay":
		r := &lab.Relay{Socket: *socket, Listen: *listen}
		err = r.Run(ctx)
	default:
		fmt.Fprint(stderr, labUsage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "lavacore lab %s: %v\n", args[0], err)
		return 1
	}
	return 0
}
