package device

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"gopkg.in/yaml.v3"
)

// WriteDevice prints every resolved value of d and where it came from, its
// connections, power commands, delays, timeouts, constants and methods (with
// their command sets). `lavacore devices show` prints this.
func WriteDevice(w io.Writer, d *Device) error {
	var b strings.Builder
	fmt.Fprintf(&b, "device %s\n", d.Name)
	tw := tabwriter.NewWriter(&b, 0, 4, 1, ' ', 0)
	fmt.Fprintf(tw, "  type:\t%s\n", d.Type)
	if d.Description != "" {
		fmt.Fprintf(tw, "  description:\t%s\n", d.Description)
	}
	if d.Arch != "" {
		fmt.Fprintf(tw, "  arch:\t%s\n", d.Arch)
	}
	if d.File != "" {
		fmt.Fprintf(tw, "  file:\t%s:%d\n", d.File, d.Range.Start.Line)
	}
	if d.Worker != "" {
		fmt.Fprintf(tw, "  worker:\t%s\n", d.Worker)
	}
	if len(d.Tags) > 0 {
		fmt.Fprintf(tw, "  tags:\t%s\n", strings.Join(d.Tags, ", "))
	}
	if d.Guest {
		fmt.Fprintf(tw, "  guest:\tminimised copy for a connection: ssh role (no power, no console)\n")
	}
	tw.Flush()

	b.WriteString("\nvariables (* = a job context may override):\n")
	tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	ctx := map[string]bool{}
	for _, n := range d.JobContext {
		ctx[n] = true
	}
	for _, n := range d.VarNames() {
		v := d.Vars[n]
		mark := " "
		if ctx[n] {
			mark = "*"
		}
		where := v.File
		if v.Line > 0 {
			where = fmt.Sprintf("%s:%d", v.File, v.Line)
		}
		fmt.Fprintf(tw, "  %s %s\t%s\t%s\t= %s\n", mark, n, v.Origin, where, showValue(v))
	}
	tw.Flush()

	b.WriteString("\nconnections:\n")
	if len(d.Connections) == 0 {
		b.WriteString("  (none)\n")
	}
	for _, c := range d.Connections {
		prim := ""
		if c.Primary {
			prim = " (primary)"
		}
		tags := ""
		if len(c.Tags) > 0 {
			tags = " [" + strings.Join(c.Tags, ", ") + "]"
		}
		fmt.Fprintf(&b, "  %s%s%s: %s\n", c.Name, prim, tags, c.Describe())
	}

	b.WriteString("\npower:\n")
	for _, p := range []struct {
		name string
		cmds []string
	}{{"power_on", d.Power.On}, {"power_off", d.Power.Off}, {"hard_reset", d.Power.HardReset},
		{"pre_power_command", d.Power.PrePower}, {"pre_os_command", d.Power.PreOS}} {
		if len(p.cmds) == 0 {
			if strings.HasPrefix(p.name, "pre_") {
				continue // shown only when set
			}
			fmt.Fprintf(&b, "  %s: (none)\n", p.name)
			continue
		}
		for _, c := range p.cmds {
			fmt.Fprintf(&b, "  %s: %s\n", p.name, c)
		}
	}

	if len(d.UserCommands) > 0 {
		b.WriteString("\nuser commands:\n")
		for _, n := range keys(d.UserCommands) {
			uc := d.UserCommands[n]
			fmt.Fprintf(&b, "  %s (%s:%d):\n", n, uc.Range.Filename, uc.Range.Start.Line)
			for _, c := range uc.Do {
				fmt.Fprintf(&b, "    do: %s\n", c)
			}
			for _, c := range uc.Undo {
				fmt.Fprintf(&b, "    undo: %s\n", c)
			}
		}
	}

	b.WriteString("\ncharacter delays:\n")
	writeDurations(&b, d.CharacterDelays)
	b.WriteString("\ntimeouts.actions:\n")
	writeDurations(&b, d.ActionTimeouts)
	b.WriteString("\ntimeouts.connections:\n")
	writeDurations(&b, d.ConnectionTimeouts)

	b.WriteString("\nconstants:\n")
	writeYAML(&b, d.Constants)

	b.WriteString("\nmethods:\n")
	if len(d.Methods) == 0 {
		b.WriteString("  (none)\n")
	}
	for _, k := range d.MethodKeys() {
		r := d.MethodRanges[k]
		if r.Filename != "" {
			fmt.Fprintf(&b, "  %s (%s:%d):\n", k, r.Filename, r.Start.Line)
		} else {
			fmt.Fprintf(&b, "  %s:\n", k)
		}
		if len(d.Methods[k]) == 0 {
			b.WriteString("    {}\n")
			continue
		}
		var mb strings.Builder
		writeYAML(&mb, d.Methods[k])
		for _, line := range strings.SplitAfter(mb.String(), "\n") {
			if line != "" {
				b.WriteString("  " + line)
			}
		}
	}

	if len(d.Environment) > 0 {
		b.WriteString("\nenvironment:\n")
		for _, k := range keys(d.Environment) {
			fmt.Fprintf(&b, "  %s=%s\n", k, d.Environment[k])
		}
	}
	writeExternal(&b, d)
	_, err := io.WriteString(w, b.String())
	return err
}

func showValue(v Value) string {
	switch x := v.Raw.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(x)
	}
	return v.Value
}

func writeDurations(b *strings.Builder, m map[string]time.Duration) {
	if len(m) == 0 {
		b.WriteString("  (none)\n")
		return
	}
	names := keys(m)
	sort.Strings(names)
	tw := tabwriter.NewWriter(b, 0, 4, 1, ' ', 0)
	for _, n := range names {
		fmt.Fprintf(tw, "  %s:\t%s\n", n, m[n])
	}
	tw.Flush()
}

func writeYAML(b *strings.Builder, v any) {
	if m, ok := v.(map[string]any); ok && len(m) == 0 {
		b.WriteString("  (none)\n")
		return
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(intsForDisplay(v)); err != nil {
		fmt.Fprintf(b, "  (%v)\n", err)
		return
	}
	enc.Close()
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		if line != "" {
			b.WriteString("  " + line)
		}
	}
}

// intsForDisplay copies v with whole float64 numbers as int64, so that YAML
// shows 1048576, not 1.048576e+06.
func intsForDisplay(v any) any {
	switch x := v.(type) {
	case float64:
		if x == float64(int64(x)) && x > -(1<<53) && x < 1<<53 {
			return int64(x)
		}
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = intsForDisplay(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = intsForDisplay(e)
		}
		return out
	}
	return v
}
