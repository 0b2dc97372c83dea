package main

import (
	"encoding/json"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// outputFlag adds --output (-o): text (or yaml) for people, json for programs.
func outputFlag(f *pflag.FlagSet, p *string, def string) {
	choices := "text or json"
	if def == "yaml" {
		choices = "yaml or json"
	}
	f.StringVarP(p, "output", "o", def, "output format: "+choices+" (json: stable snake_case fields, durations in seconds)")
}

// checkOutput is a usage error unless the output format is one of choices.
func checkOutput(got string, choices ...string) error {
	if slices.Contains(choices, got) {
		return nil
	}
	return usagef("--output must be %s, not %q", strings.Join(choices, " or "), got)
}

// writeJSON prints v as indented JSON (HTML characters unescaped).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
