package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/lavacore/lavacore/sdk"
)

// version and commit are set by the Makefile:
// -ldflags "-X main.version=$(git describe --tags --always --dirty) -X main.commit=$(git rev-parse HEAD)".
// Without them (go build, go install) they come from the build info.
var (
	version = ""
	commit  = ""
)

// buildVersion is lavacore's version and commit: the linker's, else the
// module's version and the VCS revision Go recorded, else "devel"/"unknown".
func buildVersion() (v, c string) {
	v, c = version, commit
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		if c == "" {
			for _, s := range info.Settings {
				if s.Key == "vcs.revision" {
					c = s.Value
				}
			}
		}
	}
	if v == "" {
		v = "devel"
	}
	if c == "" {
		c = "unknown"
	}
	return v, c
}

// versionString is what --version and `lavacore version` print.
func versionString() string {
	v, c := buildVersion()
	return fmt.Sprintf("lavacore %s (commit %s, plugin API %d, %s %s/%s)",
		v, c, sdk.Handshake.ProtocolVersion, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print lavacore's version, commit and plugin API version",
		Long: "Prints lavacore's version (git describe of the build), its commit, the plugin API\n" +
			"version (plugins built for another are refused) and the Go toolchain.",
		Args: noArgs,
		Run: func(c *cobra.Command, args []string) {
			fmt.Fprintln(c.OutOrStdout(), versionString())
		},
	}
}

func newCompletionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "print the shell completion script for bash, zsh or fish",
		Long: `Prints the shell completion script for bash, zsh or fish. For example:

  lavacore completion bash > /etc/bash_completion.d/lavacore
  lavacore completion zsh > "${fpath[1]}/_lavacore"
  lavacore completion fish > ~/.config/fish/completions/lavacore.fish`,
		ValidArgs: []string{"bash", "zsh", "fish"},
		Args:      exactArgs(1, "a shell: bash, zsh or fish"),
		RunE: func(c *cobra.Command, args []string) error {
			w := c.OutOrStdout()
			switch args[0] {
			case "bash":
				return c.Root().GenBashCompletionV2(w, true)
			case "zsh":
				return c.Root().GenZshCompletion(w)
			case "fish":
				return c.Root().GenFishCompletion(w, true)
			}
			return usagef("no completion for %q: bash, zsh or fish", args[0])
		},
	}
}
