// Package sdk is what a lavacore plugin author imports.
//
// A plugin serves one or more Methods (deploy/tftp, boot/grub-efi, test/definitions …)
// or a Protocol (lava-multinode). A Method declares the actions it contributes
// (Describe) so the host can number levels, resolve timeouts and print a pipeline
// before anything runs; the host then drives each action (Run, Cleanup) and lends
// the method a Host for the console, the job log, results, namespace data and
// protocol calls.
//
// The same interfaces are used in-process (the core's method registry) and over
// go-plugin gRPC (sdk.Serve / core/pluginhost); plugin authors never see protobuf.
package sdk

import (
	"context"
	"sort"
	"strings"
	"time"
)

// Section is the kind of job action block a method serves.
type Section string

// The sections of a LAVA job.
const (
	SectionDeploy  Section = "deploy"
	SectionBoot    Section = "boot"
	SectionTest    Section = "test"
	SectionCommand Section = "command"
)

// MethodInfo names a method and declares its device-type HCL block.
type MethodInfo struct {
	Section     Section
	Name        string // "tftp", "grub-efi", "ssh", "definitions" …
	Description string
	// DeviceSpec is the schema of the device type's block for this method,
	// e.g. `boot "grub-efi" { … }`. Nil means the block takes no arguments.
	DeviceSpec *BlockSpec
	// JobParams declares the keys the method takes in its job block (beyond
	// those every action, or every boot method, accepts). Empty: the host
	// checks only those common keys and lets the method's Validate do the rest.
	JobParams []ParamSpec `json:",omitempty"`
}

// Key is the registry key of a method: "<section>/<name>".
func (m MethodInfo) Key() string { return string(m.Section) + "/" + m.Name }

// AttrSpec declares one attribute of a device-type block.
type AttrSpec struct {
	Name     string
	Type     string // "string", "number", "bool", "list(string)", "map(string)"
	Required bool
	Default  any
	Doc      string
}

// BlockSpec declares the body of a device-type block.
type BlockSpec struct {
	Attrs  []AttrSpec
	Blocks []NestedBlockSpec
}

// NestedBlockSpec declares a repeated, labelled nested block (e.g. `commands "nfs" {}`).
type NestedBlockSpec struct {
	TypeName string
	Labels   []string
	Body     BlockSpec
}

// ActionSpec declares an action and its children, as LAVA's populate() would build them.
type ActionSpec struct {
	Name        string // kebab-case, LAVA's action name (the key for timeout overrides)
	Description string
	Summary     string
	Class       string // LAVA's class name, for describe comparisons (optional)
	Retry       bool   // a RetryAction: failure_retry / repeat apply to it
	URL         string // download handlers only
	// Timeout is a default the method suggests (0: use the job's resolution).
	Timeout time.Duration
	// TimeoutError is the error type this action's timeout raises (LAVA's
	// timeout_exception); empty means Job.
	TimeoutError ErrorType
	Children     []ActionSpec
}

// Severity of a Diagnostic.
type Severity int

// Diagnostic severities.
const (
	SevError Severity = iota
	SevWarning
)

// Diagnostic is a validation problem. Path is LAVA-style relative to the block,
// e.g. "commands" or "kernel.url"; the host prefixes it with the block's own path
// and turns it into file:line:col.
type Diagnostic struct {
	Severity Severity
	Path     string
	Summary  string
	Detail   string
}

// Diagnostics is a list of problems.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (d Diagnostics) HasErrors() bool {
	for _, x := range d {
		if x.Severity == SevError {
			return true
		}
	}
	return false
}

// Block is one job action block as a method sees it.
type Block struct {
	Section   Section
	Method    string
	Index     int // position in the (sub-)job's actions list, 0-based
	Namespace string
	Params    map[string]any // the block's mapping, JSON-compatible values
	// Order is the job file's order of the keys of Params' mappings (a Go
	// map has none), by dotted path: "" for the block's own keys, "images"
	// for the keys of its images: mapping … LAVA builds some pipelines in
	// that order (a tmpfs deploy's images). Nil when unknown: use Keys.
	Order map[string][]string `json:",omitempty"`
}

// Keys returns the keys of the mapping at path in Params (see Order): in
// the job file's order when Order knows it, else sorted.
func (b Block) Keys(path string) []string {
	m := b.Params
	if path != "" {
		for _, k := range strings.Split(path, ".") {
			m, _ = m[k].(map[string]any)
		}
	}
	if len(m) == 0 {
		return nil
	}
	if o := b.Order[path]; len(o) == len(m) {
		ok := true
		for _, k := range o {
			if _, in := m[k]; !in {
				ok = false
				break
			}
		}
		if ok {
			return append([]string(nil), o...)
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Device is the resolved device a method runs against.
type Device struct {
	Name string
	Type string
	// Vars holds every resolved variable (type default < device file < job context).
	Vars map[string]string
	// Method is this method's device-type block decoded with the method's DeviceSpec
	// (JSON-compatible: string, float64, bool, []any, map[string]any).
	Method map[string]any
	// Methods holds every method block of the device type, by "<section>/<name>".
	Methods map[string]map[string]any
	// Constants are device-wide values (kernel-start-message, default-shell-prompt …).
	Constants map[string]any
	// Connection is the primary console connection command (LAVA's
	// connection_command); empty when the connection is a serial port, a
	// TCP address or a unix socket (see Console).
	Connection string
	// ConnectionTags are its tags (telnet, ssh …), which say how to disconnect.
	ConnectionTags []string
	// Console is the primary connection as the host opens it: Command (the
	// same as Connection), TCP, or Serial with its line settings. Nil when
	// the device has no connection. Open it with Host.OpenConsole(ctx,
	// Device.ConsoleSpec()).
	Console *ConsoleSpec `json:",omitempty"`
	// Commands are the commands a job's `command:` block may name (LAVA's
	// device commands): the builtin pre_power_command, pre_os_command,
	// hard_reset, power_on and power_off the device sets (Do only), and every
	// user command (LAVA's commands.users). Each runs on the dispatcher.
	Commands map[string]DeviceCommand `json:",omitempty"`
	// Parameters is LAVA's device-level `parameters:`: load addresses per
	// boot command (bootz, booti, bootm: kernel, ramdisk, dtb, tee …), media,
	// text_offset, dtb_base_resize … (U-Boot's {KERNEL_ADDR}, {BOOTX}).
	Parameters map[string]any `json:",omitempty"`
	// SectionParameters is LAVA's `actions.<section>.parameters:`, e.g.
	// deploy's add_header, mkimage_arch, append_dtb, use_xip.
	SectionParameters map[string]map[string]any `json:",omitempty"`
	// Extra holds the device's values no device-type block declares, by
	// their path: the top-level keys of a LAVA device file
	// (fastboot_serial_number, flash_cmds_order, device_info …), a method
	// whose value is not a mapping ("actions.boot.methods.fastboot": its
	// sequence), an HCL device's `extra = {…}`.
	Extra map[string]any `json:",omitempty"`
}

// ConsoleSpec is how to open the device's primary console: Console, else
// the Connection command, else the connection_command variable; a Config
// error when the device has none.
func (d Device) ConsoleSpec() (ConsoleSpec, error) {
	switch {
	case d.Console != nil:
		return *d.Console, nil
	case d.Connection != "":
		return ConsoleSpec{Command: d.Connection}, nil
	case d.Vars["connection_command"] != "":
		return ConsoleSpec{Command: d.Vars["connection_command"]}, nil
	}
	return ConsoleSpec{}, ConfigErrorf("device %s has no connection command", d.Name)
}

// DeviceCommand is a command the device declares: Do runs in the action,
// Undo (user commands only) in its cleanup. Each is a list of command lines,
// run one after the other, each split like a shell's words, without a shell.
type DeviceCommand struct {
	Do   []string
	Undo []string `json:",omitempty"`
	// User is false for the builtin names (pre_power_command, hard_reset …).
	User bool `json:",omitempty"`
}

// Dispatcher describes the machine running the job.
type Dispatcher struct {
	IP        string // the address devices use to reach TFTP/NFS/HTTP
	TFTPRoot  string
	NFSRoot   string
	WorkDir   string // per-job scratch directory
	OutputDir string // per-job output directory
	// AllowedFileDirs are the only directories file:// URLs may be read from
	// (the lab's allowed_file_dirs); none: file:// URLs are refused.
	AllowedFileDirs []string `json:",omitempty"`
	// CacheDir is the artefact cache shared by the dispatcher's jobs (the
	// lab's cache_dir; sdk/cache, download.OptionsFor); "": no cache.
	CacheDir string `json:",omitempty"`
	// CacheMaxBytes bounds the cache (the lab's cache_size; 0: the default).
	CacheMaxBytes int64 `json:",omitempty"`
	// LavaVersion is the LAVA release whose pipeline the dispatcher builds
	// (sdk/lavaversion; "" is lavaversion.Default). The host applies its
	// changes to every tree Describe returns; a method that re-describes its
	// tree at Run time passes it through lavaversion.ForRequest.
	LavaVersion string `json:",omitempty"`
}

// JobInfo is the job around a block.
type JobInfo struct {
	ID     string
	Name   string
	Blocks []Block // every block of this (sub-)job, in order
	// MultiNode fields; empty for single-node jobs.
	Role        string
	SubID       int
	GroupSize   int
	TargetGroup string
	Context     map[string]any
	Secrets     map[string]string
	// Protocols is the (sub-)job's protocols block (lava-multinode after the
	// split: role, roles {job id: role}, target_group …).
	Protocols map[string]any
	// Environment is exported in the test shell's environment file.
	Environment map[string]string
	// DUTEnvironment is the worker's DUT environment (lava-run --env-dut,
	// LAVA's env_dut): appended to the overlay's secrets file after
	// Secrets. Not secret: the log does not mask it.
	DUTEnvironment map[string]string `json:",omitempty"`
}

// Request is what every Method call receives.
type Request struct {
	Job        JobInfo
	Block      Block
	Device     Device
	Dispatcher Dispatcher
}

// Call is one run (or cleanup) of one declared action.
type Call struct {
	Request
	Action string // the action's name, as declared in Describe
	Level  string // "1.2.3"
	// ConnectionTimeout is the per-expect limit (LAVA's connection timeout).
	ConnectionTimeout time.Duration
	// Attempt counts tries of the enclosing retry action, from 1.
	Attempt int
}

// Method is a deploy, boot, test or command method.
type Method interface {
	Info() MethodInfo
	// Accepts says whether this method can run the block on the device, and why not.
	Accepts(req Request) (bool, string)
	// Describe returns the method's top-level action with its children.
	Describe(req Request) (ActionSpec, error)
	// Validate checks the block against the device without side effects.
	Validate(ctx context.Context, req Request) Diagnostics
	// Run runs one declared action (leaf or parent: the host calls it for every
	// action, parents first). ctx carries the action's deadline. A method
	// embeds an Actions table, which runs the Action registered under
	// call.Action (sdk.Group for a parent whose work is all in its children).
	Run(ctx context.Context, call Call, host Host) error
	// Cleanup undoes one action; the host calls it in reverse order, always.
	// An Actions table calls the action's Cleanup if it is a Cleaner.
	Cleanup(ctx context.Context, call Call, host Host) error
}
