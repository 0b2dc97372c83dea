package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/hashicorp/hcl/v2"
	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/core/device"
)

const devicesUsage = `usage:
  lavacore devices list  [--lab DIR]
  lavacore devices types [--lab DIR]
  lavacore devices show NAME [--lab DIR] [--job JOB.yaml [--role ROLE]] [--context KEY=VALUE ...] [--guest] [--json]
  lavacore devices show --lava-device DEVICE.yaml [--type TYPE] [--guest] [--json]
  lavacore devices import DEVICE.yaml [--out DIR] [--type TYPE] [--force]

list   every device of the lab: name, device type, worker, file.
types  every device type the lab can use (DIR/devicetypes/*.hcl, then the built-in ones).
show   every resolved variable with its origin (type default, device file:line,
       job context), the console connections, power commands, character delays,
       timeouts, constants and method blocks with their command sets.
       With --lava-device, a device file rendered by LAVA (the YAML lava-run
       --device takes), and what it holds that lavacore does not use (yet).
import writes a rendered LAVA device file as HCL: DIR/devices/NAME.hcl and,
       when its type is new, DIR/devicetypes/TYPE.hcl (a standalone type with
       every value of the file; devices differing only in their connection
       and power commands share it). TYPE: --type, the file's devicetype,
       else lava-NAME. Existing files are kept unless --force.

--lab DIR       the lab directory (lab.hcl, devices/*.hcl, devicetypes/*.hcl).
                Default: $LAVACORE_LAB_DIR, else ./lab.
--job JOB.yaml  apply the job's context: block (with --role, the MultiNode role's
                context too); only variables the device type lists in
                job_context are overridden, as LAVA does.
--context K=V   apply one more context value (repeatable; wins over --job).
--guest         show the minimised copy a MultiNode "connection: ssh" role gets.
--json          print the resolved device (core/device.Device) as JSON; durations
                are nanoseconds.
--lava-device F a device file rendered by LAVA instead of a lab device.
--type TYPE     the device type of a rendered file whose devicetype is empty
                (LAVA's test devices).
--out DIR       the lab directory import writes into (default: .).
--force         import overwrites existing files.
`

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

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func defaultLabDir() string {
	if d := os.Getenv("LAVACORE_LAB_DIR"); d != "" {
		return d
	}
	return "lab"
}

func runDevices(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, devicesUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub := args[0]
	fs := flag.NewFlagSet("devices "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o devicesOptions
	var contexts multiFlag
	fs.StringVar(&o.Lab, "lab", defaultLabDir(), "lab directory")
	if sub == "show" {
		fs.StringVar(&o.Job, "job", "", "job file whose context applies")
		fs.StringVar(&o.Role, "role", "", "MultiNode role whose context applies")
		fs.Var(&contexts, "context", "KEY=VALUE context value")
		fs.BoolVar(&o.Guest, "guest", false, "show the ssh guest's minimised copy")
		fs.BoolVar(&o.JSON, "json", false, "print the resolved device as JSON")
		fs.StringVar(&o.LavaDevice, "lava-device", "", "a rendered LAVA device file")
	}
	if sub == "show" || sub == "import" {
		fs.StringVar(&o.Type, "type", "", "device type of a rendered file without one")
	}
	if sub == "import" {
		fs.StringVar(&o.Out, "out", ".", "lab directory to write into")
		fs.BoolVar(&o.Force, "force", false, "overwrite existing files")
	}
	// Allow flags after the positional NAME.
	var positional []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stderr, devicesUsage)
				return 0
			}
			fmt.Fprintf(stderr, "lavacore devices %s: %v\n\n%s", sub, err, devicesUsage)
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	o.Contexts = contexts

	switch sub {
	case "list":
		if len(positional) != 0 {
			fmt.Fprintf(stderr, "lavacore devices list: unexpected argument %q\n", positional[0])
			return 2
		}
		return devicesList(o, stdout, stderr)
	case "types":
		if len(positional) != 0 {
			fmt.Fprintf(stderr, "lavacore devices types: unexpected argument %q\n", positional[0])
			return 2
		}
		return devicesTypes(o, stdout, stderr)
	case "show":
		if o.LavaDevice != "" {
			if len(positional) != 0 || o.Job != "" || len(o.Contexts) > 0 {
				fmt.Fprintf(stderr, "lavacore devices show: --lava-device takes no device name, --job or --context (LAVA applied the job context when it rendered the file)\n\n%s", devicesUsage)
				return 2
			}
			return devicesShowLAVA(o, stdout, stderr)
		}
		if len(positional) != 1 {
			fmt.Fprintf(stderr, "lavacore devices show: need exactly one device name\n\n%s", devicesUsage)
			return 2
		}
		return devicesShow(o, positional[0], stdout, stderr)
	case "import":
		if len(positional) != 1 {
			fmt.Fprintf(stderr, "lavacore devices import: need exactly one rendered device file\n\n%s", devicesUsage)
			return 2
		}
		return devicesImport(o, positional[0], stdout, stderr)
	}
	fmt.Fprintf(stderr, "lavacore devices: unknown subcommand %q\n\n%s", sub, devicesUsage)
	return 2
}

// loadLabFor loads the lab and prints its diagnostics.
func loadLabFor(o devicesOptions, stderr io.Writer) (*device.Lab, hcl.Diagnostics) {
	lab, diags := device.LoadLab(o.Lab, device.LoadOptions{})
	if len(diags) > 0 {
		lab.WriteDiagnostics(stderr, diags)
	}
	return lab, diags
}

func devicesList(o devicesOptions, stdout, stderr io.Writer) int {
	lab, diags := loadLabFor(o, stderr)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTYPE\tWORKER\tFILE\tSTATUS")
	for _, n := range lab.DeviceNames() {
		typ, worker, file, _ := lab.DeviceDecl(n)
		status := "ok"
		if _, ok := lab.Devices[n]; !ok {
			status = "error"
		}
		if worker == "" {
			worker = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", n, typ, worker, file, status)
	}
	tw.Flush()
	if diags.HasErrors() {
		return 1
	}
	return 0
}

func devicesTypes(o devicesOptions, stdout, stderr io.Writer) int {
	lab, diags := loadLabFor(o, stderr)
	names := make([]string, 0, len(lab.Types))
	for n := range lab.Types {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tARCH\tDEVICES\tFILE\tDESCRIPTION")
	for _, n := range names {
		t := lab.Types[n]
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", n, t.Arch, len(lab.DevicesOfType(n)), t.File, t.Description)
	}
	tw.Flush()
	if diags.HasErrors() {
		return 1
	}
	return 0
}

func devicesShow(o devicesOptions, name string, stdout, stderr io.Writer) int {
	lab, diags := device.LoadLab(o.Lab, device.LoadOptions{})
	if _, _, _, declared := lab.DeviceDecl(name); !declared {
		if len(diags) > 0 {
			lab.WriteDiagnostics(stderr, diags)
		}
		if diags.HasErrors() {
			return 1
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
			return 1
		}
		for k, v := range c {
			jobCtx[k] = v
		}
	}
	for _, kv := range o.Contexts {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			fmt.Fprintf(stderr, "lavacore devices show: --context %q: want KEY=VALUE\n", kv)
			return 2
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
		return 1
	}
	return printDevice(o, d, stdout, stderr)
}

// printDevice prints a resolved device for `devices show` (text or JSON).
func printDevice(o devicesOptions, d *device.Device, stdout, stderr io.Writer) int {
	if o.Guest {
		d = device.GuestDevice(d)
	}
	if o.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(d); err != nil {
			fmt.Fprintf(stderr, "lavacore devices show: %v\n", err)
			return 1
		}
		return 0
	}
	if err := device.WriteDevice(stdout, d); err != nil {
		fmt.Fprintf(stderr, "lavacore devices show: %v\n", err)
		return 1
	}
	return 0
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
