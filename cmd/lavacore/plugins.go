package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/core/pluginhost"
	"github.com/lavacore/lavacore/core/runner"
	"github.com/lavacore/lavacore/sdk"
)

// pluginHost is the plugin host of `lavacore run` (nil when methods run in process).
var pluginHost *pluginhost.Host

func init() {
	register(command{
		name:    "plugins",
		summary: "list the method and protocol plugins, check them, write their checksum files",
		run:     runPlugins,
	})
	// lavacore run serves its methods and protocols from plugin processes
	// when plugins are installed (LAVACORE_IN_PROCESS=1 keeps them in-process).
	registryHook = func(ctx context.Context, stderr io.Writer) (pipeline.Registry, func(), error) {
		if os.Getenv("LAVACORE_IN_PROCESS") == "1" || len(pluginhost.Discover(pluginhost.Dirs())) == 0 {
			return builtinRegistry(), func() {}, nil
		}
		h, err := pluginhost.StartAll(ctx, pluginhost.Dirs(), pluginhost.Options{Log: stderr})
		if err != nil {
			// the others still serve; a job that needs a broken one says so
			fmt.Fprintf(stderr, "lavacore run: warning: %v\n", err)
		}
		pluginHost = h
		return h.Registry(), h.Close, nil
	}
	protocolsHook = func(ctx context.Context) (runner.ProtocolFactory, func(), error) {
		builtin := builtinProtocols()
		return func(name string) (sdk.Protocol, error) {
			if pluginHost != nil && slices.Contains(pluginHost.ProtocolNames(), name) {
				return pluginHost.Protocol(name)
			}
			return builtin(name)
		}, func() {}, nil
	}
}

const pluginsUsage = `usage:
  lavacore plugins list             every plugin binary: version, methods and protocols, checksum
  lavacore plugins check [NAME]     start each plugin (or NAME) and say what is wrong with it
  lavacore plugins checksum DIR     write <binary>_SHA256SUM beside each plugin binary of DIR

Plugins are files named lavacore-plugin-<name> (or, versioned,
lavacore-plugin-<name>_v<x.y.z>_x<api>_<os>_<arch>) in $LAVACORE_PLUGIN_PATH
(':'-separated), a plugins/ directory beside the lavacore binary, and
~/.local/share/lavacore/plugins; each needs its checksum file. 'lavacore run'
uses them when there are any (LAVACORE_IN_PROCESS=1: the built-in methods).
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
	case "list":
		if len(args) != 1 {
			fmt.Fprint(stderr, pluginsUsage)
			return 2
		}
		return pluginsList(ctx, stdout)
	case "check":
		if len(args) > 2 {
			fmt.Fprint(stderr, pluginsUsage)
			return 2
		}
		name := ""
		if len(args) == 2 {
			name = args[1]
		}
		return pluginsCheck(ctx, name, stdout)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, pluginsUsage)
		return 0
	}
	fmt.Fprint(stderr, pluginsUsage)
	return 2
}

func noPlugins(w io.Writer) int {
	fmt.Fprintf(w, "no plugins in %s\n", strings.Join(pluginhost.Dirs(), ", "))
	return 0
}

// pluginDescribe runs `<binary> describe` (no handshake).
func pluginDescribe(ctx context.Context, path string) (sdk.Manifest, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "describe")
	cmd.Stdout, cmd.Stderr = &out, &errb
	var m sdk.Manifest
	if err := cmd.Run(); err != nil {
		return m, fmt.Errorf("%s describe: %v %s", path, err, strings.TrimSpace(errb.String()))
	}
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		return m, fmt.Errorf("%s describe: not a manifest: %v", path, err)
	}
	return m, nil
}

func methodKeys(m sdk.Manifest) string {
	var ks []string
	for _, x := range m.Methods {
		ks = append(ks, x.Key())
	}
	if len(ks) == 0 {
		return "-"
	}
	return strings.Join(ks, ",")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func checksumStatus(b pluginhost.Binary) string {
	switch {
	case b.ChecksumOK:
		return "ok"
	case b.Checksum == "":
		return "missing"
	default:
		return "mismatch"
	}
}

func pluginsList(ctx context.Context, stdout io.Writer) int {
	bins := pluginhost.Discover(pluginhost.Dirs())
	if len(bins) == 0 {
		return noPlugins(stdout)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tMETHODS\tPROTOCOLS\tCHECKSUM\tPATH")
	for _, b := range bins {
		version, methods, protocols := orDash(b.Version), "?", "?"
		// only a binary that matches its checksum is run
		if b.Problem == "" {
			if m, err := pluginDescribe(ctx, b.Path); err == nil {
				version, methods, protocols = m.Version, methodKeys(m), orDash(strings.Join(m.Protocols, ","))
			} else {
				methods = "describe failed"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", b.Name, version, methods, protocols, checksumStatus(b), b.Path)
	}
	tw.Flush()
	return 0
}

// pluginsCheck starts each plugin as lavacore run would and reports what is wrong.
func pluginsCheck(ctx context.Context, name string, stdout io.Writer) int {
	bins := pluginhost.Discover(pluginhost.Dirs())
	if name != "" {
		bins = slices.DeleteFunc(bins, func(b pluginhost.Binary) bool { return b.Name != name })
		if len(bins) == 0 {
			fmt.Fprintf(stdout, "no plugin %q in %s\n", name, strings.Join(pluginhost.Dirs(), ", "))
			return 1
		}
	}
	if len(bins) == 0 {
		return noPlugins(stdout)
	}
	bad := 0
	for _, b := range bins {
		problems := checkOne(ctx, b, stdout)
		if len(problems) > 0 {
			bad++
			fmt.Fprintf(stdout, "%s: FAIL (%s)\n", b.Name, b.Path)
			for _, p := range problems {
				fmt.Fprintf(stdout, "  - %s\n", strings.ReplaceAll(p, "\n", "\n    "))
			}
		}
	}
	if bad > 0 {
		fmt.Fprintf(stdout, "%d of %d plugins have problems\n", bad, len(bins))
		return 1
	}
	return 0
}

func checkOne(ctx context.Context, b pluginhost.Binary, stdout io.Writer) []string {
	if b.Problem != "" {
		return []string{b.Problem}
	}
	var problems []string
	dm, err := pluginDescribe(ctx, b.Path)
	if err != nil {
		problems = append(problems, err.Error())
	}
	start := time.Now()
	p, err := pluginhost.Start(ctx, b, pluginhost.Options{StartTimeout: 10 * time.Second})
	if err != nil {
		return append(problems, err.Error())
	}
	took := time.Since(start)
	defer p.Kill()
	m := p.Manifest
	if err == nil && dm.Name != "" && (dm.Name != m.Name || dm.Version != m.Version || methodKeys(dm) != methodKeys(m)) {
		problems = append(problems, fmt.Sprintf("'describe' says %s %s (%s), the running plugin says %s %s (%s)",
			dm.Name, dm.Version, methodKeys(dm), m.Name, m.Version, methodKeys(m)))
	}
	if m.Name != b.Name {
		problems = append(problems, fmt.Sprintf("the file is named for plugin %q, the plugin calls itself %q", b.Name, m.Name))
	}
	time.Sleep(100 * time.Millisecond)
	if p.Exited() {
		problems = append(problems, "the plugin exited right after its handshake; its stderr ends:\n"+p.Stderr())
	}
	if len(problems) == 0 {
		what := methodKeys(m)
		if len(m.Protocols) > 0 {
			what += "; protocols " + strings.Join(m.Protocols, ",")
		}
		fmt.Fprintf(stdout, "%s: ok — %s %s (%s), handshake in %s\n", b.Name, m.Name, m.Version, what, took.Round(time.Millisecond))
	}
	return problems
}
