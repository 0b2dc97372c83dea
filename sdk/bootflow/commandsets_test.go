package bootflow

import (
	"slices"
	"testing"

	"github.com/lavacore/lavacore/sdk"
)

func TestCommandList(t *testing.T) {
	block := map[string]any{"commands": map[string]any{
		"ramdisk": map[string]any{"commands": []any{"setenv a b", "bootz"}},
		"nfs":     []any{"setenv c d", "boot"},
	}}
	cases := []struct {
		name     string
		commands any
		block    map[string]any
		want     []string
		err      string // "" for success
	}{
		{"a command set by name", "nfs", block, []string{"setenv c d", "boot"}, ""},
		{"a literal list", []any{"one", "two"}, block, []string{"one", "two"}, ""},
		{"a literal list without a device block", []any{"one"}, nil, []string{"one"}, ""},
		{"a name the device lacks", "sata", block, nil, "Command 'sata' not found in supported methods"},
		{"no command sets at all", "nfs", nil, nil, "Command 'nfs' not found in supported methods"},
		{"no commands", nil, block, nil, "commands: expected a command set name or a list of commands"},
		{"a number", 3, block, nil, "commands: expected a command set name or a list of commands"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := CommandList(c.commands, c.block)
			if c.err != "" {
				if sdk.TypeOf(err) != sdk.Job || err.Error() != c.err {
					t.Fatalf("err = %v (%s), want the Job error %q", err, sdk.TypeOf(err), c.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, c.want) {
				t.Fatalf("CommandList = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestUnknownCommandSet(t *testing.T) {
	block := map[string]any{"commands": map[string]any{"ramdisk": nil, "nfs": nil}}
	req := sdk.Request{Device: sdk.Device{Type: "bbb"}}
	cases := []struct {
		name, set     string
		block         map[string]any
		summary, more string // "" summary: no diagnostic
	}{
		{"a set the device has", "nfs", block, "", ""},
		{"a set it lacks, with those it has", "sata", block,
			"Command 'sata' not found in supported methods", `device type "bbb" has the command sets: nfs, ramdisk`},
		{"a device without sets", "nfs", nil, "Command 'nfs' not found in supported methods", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := UnknownCommandSet(req, c.set, c.block)
			switch {
			case c.summary == "" && d != nil:
				t.Fatalf("diagnostic %+v, want none", *d)
			case c.summary == "":
			case d == nil:
				t.Fatalf("no diagnostic, want %q", c.summary)
			case d.Summary != c.summary || d.Detail != c.more || d.Path != "commands" || d.Severity != sdk.SevError:
				t.Fatalf("diagnostic %+v, want an error at commands: %q (%q)", *d, c.summary, c.more)
			}
		})
	}
}
