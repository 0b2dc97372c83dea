package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lavacore/lavacore/lab"
)

const labLong = `The built-in virtual lab. The boards are QEMU x86_64 machines with UEFI
firmware (board-NN) and QEMU arm64 virt machines with U-Boot (arm-NN) in the
network namespace lavacore-lab; their consoles are on 127.0.0.1:7001.. (arm:
7101..), the lab's TFTP, NFS and HTTP (:8080) on 10.77.0.254, the root
namespace is 10.77.0.1. Needs root and the Debian packages 'make deps'
installs. 'lab up' mounts a tmpfs of min(8 GiB, half of RAM) on the lab's
NFS export (DIR/nfs), where jobs extract their NFS roots ('lab down'
unmounts it, and what is in it goes); --nfs-on-disk keeps it on disk.

Every subcommand takes --dir DIR (the lab directory; default
$LAVACORE_LAB_DIR, else ` + lab.DefaultDir + `, which is also every other
command's default --lab) and --cache DIR (the image cache; default
$LAVACORE_CACHE_DIR, else ` + lab.DefaultCache + `).`

// labOptions are the flags of `lavacore lab`.
type labOptions struct {
	dir, cache                    string
	boards, armBoards             int
	image                         string
	socket, listen, ptyLink, root string
	timeout                       time.Duration
	output                        string
	nfsOnDisk                     bool
}

func newLabCmd() *cobra.Command {
	var o labOptions
	def := lab.Default()
	c := &cobra.Command{
		Use:   "lab up|down|status|dir|build|power|check|lava-dictionary",
		Short: "the built-in virtual lab: up, down, status, dir, build, power, check, lava-dictionary",
		Long:  labLong,
		Args:  groupArgs,
		RunE:  groupRun,
	}
	c.PersistentFlags().StringVar(&o.dir, "dir", def.Dir, "the lab directory")
	c.PersistentFlags().StringVar(&o.cache, "cache", def.Cache, "the image cache")
	sub := func(use, short string, args cobra.PositionalArgs, flags func(*pflag.FlagSet)) *cobra.Command {
		name, _, _ := strings.Cut(use, " ")
		sc := &cobra.Command{Use: use, Short: short, Args: args,
			RunE: func(c *cobra.Command, a []string) error {
				if name == "status" {
					if err := checkOutput(o.output, "text", "json"); err != nil {
						return err
					}
				}
				return exit(runLab(c.Context(), o, name, a, c.OutOrStdout(), c.ErrOrStderr()))
			}}
		if flags != nil {
			flags(sc.Flags())
		}
		return sc
	}
	image := func(f *pflag.FlagSet) {
		f.StringVar(&o.image, "image", "all", "images to build: fast, real or all (x86), arm64")
	}
	relay := sub("relay", "internal: serve a board's console socket on TCP", noArgs, func(f *pflag.FlagSet) {
		f.StringVar(&o.socket, "socket", "", "the board's console socket")
		f.StringVar(&o.listen, "listen", "", "the TCP address to serve on")
		f.StringVar(&o.ptyLink, "pty", "", "also serve the console on a pseudo-terminal linked here")
	})
	serve := sub("serve", "internal: the lab's HTTP server", noArgs, func(f *pflag.FlagSet) {
		f.StringVar(&o.listen, "listen", "", "the TCP address to serve on")
		f.StringVar(&o.root, "root", "", "the directory to serve")
	})
	relay.Hidden, serve.Hidden = true, true
	c.AddCommand(
		sub("up", "build what is missing, start the lab with N x86 boards (board-NN) and M ARM U-Boot boards (arm-NN)", noArgs, func(f *pflag.FlagSet) {
			f.IntVar(&o.boards, "boards", 1, "number of x86 boards")
			f.IntVar(&o.armBoards, "arm-boards", 0, "number of ARM boards with U-Boot")
			f.BoolVar(&o.nfsOnDisk, "nfs-on-disk", false, "keep the NFS export (nfs/) on disk instead of a tmpfs of min(8 GiB, half of RAM)")
			image(f)
		}),
		sub("down", "stop every process, remove the namespace and veth", noArgs, nil),
		sub("status", "what runs: services, boards, consoles, addresses", noArgs, func(f *pflag.FlagSet) { outputFlag(f, &o.output, "text") }),
		sub("dir", "print the lab directory (for --lab)", noArgs, nil),
		sub("build", "build the board images only (cached)", noArgs, image),
		sub("power on|off|reset BOARD", "a board's power (board-01, 1 or arm-01)", exactArgs(2, "on|off|reset and a BOARD"), nil),
		sub("check BOARD", "power-cycle BOARD, wait for GRUB's (U-Boot's) prompt, switch it off", exactArgs(1, "one BOARD"), func(f *pflag.FlagSet) {
			f.DurationVar(&o.timeout, "timeout", 2*time.Minute, "how long a board may take from power-on to its firmware's prompt")
		}),
		sub("lava-dictionary BOARD", "print an x86 board's LAVA device dictionary (for lava/"+lab.LavaDeviceType+".jinja2)", exactArgs(1, "one BOARD"), nil),
		relay, serve,
	)
	return c
}

// runLab runs one lab subcommand.
func runLab(ctx context.Context, o labOptions, sub string, pos []string, stdout, stderr io.Writer) int {
	l := &lab.Lab{Dir: o.dir, Cache: o.cache, Log: stderr}
	var err error
	if l.Dir, err = filepath.Abs(l.Dir); err != nil {
		fmt.Fprintf(stderr, "lavacore lab: --dir: %v\n", err)
		return exitInvalid
	}
	if l.Cache, err = filepath.Abs(l.Cache); err != nil {
		fmt.Fprintf(stderr, "lavacore lab: --cache: %v\n", err)
		return exitInvalid
	}
	switch sub {
	case "up":
		err = l.Up(ctx, lab.UpOptions{Boards: o.boards, ArmBoards: o.armBoards, Image: o.image, NFSOnDisk: o.nfsOnDisk})
		if err == nil {
			fmt.Fprintf(stdout, "lab up in %s: run jobs with --lab %s\n", l.Dir, l.Dir)
		}
	case "down":
		err = l.Down(ctx)
	case "status":
		if o.output == "json" {
			err = writeJSON(stdout, l.Report(ctx))
		} else {
			err = l.Status(ctx, stdout)
		}
	case "dir":
		fmt.Fprintln(stdout, l.Dir)
	case "build":
		err = l.Build(ctx, o.image)
	case "power":
		err = l.Power(ctx, pos[0], pos[1])
	case "check":
		var n int
		if n, err = lab.ParseBoard(pos[0]); err != nil {
			fmt.Fprintf(stderr, "lavacore lab check: %v\n", err)
			return exitInvalid
		}
		var d time.Duration
		if d, err = l.Check(ctx, n, o.timeout); err == nil {
			fmt.Fprintf(stdout, "%s: %s's prompt %s after power-on\n", lab.BoardName(n), lab.Firmware(n), d.Round(100*time.Millisecond))
		}
	case "lava-dictionary":
		var n int
		if n, err = lab.ParseBoard(pos[0]); err != nil {
			fmt.Fprintf(stderr, "lavacore lab lava-dictionary: %v\n", err)
			return exitInvalid
		}
		var text string
		if text, err = l.LavaDictionary(n); err == nil {
			fmt.Fprint(stdout, text)
		}
	case "relay":
		err = (&lab.Relay{Socket: o.socket, Listen: o.listen, Pty: o.ptyLink}).Run(ctx)
	case "serve":
		err = lab.Serve(ctx, o.listen, o.root, stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "lavacore lab %s: %v\n", sub, err)
		return exitFailed
	}
	return exitOK
}
