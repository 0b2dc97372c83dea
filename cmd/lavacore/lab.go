package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/lavacore/lavacore/lab"
)

const labUsage = `usage:
  lavacore lab up [--boards N] [--arm-boards M] [--image fast|real|all|arm64]
                                                        build what is missing, start the lab with N x86
                                                        boards (board-NN) and M ARM U-Boot boards (arm-NN)
  lavacore lab down                                     stop every process, remove the namespace and veth
  lavacore lab status                                   what runs: services, boards, consoles, addresses
  lavacore lab dir                                      print the lab directory (for --lab)
  lavacore lab build [--image fast|real|all|arm64]      build the board images only (cached)
  lavacore lab power on|off|reset BOARD                 a board's power (board-01, 1 or arm-01)
  lavacore lab check [--timeout D] BOARD                power-cycle BOARD, wait for GRUB's (U-Boot's) prompt, switch it off
Every subcommand takes --dir DIR (the lab directory; default $LAVACORE_LAB_DIR,
else /var/lib/lavacore/lab) and --cache DIR (the image cache; default
$LAVACORE_CACHE_DIR, else /var/cache/lavacore).

The boards are QEMU x86_64 machines with UEFI firmware (board-NN) and QEMU
arm64 virt machines with U-Boot (arm-NN) in the network namespace
lavacore-lab; their consoles are on 127.0.0.1:7001.. (arm: 7101..), the lab's
TFTP, NFS and HTTP (:8080) on 10.77.0.254, the root namespace is 10.77.0.1.
Needs root and the Debian packages 'make deps' installs.
Internal: lavacore lab relay --socket S --listen ADDR [--pty LINK]; lavacore lab serve --listen ADDR --root DIR.
`

// parseInterleaved parses flags that may come before, between or after the
// positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func runLab(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, labUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	l := lab.Default()
	l.Log = stderr
	sub := args[0]
	fs := flag.NewFlagSet("lab "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, labUsage) }
	fs.StringVar(&l.Dir, "dir", l.Dir, "the lab directory")
	fs.StringVar(&l.Cache, "cache", l.Cache, "the image cache")
	boards := fs.Int("boards", 1, "number of x86 boards")
	armBoards := fs.Int("arm-boards", 0, "number of ARM boards with U-Boot")
	image := fs.String("image", "all", "images to build: fast, real or all (x86), arm64")
	socket := fs.String("socket", "", "relay: the board's console socket")
	listen := fs.String("listen", "", "relay, serve: the TCP address to serve on")
	ptyLink := fs.String("pty", "", "relay: also serve the console on a pseudo-terminal linked here")
	root := fs.String("root", "", "serve: the directory to serve")
	timeout := fs.Duration("timeout", 2*time.Minute, "check: how long a board may take from power-on to GRUB's prompt")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if l.Dir, err = filepath.Abs(l.Dir); err != nil {
		fmt.Fprintf(stderr, "lavacore lab: --dir: %v\n", err)
		return 2
	}
	if l.Cache, err = filepath.Abs(l.Cache); err != nil {
		fmt.Fprintf(stderr, "lavacore lab: --cache: %v\n", err)
		return 2
	}
	want := map[string]int{"power": 2, "check": 1}
	if len(pos) != want[sub] {
		fmt.Fprintf(stderr, "lavacore lab %s: unexpected arguments %q\n\n%s", sub, strings.Join(pos, " "), labUsage)
		return 2
	}
	switch sub {
	case "up":
		err = l.Up(ctx, lab.UpOptions{Boards: *boards, ArmBoards: *armBoards, Image: *image})
		if err == nil {
			fmt.Fprintf(stdout, "lab up in %s: run jobs with --lab %s\n", l.Dir, l.Dir)
		}
	case "down":
		err = l.Down(ctx)
	case "status":
		err = l.Status(ctx, stdout)
	case "dir":
		fmt.Fprintln(stdout, l.Dir)
	case "build":
		err = l.Build(ctx, *image)
	case "power":
		err = l.Power(ctx, pos[0], pos[1])
	case "check":
		var n int
		if n, err = lab.ParseBoard(pos[0]); err != nil {
			break
		}
		var d time.Duration
		if d, err = l.Check(ctx, n, *timeout); err == nil {
			fmt.Fprintf(stdout, "%s: %s's prompt %s after power-on\n", lab.BoardName(n), lab.Firmware(n), d.Round(100*time.Millisecond))
		}
	case "relay":
		err = (&lab.Relay{Socket: *socket, Listen: *listen, Pty: *ptyLink}).Run(ctx)
	case "serve":
		err = lab.Serve(ctx, *listen, *root, stdout)
	default:
		fmt.Fprintf(stderr, "lavacore lab: unknown subcommand %q\n\n%s", sub, labUsage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "lavacore lab %s: %v\n", sub, err)
		return 1
	}
	return 0
}
