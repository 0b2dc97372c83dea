package device

import (
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/lavacore/lavacore/devicetypes"
	"github.com/lavacore/lavacore/sdk"
)

// BaseFile is the name of the file holding the defaults every device type
// starts from (LAVA's base.jinja2); it is merged before the type's own file.
const BaseFile = "_base.hcl"

// BuiltinPrefix names the built-in device type files in diagnostics and
// provenance ("<builtin>/mustang.hcl").
const BuiltinPrefix = "<builtin>/"

// LoadOptions tunes LoadLab and LoadTypes.
type LoadOptions struct {
	// Spec returns the schema of a method block by its key ("boot/grub-efi"),
	// or nil to decode the block generically. Method plugins supply these.
	Spec func(key string) *sdk.BlockSpec
	// Builtin replaces the built-in device types (devicetypes.FS); tests use it.
	Builtin fs.FS
	// NoBuiltin leaves the built-in device types out.
	NoBuiltin bool
}

func (o LoadOptions) builtin() fs.FS {
	if o.Builtin != nil {
		return o.Builtin
	}
	return devicetypes.FS
}

// LoadTypes loads the built-in device types (and the built-in base).
func LoadTypes(opts LoadOptions) (map[string]*DeviceType, hcl.Diagnostics) {
	l := &loader{parser: hclparse.NewParser(), opts: opts}
	diags := l.loadTypes("")
	return l.types, diags
}

// LoadLab loads <dir>/lab.hcl, the device types (<dir>/devicetypes/*.hcl, then
// the built-in ones) and every <dir>/devices/*.hcl, and resolves each device
// without a job context. It returns the lab even when there are errors; the
// devices that failed to resolve are missing from Lab.Devices.
func LoadLab(dir string, opts LoadOptions) (*Lab, hcl.Diagnostics) {
	l := &loader{parser: hclparse.NewParser(), opts: opts}
	lab := &Lab{
		Dir:     dir,
		Devices: map[string]*Device{},
		parser:  l.parser,
		decls:   map[string]*deviceDecl{},
		opts:    opts,
	}
	var diags hcl.Diagnostics
	diags = append(diags, l.loadLabConfig(lab)...)
	diags = append(diags, l.loadTypes(filepath.Join(dir, "devicetypes"))...)
	lab.Types = l.types
	diags = append(diags, l.loadDevices(lab, filepath.Join(dir, "devices"))...)

	names := make([]string, 0, len(lab.decls))
	for n := range lab.decls {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		d, dd := lab.Device(n, nil)
		diags = append(diags, dd...)
		if !dd.HasErrors() {
			lab.Devices[n] = d
		}
	}
	return lab, dedupe(diags)
}

// Files returns every parsed file by name, for WriteDiagnostics.
func (l *Lab) Files() map[string]*hcl.File {
	if l == nil || l.parser == nil {
		return nil
	}
	return l.parser.Files()
}

// DeviceNames returns the name of every declared device, sorted, including
// those that failed to resolve.
func (l *Lab) DeviceNames() []string {
	names := make([]string, 0, len(l.decls)+len(l.external))
	for n := range l.decls {
		names = append(names, n)
	}
	for n := range l.external {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// DeviceDecl returns what a device file declares about a device (no resolution).
func (l *Lab) DeviceDecl(name string) (typ, worker, file string, ok bool) {
	if d, ok := l.external[name]; ok {
		return d.Type, d.Worker, d.File, true
	}
	d, ok := l.decls[name]
	if !ok {
		return "", "", "", false
	}
	return d.Type, d.Worker, d.File, true
}

// DevicesOfType returns the resolved devices (no job context) of device type t,
// sorted by name.
func (l *Lab) DevicesOfType(t string) []*Device {
	var out []*Device
	for _, d := range l.Devices {
		if d.Type == t {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Device resolves device name with a job's context applied (nil: none).
// jobContext values are plain YAML values, or ContextValue to carry the
// position of the key in the job file. Only variables the device type lists
// in job_context are overridden; a context key naming another declared
// variable gives a warning; other keys are ignored (LAVA's context also
// carries keys for other consumers).
func (l *Lab) Device(name string, jobContext map[string]any) (*Device, hcl.Diagnostics) {
	if d, diags, ok := l.externalDevice(name, jobContext); ok {
		return d, diags
	}
	decl, ok := l.decls[name]
	if !ok {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Unknown device",
			Detail:   fmt.Sprintf("The lab %q has no device %q.%s", l.Dir, name, suggest(name, l.DeviceNames())),
		}}
	}
	t, ok := l.Types[decl.Type]
	if !ok {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Unknown device type",
			Detail:   fmt.Sprintf("Device %q uses device type %q, which is neither in %s nor built in.%s", decl.Name, decl.Type, filepath.Join(l.Dir, "devicetypes"), suggest(decl.Type, keys(l.Types))),
			Subject:  decl.TypeRange.Ptr(),
		}}
	}
	return resolve(t, decl, jobContext, l.opts)
}

// ContextValue is a job context value with the position of its key in the job
// file, for provenance.
type ContextValue struct {
	Value  any
	File   string
	Line   int
	Column int
}

type loader struct {
	parser *hclparse.Parser
	opts   LoadOptions
	types  map[string]*DeviceType
}

type labFile struct {
	Lab  *labBlock `hcl:"lab,block"`
	Body hcl.Body  `hcl:",remain"`
}

type labBlock struct {
	DispatcherIP string `hcl:"dispatcher_ip"`
	TFTPRoot     string `hcl:"tftp_root"`
	NFSRoot      string `hcl:"nfs_root"`
	HTTPRoot     string `hcl:"http_root,optional"`
	Coordinator  string `hcl:"coordinator,optional"`
	// AllowedFileDirs: the directories file:// URLs may read from (none: refused).
	AllowedFileDirs []string `hcl:"allowed_file_dirs,optional"`
	// CacheDir: the artefact cache (default cache.DefaultDir()); CacheSize
	// its bound ("20G"; "0" turns the cache off).
	CacheDir  string `hcl:"cache_dir,optional"`
	CacheSize string `hcl:"cache_size,optional"`
	// LavaVersion: the LAVA release whose pipelines are built (lava-run
	// takes it from the dispatcher configuration); sdk/lavaversion.
	LavaVersion hcl.Expression `hcl:"lava_version,optional"`
}

// srcFile is one device type file to load, from disk or from the built-ins.
type srcFile struct {
	name    string // name in diagnostics
	base    string // file name without directory
	data    []byte
	builtin bool
}

func (l *loader) loadTypes(dir string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	var files []srcFile
	if dir != "" {
		matches, _ := filepath.Glob(filepath.Join(dir, "*.hcl"))
		sort.Strings(matches)
		for _, m := range matches {
			data, d := readHCL(m)
			if d.HasErrors() {
				diags = append(diags, d...)
				continue
			}
			files = append(files, srcFile{name: m, base: filepath.Base(m), data: data})
		}
	}
	if !l.opts.NoBuiltin {
		bfs := l.opts.builtin()
		matches, _ := fs.Glob(bfs, "*.hcl")
		sort.Strings(matches)
		for _, m := range matches {
			data, err := fs.ReadFile(bfs, m)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read built-in device type", Detail: err.Error()})
				continue
			}
			files = append(files, srcFile{name: BuiltinPrefix + m, base: path.Base(m), data: data, builtin: true})
		}
	}

	// The first _base.hcl found (lab, then built-in) is the base; every other
	// _NAME.hcl is a named base a type may extend (`base = "NAME"`), the
	// lab's shadowing the built-in one.
	var base *typePart
	seenBase := false
	named := map[string]*typePart{}
	for _, sf := range files {
		name, isBase := baseName(sf.base)
		if !isBase {
			continue
		}
		if _, seen := named[name]; seen || name == "base" && seenBase {
			continue
		}
		p, d := l.parsePart(sf)
		diags = append(diags, d...)
		if p != nil && p.header != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unexpected device_type block",
				Detail:   fmt.Sprintf("%s holds defaults shared by device types; it declares no device_type of its own.", sf.base),
				Subject:  p.header.DefRange.Ptr(),
			})
		}
		if name == "base" {
			base, seenBase = p, true
			continue
		}
		named[name] = p
	}

	l.types = map[string]*DeviceType{}
	for _, sf := range files {
		if _, isBase := baseName(sf.base); isBase {
			continue
		}
		p, d := l.parsePart(sf)
		diags = append(diags, d...)
		if p == nil {
			continue
		}
		if p.header == nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Missing device_type block",
				Detail:   fmt.Sprintf("A device type file needs a `device_type \"NAME\" { description, arch, job_context }` block (only %s may leave it out).", BaseFile),
				Subject:  p.file.Body.MissingItemRange().Ptr(),
			})
			continue
		}
		name := p.header.Name
		if prev, dup := l.types[name]; dup {
			if prev.Builtin && sf.builtin || !prev.Builtin && !sf.builtin {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate device type",
					Detail:   fmt.Sprintf("Device type %q is already declared in %s.", name, prev.File),
					Subject:  p.header.DefRange.Ptr(),
				})
			}
			continue // a lab type shadows the built-in one
		}
		ext, d := extendedBase(p, named)
		diags = append(diags, d...)
		t, d := newDeviceType(base, named[ext], p, sf.builtin)
		diags = append(diags, d...)
		t.Base = ext
		l.types[name] = t
	}
	return diags
}

// baseName reports whether file (a base name) is a base file, _NAME.hcl, and
// its NAME ("base" for _base.hcl).
func baseName(file string) (string, bool) {
	if !strings.HasPrefix(file, "_") || !strings.HasSuffix(file, ".hcl") {
		return "", false
	}
	return strings.TrimSuffix(strings.TrimPrefix(file, "_"), ".hcl"), true
}

// extendedBase returns the named base type p's header extends ("" for
// none), checking that it exists.
func extendedBase(p *typePart, named map[string]*typePart) (string, hcl.Diagnostics) {
	a := p.header.Base
	if a == nil {
		return "", nil
	}
	var name string
	if diags := gohcl.DecodeExpression(a.Expr, nil, &name); diags.HasErrors() {
		return "", diags
	}
	bad := func(detail string) hcl.Diagnostics {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid base", Detail: detail, Subject: a.Expr.Range().Ptr(), Context: a.Range.Ptr()}}
	}
	switch {
	case p.header.Standalone:
		return "", bad(fmt.Sprintf("Device type %q is standalone: it starts from no base, so it cannot name base %q.", p.header.Name, name))
	case name == "base":
		return "", bad(fmt.Sprintf("Every device type starts from %s; base names another shared base (_NAME.hcl).", BaseFile))
	}
	if _, ok := named[name]; !ok {
		return "", bad(fmt.Sprintf("Device type %q extends base %q, but there is no _%s.hcl among the lab's or the built-in device types.%s", p.header.Name, name, name, suggest(name, keys(named))))
	}
	return name, nil
}

func (l *loader) parsePart(sf srcFile) (*typePart, hcl.Diagnostics) {
	f, diags := l.parseHCL(sf.data, sf.name)
	if diags.HasErrors() {
		return nil, diags
	}
	p, d := decodePart(f, sf.name)
	return p, append(diags, d...)
}

type deviceFile struct {
	Devices []*deviceBlock `hcl:"device,block"`
}

type deviceBlock struct {
	Name        string         `hcl:"name,label"`
	DeviceType  *hcl.Attribute `hcl:"device_type"`
	Worker      string         `hcl:"worker,optional"`
	Tags        []string       `hcl:"tags,optional"`
	Description string         `hcl:"description,optional"`
	Vars        []*varsBlock   `hcl:"vars,block"`
	// UserCommands are the device's own `user_command "NAME" { do, undo }`
	// blocks, evaluated (with var.* and local.*) when the device is resolved.
	UserCommands []*userCommandBlock `hcl:"user_command,block"`
	// Connections are the device's own `connection "NAME" {}` blocks
	// (a serial port, a TCP console …), overriding the type's by name.
	Connections []*userCommandBlock `hcl:"connection,block"`
	DefRange    hcl.Range           `hcl:",def_range"`
}

type userCommandBlock struct {
	Name     string    `hcl:"name,label"`
	Body     hcl.Body  `hcl:",remain"`
	DefRange hcl.Range `hcl:",def_range"`
}

type varsBlock struct {
	Body     hcl.Body  `hcl:",remain"`
	DefRange hcl.Range `hcl:",def_range"`
}

// deviceDecl is a device as its file declares it, before resolution.
type deviceDecl struct {
	Name      string
	Type      string
	TypeRange hcl.Range
	Worker    string
	Tags      []string
	File      string
	Range     hcl.Range
	VarsRange hcl.Range // the `vars {` header, or the device header without one
	Vars      hcl.Attributes
	// UserCommands are the device file's user_command blocks, in file order.
	UserCommands []*hcl.Block
	// Connections are the device file's connection blocks, in file order.
	Connections []*hcl.Block
}

func (l *loader) loadDevices(lab *Lab, dir string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	matches, _ := filepath.Glob(filepath.Join(dir, "*.hcl"))
	sort.Strings(matches)
	for _, m := range matches {
		src, d := readHCL(m)
		if d.HasErrors() {
			diags = append(diags, d...)
			continue
		}
		diags = append(diags, l.addDeviceFile(lab, m, src)...)
	}
	return diags
}

// addDeviceFile parses one device file and adds its declarations to lab.
func (l *loader) addDeviceFile(lab *Lab, name string, src []byte) hcl.Diagnostics {
	f, diags := l.parseHCL(src, name)
	if diags.HasErrors() {
		return diags
	}
	decls, d := decodeDevices(f, name)
	diags = append(diags, d...)
	for _, dd := range decls {
		if prev, dup := lab.decls[dd.Name]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate device",
				Detail:   fmt.Sprintf("Device %q is already declared in %s:%d.", dd.Name, prev.File, prev.Range.Start.Line),
				Subject:  dd.Range.Ptr(),
			})
			continue
		}
		lab.decls[dd.Name] = dd
	}
	return diags
}

// decodeDevices decodes the device blocks of one parsed device file.
func decodeDevices(f *hcl.File, name string) ([]*deviceDecl, hcl.Diagnostics) {
	var df deviceFile
	diags := gohcl.DecodeBody(f.Body, funcContext(), &df)
	if diags.HasErrors() {
		// A device whose declaration is wrong is not resolved at all.
		return nil, diags
	}
	var out []*deviceDecl
	for _, b := range df.Devices {
		if b.DeviceType == nil {
			continue // gohcl reported it
		}
		dd := &deviceDecl{
			Name:      b.Name,
			TypeRange: b.DeviceType.Expr.Range(),
			Worker:    b.Worker,
			Tags:      b.Tags,
			File:      name,
			Range:     b.DefRange,
			VarsRange: b.DefRange,
			Vars:      hcl.Attributes{},
		}
		for _, uc := range b.UserCommands {
			dd.UserCommands = append(dd.UserCommands, &hcl.Block{Type: "user_command", Labels: []string{uc.Name},
				Body: uc.Body, DefRange: uc.DefRange, LabelRanges: []hcl.Range{uc.DefRange}})
		}
		for _, c := range b.Connections {
			dd.Connections = append(dd.Connections, &hcl.Block{Type: "connection", Labels: []string{c.Name},
				Body: c.Body, DefRange: c.DefRange, LabelRanges: []hcl.Range{c.DefRange}})
		}
		d := gohcl.DecodeExpression(b.DeviceType.Expr, funcContext(), &dd.Type)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		if strings.TrimSpace(b.Name) == "" {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid device name", Detail: "A device needs a non-empty name.", Subject: b.DefRange.Ptr()})
			continue
		}
		for i, v := range b.Vars {
			if i > 0 {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate vars block",
					Detail:   fmt.Sprintf("Device %q already has a vars block at line %d.", b.Name, b.Vars[0].DefRange.Start.Line),
					Subject:  v.DefRange.Ptr(),
				})
				continue
			}
			dd.VarsRange = v.DefRange
			attrs, d := v.Body.JustAttributes()
			diags = append(diags, d...)
			dd.Vars = attrs
		}
		out = append(out, dd)
	}
	return out, diags
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// dedupe drops diagnostics repeated with the same summary, detail and subject
// (a device type's mistake shows once, not once per device).
func dedupe(diags hcl.Diagnostics) hcl.Diagnostics {
	seen := map[string]bool{}
	var out hcl.Diagnostics
	for _, d := range diags {
		k := fmt.Sprintf("%d|%s|%s", d.Severity, d.Summary, d.Detail)
		if d.Subject != nil {
			k += "|" + d.Subject.String()
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, d)
	}
	return out
}
