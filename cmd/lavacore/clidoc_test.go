package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// cliDoc renders docs/cli.md from the command tree: every command's usage,
// description and flags, as its --help says them.
func cliDoc() string {
	var b strings.Builder
	root := newRoot()
	b.WriteString("# The lavacore command line\n\n")
	b.WriteString("Generated from the commands' help by `go test ./cmd/lavacore -run TestCLIDoc -update`;\n")
	b.WriteString("`lavacore COMMAND --help` prints the same. Flags may come before, between or after the\n")
	b.WriteString("arguments; `lavacore completion bash|zsh|fish` prints a shell completion script.\n\n")
	b.WriteString("```\n" + exitCodesHelp + "```\n\n")
	b.WriteString("Commands:\n\n")
	var all []*cobra.Command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, s := range c.Commands() {
			if s.Hidden || s.Name() == "help" {
				continue
			}
			all = append(all, s)
			walk(s)
		}
	}
	walk(root)
	for _, c := range all {
		anchor := strings.ReplaceAll(c.CommandPath(), " ", "-")
		fmt.Fprintf(&b, "%s- [`%s`](#%s) — %s\n", strings.Repeat("  ", strings.Count(c.CommandPath(), " ")-1), c.CommandPath(), anchor, c.Short)
	}
	for _, c := range all {
		fmt.Fprintf(&b, "\n## %s\n\n", c.CommandPath())
		fmt.Fprintf(&b, "```\n%s\n```\n\n", c.UseLine())
		long := strings.TrimSpace(strings.Replace(c.Long, exitCodesHelp, "", 1))
		if long == "" {
			long = c.Short
		}
		b.WriteString(long + "\n")
		if subs := c.Commands(); len(subs) > 0 {
			b.WriteString("\nSubcommands:\n\n")
			for _, s := range subs {
				if !s.Hidden {
					fmt.Fprintf(&b, "- `%s` — %s\n", s.CommandPath(), s.Short)
				}
			}
		}
		if f := c.NonInheritedFlags(); f.HasAvailableFlags() {
			fmt.Fprintf(&b, "\nFlags:\n\n```\n%s```\n", f.FlagUsagesWrapped(100))
		}
		if f := c.InheritedFlags(); f.HasAvailableFlags() {
			fmt.Fprintf(&b, "\nInherited flags:\n\n```\n%s```\n", f.FlagUsagesWrapped(100))
		}
	}
	return b.String()
}

// docs/cli.md is the command tree's help, current.
func TestCLIDoc(t *testing.T) {
	t.Setenv("LAVACORE_LAB_DIR", "")
	t.Setenv("LAVACORE_CACHE_DIR", "")
	t.Setenv("LAVACORE_COORDINATOR_SECRET_FILE", "")
	path := filepath.Join("..", "..", "docs", "cli.md")
	got := cliDoc()
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/lavacore -run TestCLIDoc -update writes it)", err)
	}
	if string(want) != got {
		t.Errorf("docs/cli.md is not the commands' help: go test ./cmd/lavacore -run TestCLIDoc -update rewrites it")
	}
}
