package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/sdk/cache"
)

const cacheLong = `Shows and trims the artefact cache the lab's jobs share (lab.hcl's cache_dir,
bounded by cache_size; default ` + "`/var/cache/lavacore/artefacts`" + ` for root, else
$XDG_CACHE_HOME/lavacore/artefacts). Downloads are kept by content (sha256),
indexed by URL with the server's ETag, Last-Modified and size; a later job
revalidates with a conditional request and copies the cached file.

  list    every cached URL: size, sha256, last used, hits (in use: a job copies it now)
  prune   remove the least recently used files down to --max-size (default: the
          lab's cache_size), or every file with --all; files in use are kept`

type cacheOptions struct {
	Dir, Lab string
	MaxSize  string
	All      bool
	Output   string
}

func newCacheCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "cache list|prune",
		Short: "list and prune the artefact cache the lab's jobs share (URL, size, sha256, last used, hits)",
		Long:  cacheLong,
		Args:  groupArgs,
		RunE:  groupRun,
	}
	common := func(f *pflag.FlagSet, o *cacheOptions) {
		f.StringVar(&o.Lab, "lab", defaultLabDir(), labFlagUsage)
		f.StringVar(&o.Dir, "dir", "", "the cache directory (default: the lab's cache_dir)")
	}
	var lo cacheOptions
	list := &cobra.Command{Use: "list", Short: "every cached URL: size, sha256, last used, hits", Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkOutput(lo.Output, "text", "json"); err != nil {
				return err
			}
			return exit(cacheList(lo, c.OutOrStdout(), c.ErrOrStderr()))
		}}
	common(list.Flags(), &lo)
	outputFlag(list.Flags(), &lo.Output, "text")
	var po cacheOptions
	prune := &cobra.Command{Use: "prune [--max-size N] [--all]", Short: "remove the least recently used files (never those in use)", Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if po.All && po.MaxSize != "" {
				return usagef("--all and --max-size exclude each other")
			}
			return exit(cachePrune(c.Context(), po, c.OutOrStdout(), c.ErrOrStderr()))
		}}
	common(prune.Flags(), &po)
	prune.Flags().StringVar(&po.MaxSize, "max-size", "", "keep at most this much (bytes, or with K, M, G, T: 10G)")
	prune.Flags().BoolVar(&po.All, "all", false, "remove every file that is not in use")
	c.AddCommand(list, prune)
	return c
}

// openCacheOf opens the cache of o: --dir, else the lab's cache_dir.
func openCacheOf(o cacheOptions, stderr io.Writer) (*cache.Cache, bool) {
	dir, max := o.Dir, int64(0)
	if dir == "" {
		lab, diags := device.LoadLab(o.Lab, device.LoadOptions{})
		if lab == nil || diags.HasErrors() {
			fmt.Fprintf(stderr, "lavacore cache: the lab %s: %v\n", o.Lab, diags)
			return nil, false
		}
		if lab.CacheDir == "" {
			fmt.Fprintf(stderr, "lavacore cache: the lab %s has no cache (cache_size = 0)\n", o.Lab)
			return nil, false
		}
		dir, max = lab.CacheDir, lab.CacheMaxBytes
	}
	c, err := cache.Open(dir, max, nil)
	if err != nil {
		fmt.Fprintf(stderr, "lavacore cache: %v\n", err)
		return nil, false
	}
	return c, true
}

type cachedJSON struct {
	URL      string    `json:"url"`
	Size     int64     `json:"size"`
	SHA256   string    `json:"sha256"`
	ETag     string    `json:"etag,omitempty"`
	LastMod  string    `json:"last_modified,omitempty"`
	Stored   time.Time `json:"stored"`
	LastUsed time.Time `json:"last_used"`
	Hits     int64     `json:"hits"`
	InUse    bool      `json:"in_use"`
}

func cacheList(o cacheOptions, stdout, stderr io.Writer) int {
	c, ok := openCacheOf(o, stderr)
	if !ok {
		return exitFailed
	}
	defer c.Close()
	entries, err := c.List()
	if err != nil {
		fmt.Fprintf(stderr, "lavacore cache: %v\n", err)
		return exitFailed
	}
	if o.Output == "json" {
		out := []cachedJSON{}
		for _, e := range entries {
			out = append(out, cachedJSON{URL: e.URL, Size: e.Size, SHA256: e.SHA256, ETag: e.ETag, LastMod: e.LastModified,
				Stored: e.Stored, LastUsed: e.LastUsed, Hits: e.Hits, InUse: e.InUse})
		}
		if err := writeJSON(stdout, map[string]any{"dir": c.Dir(), "max_bytes": c.MaxBytes(), "entries": out}); err != nil {
			return exitFailed
		}
		return exitOK
	}
	var total int64
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "URL\tSIZE\tSHA256\tLAST USED\tHITS")
	for _, e := range entries {
		used := e.LastUsed.Local().Format("2006-01-02 15:04:05")
		if e.InUse {
			used += " (in use)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", e.URL, cache.FormatSize(e.Size), e.SHA256, used, e.Hits)
		total += e.Size
	}
	tw.Flush()
	fmt.Fprintf(stdout, "%d file(s), %s of %s in %s\n", len(entries), cache.FormatSize(total), cache.FormatSize(c.MaxBytes()), c.Dir())
	return exitOK
}

func cachePrune(ctx context.Context, o cacheOptions, stdout, stderr io.Writer) int {
	c, ok := openCacheOf(o, stderr)
	if !ok {
		return exitFailed
	}
	defer c.Close()
	max := c.MaxBytes()
	switch {
	case o.All:
		max = 0
	case o.MaxSize != "":
		n, err := cache.ParseSize(o.MaxSize)
		if err != nil {
			fmt.Fprintf(stderr, "lavacore cache prune: --max-size: %v\n", err)
			return exitInvalid
		}
		max = n
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute) // waiting for another prune
	defer cancel()
	res, err := c.Prune(ctx, max)
	if err != nil {
		fmt.Fprintf(stderr, "lavacore cache prune: %v\n", err)
		return exitFailed
	}
	for _, e := range res.Removed {
		name := e.URL
		if name == "" {
			name = "(no URL)"
		}
		fmt.Fprintf(stdout, "removed %s (%s, sha256 %s)\n", name, cache.FormatSize(e.Size), e.SHA256)
	}
	fmt.Fprintf(stdout, "removed %d file(s) (%s); kept %d (%s)", len(res.Removed), cache.FormatSize(res.RemovedBytes), res.Kept, cache.FormatSize(res.KeptBytes))
	if res.InUse > 0 {
		fmt.Fprintf(stdout, ", %d in use", res.InUse)
	}
	fmt.Fprintln(stdout)
	return exitOK
}
