package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lavacore/lavacore/core/pluginhost"
	"github.com/lavacore/lavacore/sdk"
)

const pluginsLong = `Lists, checks and installs the method and protocol plugins.

Plugins are files named lavacore-plugin-<name> (or, versioned,
lavacore-plugin-<name>_v<x.y.z>_x<api>_<os>_<arch>) in $LAVACORE_PLUGIN_PATH
(':'-separated), a plugins/ directory beside the lavacore binary (lavacore's
own methods and protocols), and ~/.local/share/lavacore/plugins. Each needs its
checksum and manifest files: validate reads the manifests, describe and run
start the plugins a job uses. A directory earlier in that list adds to the
later ones, and its plugins override the methods of theirs.`

func newPluginsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "plugins list|check|checksum|install",
		Short: "list, check and install the method and protocol plugins, record their checksums and manifests",
		Long:  pluginsLong,
		Args:  groupArgs,
		RunE:  groupRun,
	}
	var output string
	list := &cobra.Command{
		Use:   "list",
		Short: "every plugin binary: version, methods and protocols, and why it cannot be used",
		Long: "Lists every plugin binary: its version, methods and protocols, and why it cannot\n" +
			"be used (checksum, manifest, API version, handshake) or which plugin overrides which.",
		Args: noArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkOutput(output, "text", "json"); err != nil {
				return err
			}
			return exit(pluginsList(c.Context(), output == "json", c.OutOrStdout()))
		},
	}
	outputFlag(list.Flags(), &output, "text")
	c.AddCommand(list,
		&cobra.Command{
			Use:   "check [NAME]",
			Short: "start each plugin (or NAME) and say what is wrong with it",
			Args:  rangeArgs(0, 1, "at most one plugin NAME"),
			RunE: func(c *cobra.Command, args []string) error {
				name := ""
				if len(args) == 1 {
					name = args[0]
				}
				return exit(pluginsCheck(c.Context(), name, c.OutOrStdout()))
			},
		},
		&cobra.Command{
			Use:   "checksum DIR",
			Short: "record <binary>_SHA256SUM and <binary>_MANIFEST.json beside each plugin binary of DIR",
			Args:  exactArgs(1, "one plugin DIR"),
			RunE: func(c *cobra.Command, args []string) error {
				return exit(pluginsChecksum(c.Context(), args[0], c.OutOrStdout(), c.ErrOrStderr()))
			},
		},
		&cobra.Command{
			Use:   "install FILE [DIR]",
			Short: "copy the plugin binary FILE into DIR (default ~/.local/share/lavacore/plugins) and record it",
			Args:  rangeArgs(1, 2, "a plugin FILE and an optional DIR"),
			RunE: func(c *cobra.Command, args []string) error {
				dir := userPluginDir()
				if len(args) == 2 {
					dir = args[1]
				}
				return exit(pluginsInstall(c.Context(), args[0], dir, c.OutOrStdout(), c.ErrOrStderr()))
			},
		},
	)
	return c
}

// pluginsChecksum records the checksum and manifest of every plugin of dir.
func pluginsChecksum(ctx context.Context, dir string, stdout, stderr io.Writer) int {
	done, err := pluginhost.RecordDir(ctx, dir)
	fmt.Fprintf(stdout, "%d plugins recorded in %s (checksum and manifest files)\n", len(done), dir)
	if err != nil {
		fmt.Fprintf(stderr, "lavacore plugins checksum: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// pluginsInstall copies a plugin binary into dir and records it.
func pluginsInstall(ctx context.Context, file, dir string, stdout, stderr io.Writer) int {
	if dir == "" {
		fmt.Fprintln(stderr, "lavacore plugins install: no home directory: name the plugin directory")
		return exitInvalid
	}
	path, m, err := pluginhost.Install(ctx, file, dir)
	if err != nil {
		fmt.Fprintf(stderr, "lavacore plugins install: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "installed %s %s (%s) as %s\n", m.Name, m.Version, servesOf(m), path)
	return exitOK
}

// userPluginDir is ~/.local/share/lavacore/plugins ("" without a home).
func userPluginDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".local", "share", "lavacore", "plugins")
}

func noPlugins(w io.Writer) int {
	fmt.Fprintf(w, "no plugins in %s\n", strings.Join(pluginhost.Dirs(), ", "))
	return 0
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

// servesOf says what a manifest serves: its methods and protocols.
func servesOf(m sdk.Manifest) string {
	s := methodKeys(m)
	if len(m.Protocols) > 0 {
		s += "; protocols " + strings.Join(m.Protocols, ",")
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// handshakes starts every usable plugin of the catalog, concurrently, and
// marks those that fail.
func handshakes(ctx context.Context, cat *pluginhost.Catalog) map[*pluginhost.Entry]time.Duration {
	took := map[*pluginhost.Entry]time.Duration{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, e := range cat.Entries {
		if !e.Usable() {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			p, err := pluginhost.Start(ctx, e.Binary, pluginhost.Options{StartTimeout: 10 * time.Second})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				e.Problem = "failed handshake: " + err.Error()
				return
			}
			took[e] = time.Since(start)
			if got, want := servesOf(p.Manifest), servesOf(e.Manifest); got != want {
				e.Problem = fmt.Sprintf("stale manifest: it says %s, the running plugin serves %s", want, got)
			}
			p.Kill()
		}()
	}
	wg.Wait()
	return took
}

// pluginRow is one plugin of `plugins list --output json`.
type pluginRow struct {
	Name       string            `json:"name"`
	Version    string            `json:"version"`
	Methods    []string          `json:"methods"`
	Protocols  []string          `json:"protocols"`
	Status     string            `json:"status"` // ok, unusable
	Problem    string            `json:"problem,omitempty"`
	Path       string            `json:"path"`
	Shadows    []string          `json:"shadows"`
	Overridden map[string]string `json:"overridden"` // method → the plugin that overrides it
}

func pluginsList(ctx context.Context, asJSON bool, stdout io.Writer) int {
	cat := pluginhost.Scan(pluginhost.Dirs())
	if len(cat.Entries) == 0 && !asJSON {
		return noPlugins(stdout)
	}
	cat.Verify()
	handshakes(ctx, cat)
	entries := append([]*pluginhost.Entry(nil), cat.Entries...)
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	if asJSON {
		return pluginsJSON(entries, stdout)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tMETHODS\tPROTOCOLS\tSTATUS\tPATH")
	var notes []string
	for _, e := range entries {
		m := e.Manifest
		version := orDash(m.Version)
		if version == "-" {
			version = orDash(e.Version)
		}
		status := "ok"
		if !e.Usable() {
			status = "unusable"
			notes = append(notes, fmt.Sprintf("%s: %s", e.Name, e.Problem))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Name, version, methodKeys(m), orDash(strings.Join(m.Protocols, ",")), status, e.Path)
		for _, s := range e.Shadows {
			notes = append(notes, fmt.Sprintf("%s: %s hides %s", e.Name, e.Path, s))
		}
		keys := make([]string, 0, len(e.Overridden))
		for k := range e.Overridden {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			notes = append(notes, fmt.Sprintf("%s: %s is overridden by %s", e.Name, k, e.Overridden[k]))
		}
	}
	tw.Flush()
	for _, n := range notes {
		fmt.Fprintln(stdout, n)
	}
	return 0
}

func pluginsJSON(entries []*pluginhost.Entry, stdout io.Writer) int {
	rows := []pluginRow{}
	for _, e := range entries {
		m := e.Manifest
		r := pluginRow{Name: e.Name, Version: m.Version, Methods: []string{}, Protocols: append([]string{}, m.Protocols...),
			Status: "ok", Path: e.Path, Shadows: append([]string{}, e.Shadows...), Overridden: map[string]string{}}
		if r.Version == "" {
			r.Version = e.Version
		}
		for _, x := range m.Methods {
			r.Methods = append(r.Methods, x.Key())
		}
		if !e.Usable() {
			r.Status, r.Problem = "unusable", e.Problem
		}
		for k, v := range e.Overridden {
			r.Overridden[k] = fmt.Sprint(v)
		}
		rows = append(rows, r)
	}
	if err := writeJSON(stdout, rows); err != nil {
		return exitFailed
	}
	return exitOK
}

// pluginsCheck starts each plugin as lavacore run would and reports what is wrong.
func pluginsCheck(ctx context.Context, name string, stdout io.Writer) int {
	cat := pluginhost.Scan(pluginhost.Dirs())
	entries := cat.Entries
	if name != "" {
		entries = slices.DeleteFunc(slices.Clone(entries), func(e *pluginhost.Entry) bool { return e.Name != name })
		if len(entries) == 0 {
			fmt.Fprintf(stdout, "no plugin %q in %s\n", name, strings.Join(pluginhost.Dirs(), ", "))
			return 1
		}
	}
	if len(entries) == 0 {
		return noPlugins(stdout)
	}
	cat.Verify()
	bad := 0
	for _, e := range entries {
		problems := checkOne(ctx, e, stdout)
		if len(problems) > 0 {
			bad++
			fmt.Fprintf(stdout, "%s: FAIL (%s)\n", e.Name, e.Path)
			for _, p := range problems {
				fmt.Fprintf(stdout, "  - %s\n", strings.ReplaceAll(p, "\n", "\n    "))
			}
		}
	}
	if bad > 0 {
		fmt.Fprintf(stdout, "%d of %d plugins have problems\n", bad, len(entries))
		return 1
	}
	return 0
}

func checkOne(ctx context.Context, e *pluginhost.Entry, stdout io.Writer) []string {
	if e.Problem != "" {
		return []string{e.Problem}
	}
	var problems []string
	dm, err := pluginhost.Describe(ctx, e.Path)
	if err != nil {
		problems = append(problems, err.Error())
	} else if servesOf(dm) != servesOf(e.Manifest) || dm.Version != e.Manifest.Version {
		problems = append(problems, fmt.Sprintf("stale manifest: %s%s says %s (%s), 'describe' says %s (%s)",
			e.Path, pluginhost.ManifestSuffix, e.Manifest.Version, servesOf(e.Manifest), dm.Version, servesOf(dm)))
	}
	start := time.Now()
	p, err := pluginhost.Start(ctx, e.Binary, pluginhost.Options{StartTimeout: 10 * time.Second})
	if err != nil {
		return append(problems, "failed handshake: "+err.Error())
	}
	took := time.Since(start)
	defer p.Kill()
	m := p.Manifest
	if m.Name != e.Name || m.Version != e.Manifest.Version || servesOf(m) != servesOf(e.Manifest) {
		problems = append(problems, fmt.Sprintf("the manifest says %s %s (%s), the running plugin says %s %s (%s)",
			e.Manifest.Name, e.Manifest.Version, servesOf(e.Manifest), m.Name, m.Version, servesOf(m)))
	}
	time.Sleep(100 * time.Millisecond)
	if p.Exited() {
		problems = append(problems, "the plugin exited right after its handshake; its stderr ends:\n"+p.Stderr())
	}
	if len(problems) == 0 {
		fmt.Fprintf(stdout, "%s: ok — %s %s (%s), handshake in %s\n", e.Name, m.Name, m.Version, servesOf(m), took.Round(time.Millisecond))
	}
	return problems
}
