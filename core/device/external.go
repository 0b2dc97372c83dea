package device

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/hcl/v2/hclparse"
	hcljson "github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/cache"
)

// This file holds the hooks for devices that come from another source than
// HCL (LAVA's rendered device files, core/device/lavayaml): a lab that holds
// such resolved devices, and the conversions that make their values the same
// as HCL's.

// NewLab returns a lab with no devices and the built-in device types, for
// devices added with AddDevice (e.g. `--lava-device FILE.yaml` without a lab).
func NewLab(dir string, opts LoadOptions) (*Lab, hcl.Diagnostics) {
	l := &loader{parser: hclparse.NewParser(), opts: opts}
	diags := l.loadTypes("")
	return &Lab{Dir: dir, Devices: map[string]*Device{}, Types: l.types, parser: l.parser,
		decls: map[string]*deviceDecl{}, opts: opts, CacheDir: cache.DefaultDir(), CacheMaxBytes: cache.DefaultMaxBytes}, diags
}

// AddDevice adds a device resolved outside the lab's HCL files (a rendered
// LAVA device file). Lab.Device returns it as it is: a job's context is not
// applied (LAVA applies it when it renders the file).
func (l *Lab) AddDevice(d *Device) error {
	if d == nil || strings.TrimSpace(d.Name) == "" {
		return fmt.Errorf("a device needs a name")
	}
	if prev, dup := l.decls[d.Name]; dup {
		return fmt.Errorf("device %q is already declared in %s:%d", d.Name, prev.File, prev.Range.Start.Line)
	}
	if _, dup := l.external[d.Name]; dup {
		return fmt.Errorf("device %q is already added", d.Name)
	}
	if l.external == nil {
		l.external = map[string]*Device{}
	}
	if l.Devices == nil {
		l.Devices = map[string]*Device{}
	}
	l.external[d.Name] = d
	l.Devices[d.Name] = d
	return nil
}

// externalDevice returns an added device for Lab.Device, with a warning when
// a job context would have changed an HCL device.
func (l *Lab) externalDevice(name string, jobContext map[string]any) (*Device, hcl.Diagnostics, bool) {
	d, ok := l.external[name]
	if !ok {
		return nil, nil, false
	}
	var diags hcl.Diagnostics
	if len(jobContext) > 0 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Job context not applied",
			Detail: fmt.Sprintf("Device %q comes from %s, a rendered device file: a job's context is applied when LAVA renders it, "+
				"so render it again with the job's context to change its values.", name, d.File),
		})
	}
	return d, diags, true
}

// NewValue builds a Value from a JSON-compatible Go value the way a device
// file's variable resolves (Value string, Raw, the cty type's friendly name).
func NewValue(raw any, origin Origin, file string, line, col int) (Value, error) {
	v, err := goToCty(raw)
	if err != nil {
		return Value{}, err
	}
	return Value{Value: ctyString(v), Raw: ctyToGo(v), Type: friendlyType(v.Type(), v),
		Origin: origin, File: file, Line: line, Column: col}, nil
}

// DecodeMethodMap gives a method's values from another source the shape an
// HCL method block decodes to (see Device.Methods). Without a spec for key
// (LoadOptions.Spec) m is returned as it is. With one, the values are decoded
// through it exactly as an HCL block is (types converted, defaults filled in,
// `lines` collapsed), and the keys the spec does not declare are returned
// apart in unused, by their path in m ("menu_options",
// "commands.nfs.cmdline"), not rejected.
func DecodeMethodMap(key string, m map[string]any, opts LoadOptions) (out, unused map[string]any, err error) {
	var bs *sdk.BlockSpec
	if opts.Spec != nil {
		bs = opts.Spec(key)
	}
	if bs == nil {
		return m, nil, nil
	}
	unused = map[string]any{}
	kept := partitionSpec(m, bs, "", unused)
	spec, err := hcldecSpec(bs)
	if err != nil {
		return nil, nil, fmt.Errorf("the spec of %s is invalid: %w", key, err)
	}
	src, err := json.Marshal(kept)
	if err != nil {
		return nil, nil, err
	}
	// A JSON body decoded without an EvalContext takes strings literally:
	// U-Boot's ${filesize} stays as it is.
	f, diags := hcljson.Parse(src, key)
	if diags.HasErrors() {
		return nil, nil, fmt.Errorf("%s", diagText(diags))
	}
	v, diags := hcldec.Decode(f.Body, spec, nil)
	if diags.HasErrors() {
		return nil, nil, fmt.Errorf("%s", diagText(diags))
	}
	out, _ = ctyToGo(v).(map[string]any)
	if out == nil {
		out = map[string]any{}
	}
	collapseSpec(out, bs)
	return out, unused, nil
}

// partitionSpec returns the part of m that bs declares (a collapsed `lines`
// list expanded back to {lines = …}); the rest goes to unused by path.
func partitionSpec(m map[string]any, bs *sdk.BlockSpec, prefix string, unused map[string]any) map[string]any {
	kept := map[string]any{}
	attrs := map[string]sdk.AttrSpec{}
	for _, a := range bs.Attrs {
		attrs[a.Name] = a
	}
	blocks := map[string]sdk.NestedBlockSpec{}
	for _, b := range bs.Blocks {
		blocks[b.TypeName] = b
	}
	for _, k := range keys(m) {
		v := m[k]
		if a, ok := attrs[k]; ok {
			if ty, err := parseType(a.Type); err == nil {
				if cv, err := goToCty(v); err == nil {
					if _, err := convert.Convert(cv, ty); err != nil {
						unused[prefix+k] = v // not of the spec's type: kept apart, not lost
						continue
					}
				}
			}
			kept[k] = v
			continue
		}
		nb, ok := blocks[k]
		if !ok {
			unused[prefix+k] = v
			continue
		}
		if pv, ok := partitionLevels(v, len(nb.Labels), &nb.Body, prefix+k+".", unused); ok {
			kept[k] = pv
		}
	}
	return kept
}

// partitionLevels walks the label levels of a nested block value; ok is false
// when v has not the block's shape (it then goes to unused whole).
func partitionLevels(v any, depth int, body *sdk.BlockSpec, prefix string, unused map[string]any) (any, bool) {
	if depth == 0 {
		switch x := v.(type) {
		case []any:
			if len(body.Attrs) == 1 && body.Attrs[0].Name == "lines" {
				return partitionSpec(map[string]any{"lines": x}, body, prefix, unused), true
			}
		case map[string]any:
			return partitionSpec(x, body, prefix, unused), true
		}
		unused[strings.TrimSuffix(prefix, ".")] = v
		return nil, false
	}
	mm, ok := v.(map[string]any)
	if !ok {
		unused[strings.TrimSuffix(prefix, ".")] = v
		return nil, false
	}
	out := map[string]any{}
	for _, k := range keys(mm) {
		if pv, ok := partitionLevels(mm[k], depth-1, body, prefix+k+".", unused); ok {
			out[k] = pv
		}
	}
	return out, true
}

func diagText(diags hcl.Diagnostics) string {
	var parts []string
	for _, d := range diags.Errs() {
		if hd, ok := d.(*hcl.Diagnostic); ok {
			parts = append(parts, strings.TrimSuffix(hd.Summary+": "+hd.Detail, "."))
			continue
		}
		parts = append(parts, d.Error())
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

// ValidCommandName reports whether name can be a user command
// (`user_command "NAME"`): an identifier that is not a builtin command.
func ValidCommandName(name string) bool {
	if !hclIdent(name) {
		return false
	}
	for _, b := range BuiltinCommands {
		if name == b {
			return false
		}
	}
	return true
}
