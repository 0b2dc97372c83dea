package main

import (
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/core/device"
)

const devicesLong = `Lists a lab's devices and device types, shows one device's resolved values
and where each came from, and imports devices rendered by LAVA.`

const devicesShowLong = `Shows every resolved variable of the device with its origin (type default,
device file:line, job context), the console connections, power commands,
character delays, timeouts, constants and method blocks with their command
sets. With --lava-device, a device file rendered by LAVA (the YAML lava-run
--device takes), and what it holds that lavacore does not use (yet).

--job applies the job's context: block (with --role, the MultiNode role's
context too); only variables the device type lists in job_context are
overridden, as LAVA does. --context KEY=VALUE applies one more value
(repeatable; wins over --job). --guest shows the minimised copy a MultiNode
"connection: ssh" role gets. --output json prints the resolved device with
snake_case keys and durations in seconds.`

const devicesImportLong = `Writes a rendered LAVA device file as HCL: DIR/devices/NAME.hcl and, when
its type is new, DIR/devicetypes/TYPE.hcl (a standalone type with every value
of the file; devices differing only in their connection and power commands
share it). TYPE: --type, the file's devicetype, else lava-NAME. Existing files
are kept unless --force.`

// devicesOptions are the flags of `lavacore devices`.
type devicesOptions struct {
	Lab        string
	LavaDevice string
	Type       string
	Out        string
	Force      bool
	Job        string
	Role       string
	Contexts   []string
	Guest      bool
	JSON       bool
}

func newDevicesCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "devices list|types|show|import",
		Short: "list a lab's devices and device types, show one device's resolved values and where they came from, import LAVA's",
		Long:  devicesLong,
		Args:  groupArgs,
		RunE:  groupRun,
	}
	// each subcommand: its flags on o, then its core function
	sub := func(use, short, long string, args cobra.PositionalArgs, flags func(*pflag.FlagSet, *devicesOptions, *string),
		run func(o devicesOptions, args []string, stdout, stderr io.Writer) int) *cobra.Command {
		var o devicesOptions
		output := "text"
		sc := &cobra.Command{Use: use, Short: short, Long: long, Args: args,
			RunE: func(c *cobra.Command, a []string) error {
				if err := checkOutput(output, "text", "json"); err != nil {
					return err
				}
				o.JSON = o.JSON || output == "json"
				return exit(run(o, a, c.OutOrStdout(), c.ErrOrStderr()))
			}}
		flags(sc.Flags(), &o, &output)
		return sc
	}
	lab := func(f *pflag.FlagSet, o *devicesOptions) { f.StringVar(&o.Lab, "lab", defaultLabDir(), labFlagUsage) }
	c.AddCommand(
		sub("list", "every device of the lab: name, device type, worker, file, status",
			"Lists every device of the lab: name, device type, worker, file and status\n(ok, or error when its file has errors).", noArgs,
			func(f *pflag.FlagSet, o *devicesOptions, out *string) { lab(f, o); outputFlag(f, out, "text") },
			func(o devicesOptions, _ []string, stdout, stderr io.Writer) int {
				return devicesList(o, stdout, stderr)
			}),
		sub("types", "every device type the lab can use (DIR/devicetypes/*.hcl, then the built-in ones)",
			"Lists every device type the lab can use: DIR/devicetypes/*.hcl, then the built-in ones.", noArgs,
			func(f *pflag.FlagSet, o *devicesOptions, out *string) { lab(f, o); outputFlag(f, out, "text") },
			func(o devicesOptions, _ []string, stdout, stderr io.Writer) int {
				return devicesTypes(o, stdout, stderr)
			}),
		sub("show NAME|--lava-device DEVICE.yaml", "a device's resolved values and where each came from", devicesShowLong,
			rangeArgs(0, 1, "one device NAME"),
			func(f *pflag.FlagSet, o *devicesOptions, out *string) {
				lab(f, o)
				f.StringVar(&o.Job, "job", "", "apply this job file's context: block")
				f.StringVar(&o.Role, "role", "", "with --job: apply this MultiNode role's context too")
				f.StringArrayVar(&o.Contexts, "context", nil, "KEY=VALUE: apply one more context value (repeatable; wins over --job)")
				f.BoolVar(&o.Guest, "guest", false, "show the minimised copy a MultiNode \"connection: ssh\" role gets")
				f.StringVar(&o.LavaDevice, "lava-device", "", "a device file rendered by LAVA instead of a lab device")
				f.StringVar(&o.Type, "type", "", "the device type of a rendered file whose devicetype is empty (LAVA's test devices)")
				outputFlag(f, out, "text")
				f.BoolVar(&o.JSON, "json", false, "the same as --output json")
				_ = f.MarkHidden("json")
			},
			func(o devicesOptions, args []string, stdout, stderr io.Writer) int {
				if o.LavaDevice != "" {
					if len(args) != 0 || o.Job != "" || len(o.Contexts) > 0 {
						fmt.Fprintln(stderr, "lavacore devices show: --lava-device takes no device name, --job or --context (LAVA applied the job context when it rendered the file)")
						return exitInvalid
					}
					return devicesShowLAVA(o, stdout, stderr)
				}
				if len(args) != 1 {
					fmt.Fprintln(stderr, "lavacore devices show: missing the device NAME (or --lava-device)")
					return exitInvalid
				}
				return devicesShow(o, args[0], stdout, stderr)
			}),
		sub("import DEVICE.yaml", "write a device rendered by LAVA as an HCL device (and device type)", devicesImportLong,
			exactArgs(1, "one rendered DEVICE.yaml"),
			func(f *pflag.FlagSet, o *devicesOptions, _ *string) {
				f.StringVar(&o.Out, "out", ".", "the lab directory to write into")
				f.StringVar(&o.Type, "type", "", "the device type to write (default: the file's devicetype, else lava-NAME)")
				f.BoolVar(&o.Force, "force", false, "overwrite existing files")
			},
			func(o devicesOptions, args []string, stdout, stderr io.Writer) int {
				return devicesImport(o, args[0], stdout, stderr)
			}),
	)
	return c
}

// loadLabFor loads the lab and prints its diagnostics (nil: there is no lab).
func loadLabFor(o devicesOptions, cmd string, stderr io.Writer) (*device.Lab, hcl.Diagnostics) {
	if missingLab("devices "+cmd, o.Lab, stderr) {
		return nil, nil
	}
	lab, diags := device.LoadLab(o.Lab, device.LoadOptions{})
	if len(diags) > 0 {
		lab.WriteDiagnostics(stderr, diags)
	}
	return lab, diags
}

// deviceRow is one device of `devices list --output json`.
type deviceRow struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Worker string `json:"worker"`
	File   string `json:"file"`
	Status string `json:"status"` // ok, error
}

func devicesList(o devicesOptions, stdout, stderr io.Writer) int {
	lab, diags := loadLabFor(o, "list", stderr)
	if lab == nil {
		return exitInvalid
	}
	rows := []deviceRow{}
	for _, n := range lab.DeviceNames() {
		typ, worker, file, _ := lab.DeviceDecl(n)
		status := "ok"
		if _, ok := lab.Devices[n]; !ok {
			status = "error"
		}
		rows = append(rows, deviceRow{Name: n, Type: typ, Worker: worker, File: file, Status: status})
	}
	if o.JSON {
		if err := writeJSON(stdout, rows); err != nil {
			fmt.Fprintf(stderr, "lavacore devices list: %v\n", err)
			return exitFailed
		}
	} else {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tTYPE\tWORKER\tFILE\tSTATUS")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, r.Type, orDash(r.Worker), r.File, r.Status)
		}
		tw.Flush()
	}
	if diags.HasErrors() {
		return exitInvalid
	}
	return exitOK
}

// typeRow is one device type of `devices types --output json`.
type typeRow struct {
	Name        string `json:"name"`
	Arch        string `json:"arch"`
	Devices     int    `json:"devices"`
	File        string `json:"file"`
	Description string `json:"description"`
}

func devicesTypes(o devicesOptions, stdout, stderr io.Writer) int {
	lab, diags := loadLabFor(o, "types", stderr)
	if lab == nil {
		return exitInvalid
	}
	names := make([]string, 0, len(lab.Types))
	for n := range lab.Types {
		names = append(names, n)
	}
	sort.Strings(names)
	rows := []typeRow{}
	for _, n := range names {
		t := lab.Types[n]
		rows = append(rows, typeRow{Name: n, Arch: t.Arch, Devices: len(lab.DevicesOfType(n)), File: t.File, Description: t.Description})
	}
	if o.JSON {
		if err := writeJSON(stdout, rows); err != nil {
			fmt.Fprintf(stderr, "lavacore devices types: %v\n", err)
			return exitFailed
		}
	} else {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tARCH\tDEVICES\tFILE\tDESCRIPTION")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", r.Name, r.Arch, r.Devices, r.File, r.Description)
		}
		tw.Flush()
	}
	if diags.HasErrors() {
		return exitInvalid
	}
	return exitOK
}

func devicesShow(o devicesOptions, name string, stdout, stderr io.Writer) int {
	if missingLab("devices show", o.Lab, stderr) {
		return exitInvalid
	}
	lab, diags := device.LoadLab(o.Lab, device.LoadOptions{})
	if _, _, _, declared := lab.DeviceDecl(name); !declared {
		if len(diags) > 0 {
			lab.WriteDiagnostics(stderr, diags)
		}
		if diags.HasErrors() {
			return exitInvalid
		}
	} else {
		// Errors about other devices are not this command's business; the
		// lab's own (lab.hcl) are.
		var labDiags hcl.Diagnostics
		for _, d := range diags {
			if d.Subject == nil || d.Subject.Filename == lab.File {
				labDiags = append(labDiags, d)
			}
		}
		if len(labDiags) > 0 {
			lab.WriteDiagnostics(stderr, labDiags)
		}
	}
	jobCtx := map[string]any{}
	if o.Job != "" {
		c, err := jobContext(o.Job, o.Role)
		if err != nil {
			fmt.Fprintf(stderr, "lavacore devices show: %v\n", err)
			return exitInvalid
		}
		for k, v := range c {
			jobCtx[k] = v
		}
	}
	for _, kv := range o.Contexts {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			fmt.Fprintf(stderr, "lavacore devices show: --context %q: want KEY=VALUE\n", kv)
			return exitInvalid
		}
		jobCtx[k] = device.ContextValue{Value: v, File: "--context"}
	}
	d, ddiags := lab.Device(name, jobCtx)
	if len(ddiags) > 0 {
		files := map[string]*hcl.File{}
		for k, v := range lab.Files() {
			files[k] = v
		}
		if o.Job != "" {
			// Snippets of the job file for context errors.
			if src, err := os.ReadFile(o.Job); err == nil {
				files[o.Job] = &hcl.File{Bytes: src}
				for _, d := range ddiags {
					if d.Subject != nil && d.Subject.Filename == o.Job {
						d.Subject.Start.Byte = byteOffset(src, d.Subject.Start)
						d.Subject.End.Byte = byteOffset(src, d.Subject.End)
					}
				}
			}
		}
		device.WriteDiagnostics(stderr, files, ddiags, 0, false)
	}
	if d == nil {
		return exitInvalid
	}
	return printDevice(o, d, stdout, stderr)
}

// printDevice prints a resolved device for `devices show` (text or JSON).
func printDevice(o devicesOptions, d *device.Device, stdout, stderr io.Writer) int {
	if o.Guest {
		d = device.GuestDevice(d)
	}
	if o.JSON {
		if err := writeJSON(stdout, snakeJSON(reflect.ValueOf(d))); err != nil {
			fmt.Fprintf(stderr, "lavacore devices show: %v\n", err)
			return exitFailed
		}
		return exitOK
	}
	if err := device.WriteDevice(stdout, d); err != nil {
		fmt.Fprintf(stderr, "lavacore devices show: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// jobContext reads a LAVA job's context: block (and, with role, the
// lava-multinode role's context:), keeping each key's position.
func jobContext(file, role string) (map[string]any, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: a LAVA job is a mapping", file)
	}
	root := doc.Content[0]
	out := map[string]any{}
	add := func(m *yaml.Node, path string) error {
		if m == nil {
			return nil
		}
		if m.Kind != yaml.MappingNode {
			return fmt.Errorf("%s:%d:%d: %s: expected a mapping", file, m.Line, m.Column, path)
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			var val any
			if err := v.Decode(&val); err != nil {
				return fmt.Errorf("%s:%d:%d: %s.%s: %v", file, v.Line, v.Column, path, k.Value, err)
			}
			out[k.Value] = device.ContextValue{Value: val, File: file, Line: k.Line, Column: k.Column}
		}
		return nil
	}
	if err := add(mapGet(root, "context"), "context"); err != nil {
		return nil, err
	}
	if role != "" {
		roles := mapGet(mapGet(mapGet(root, "protocols"), "lava-multinode"), "roles")
		r := mapGet(roles, role)
		if r == nil {
			return nil, fmt.Errorf("%s: protocols.lava-multinode.roles has no role %q", file, role)
		}
		if err := add(mapGet(r, "context"), "protocols.lava-multinode.roles."+role+".context"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func mapGet(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// byteOffset finds the byte offset of a 1-based line and column in src.
func byteOffset(src []byte, p hcl.Pos) int {
	line, off := 1, 0
	for off < len(src) && line < p.Line {
		if src[off] == '\n' {
			line++
		}
		off++
	}
	off += p.Column - 1
	if off > len(src) {
		off = len(src)
	}
	return off
}
