package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/core/pluginhost"
)

func init() {
	register(command{
		name:    "plugins",
		summary: "list the method plugins, check them, write their checksum files",
		run:     runPlugins,
	})
	// lavacore run serves its methods from plugin processes when plugins are
	// installed (LAVACORE_IN_PROCESS=1 keeps them in-process).
	registryHook = func(ctx context.Context, stderr io.Writer) (pipeline.Registry, func(), error) {
		if os.Getenv("LAVACORE_IN_PROCESS") == "1" || len(pluginhost.Discover(pluginhost.Dirs())) == 0 {
			return builtinRegistry(), func() {}, nil
		}
		h, err := pluginhost.StartAll(ctx, pluginhost.Dirs(), stderr)
		if err != nil {
			return nil, nil, err
		}
		return h.Registry(), h.Close, nil
	}
}

const pluginsUsage = `usage:
  lavacore plugins list             every plugin binary, its version and the methods it serves
  lavacore plugins check [NAME]     start each plugin and say what is wrong with one that fails
  lavacore plugins checksum DIR     write <binary>_SHA256SUM beside each plugin binary of DIR

Plugins are looked for in $LAVACORE_PLUGIN_PATH, a plugins/ directory beside
the lavacore binary, and ~/.local/share/lavacore/plugins; each needs its
checksum file. 'lavacore run' uses them when there are any.
`

func runPlugins(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, pluginsUsage)
		return 2
	}
	switch args[0] {
	case "checksum":
		if len(args) != 2 {
			fmt.Fprint(stderr, pluginsUsage)
			return 2
		}
		done, err := pluginhost.WriteChecksums(args[1])
		if err != nil {
			fmt.Fprintf(stderr, "lavacore plugins checksum: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "%d checksum files written in %s\n", len(done), args[1])
		return 0
	case "list", "check":
		bins := pluginhost.Discover(pluginhost.Dirs())
		if len(bins) == 0 {
			fmt.Fprintf(stdout, "no plugins in %s\n", strings.Join(pluginhost.Dirs(), ", "))
			return 0
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tVERSION\tMETHODS\tSTATUS\tPATH")
		bad := 0
		for _, b := range bins {
			if len(args) > 1 && args[1] != b.Name {
				continue
			}
			p, err := pluginhost.Start(ctx, b, io.Discard)
			if err != nil {
				bad++
				fmt.Fprintf(tw, "%s\t-\t-\t%v\t%s\n", b.Name, err, b.Path)
				continue
			}
			var ms []string
			for _, m := range p.Manifest.Methods {
				ms = append(ms, m.Key())
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\tok\t%s\n", b.Name, p.Manifest.Version, strings.Join(ms, ","), b.Path)
			h := &pluginhost.Host{Plugins: []*pluginhost.Plugin{p}}
			h.Close()
		}
		tw.Flush()
		if bad > 0 {
			return 1
		}
		return 0
	}
	fmt.Fprint(stderr, pluginsUsage)
	return 2
}
