package device

import (
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// Origin says where a resolved value came from.
type Origin string

// Origins of a resolved variable.
const (
	FromTypeDefault Origin = "type default"
	FromDeviceFile  Origin = "device file"
	FromJobContext  Origin = "job context"
)

// Value is a resolved variable with its provenance.
//
// Value is the string form (numbers without exponent, bools "true"/"false",
// lists and maps as JSON, null as ""). Raw is the typed value as a JSON-compatible
// Go value (string, float64, bool, []any, map[string]any, nil for null).
// File/Line/Column point at the `default` of the variable (type default), the
// attribute in the device file's `vars {}` (device file), or the job file's
// context key when the caller passed a ContextValue (job context; File is
// "job context" and Line 0 otherwise).
type Value struct {
	Value  string
	Origin Origin
	File   string
	Line   int

	Raw    any
	Type   string // cty friendly name: "string", "number", "bool", "list of string", "any" (null of no type) …
	Column int
}

// Power holds a device's power commands (each may be empty). PrePower and
// PreOS are LAVA's pre_power_command and pre_os_command; lavacore runs them
// only when a job's `command:` block names them.
type Power struct {
	On        []string
	Off       []string
	HardReset []string
	PrePower  []string
	PreOS     []string
}

// UserCommand is a `user_command "NAME" { do = …, undo = … }` block of the
// device type or the device file (LAVA's commands.users): a job's
// `command: {name: NAME}` runs Do, and Undo in the action's cleanup. Each is
// a command line or a list of them.
type UserCommand struct {
	Name string
	Do   []string
	Undo []string
	// Range is the block's header (device file, else device type).
	Range hcl.Range
}

// Connection is one console connection (a `connection "NAME" {}` block of
// the device type or the device file). At most one of Command, TCP, Unix
// and Serial is set (Kind says which); Spec is how the console opens it.
type Connection struct {
	Name    string
	Command string      // LAVA's connection_command, run under a pty
	TCP     string      `json:",omitempty"` // HOST:PORT (ser2net, a QEMU chardev, the lab's relay)
	Unix    string      `json:",omitempty"` // path of a unix stream socket
	Serial  *SerialPort `json:",omitempty"`
	Primary bool
	Tags    []string
}

// Device is a fully resolved device: its type's values, its own, and a job's context.
type Device struct {
	Name        string
	Type        string
	File        string
	Worker      string
	Tags        []string
	Vars        map[string]Value
	Connections []Connection
	Power       Power
	// UserCommands by name: the device type's, overridden by the device file's.
	UserCommands map[string]UserCommand
	// CharacterDelays by section: deploy, boot, test.
	CharacterDelays map[string]time.Duration
	// Timeouts by action name (LAVA's device timeouts.actions / timeouts.connections).
	ActionTimeouts     map[string]time.Duration
	ConnectionTimeouts map[string]time.Duration
	// Methods holds each method block by "<section>/<name>" (e.g. "boot/grub-efi"),
	// decoded to JSON-compatible values; command sets appear as
	// Methods["boot/grub-efi"]["commands"].(map[string]any)["nfs"] = []any{lines…}.
	//
	// The shape, with or without a plugin spec (LoadOptions.Spec):
	//   - an attribute is its value: string, float64, bool, []any, map[string]any;
	//     an attribute whose value is null is left out (absent == null);
	//   - a nested block with labels nests one map per label:
	//     `menu "pxe-grub" { select = ["x"] }` → m["menu"]["pxe-grub"] = {"select": ["x"]};
	//   - a nested block without labels is a map (or, repeated, a []any of maps);
	//   - a nested block whose only attribute is `lines` becomes that list:
	//     `commands "nfs" { lines = [...] }` → m["commands"]["nfs"] = []any{...};
	//   - the reserved attribute `enabled = false` on a method block drops the
	//     method (it is never part of the decoded map).
	// Run-time placeholders ({SERVER_IP}, {KERNEL} …) are left in the strings.
	Methods map[string]map[string]any
	// Constants are device-wide values (kernel-start-message, default-shell-prompt …),
	// keyed as written in the HCL `constants {}` block, which uses LAVA's own
	// spelling; nested blocks (`grub-efi { … }`, `posix { … }`) are maps.
	// Use (*Device).Constant to look one up tolerating "_" for "-".
	Constants map[string]any
	// Environment is exported into the test shell's environment file.
	Environment map[string]string
	// Parameters is LAVA's device-level `parameters:` (the HCL `parameters {}`
	// block, generic like constants): load addresses per boot command (bootz,
	// booti, bootm, uimage, zimage, image: kernel, ramdisk, dtb …), media,
	// interfaces, dtb_base_resize … Methods read it (e.g. U-Boot's {KERNEL_ADDR}).
	Parameters map[string]any
	// SectionParameters is LAVA's per-section `actions.<section>.parameters:`
	// (the HCL `section_parameters "deploy" {}` block), e.g. deploy's
	// add_header, mkimage_arch, append_dtb, use_xip for U-Boot kernels.
	SectionParameters map[string]map[string]any
	// Extra keeps what a device source holds that lavacore does not use yet,
	// by LAVA YAML path ("commands.soft_reboot", "actions.boot.connections",
	// "device_info" …): never rejected, reported by `devices show`, written
	// back by `devices import` (the HCL top-level `extra = { "path" = … }`).
	Extra map[string]any
	// ExtraRanges is where each Extra key was written.
	ExtraRanges map[string]hcl.Range

	// Description and Arch come from the device type's header.
	Description string
	Arch        string
	// JobContext lists the variables a job's `context:` may override.
	JobContext []string
	// MethodRanges is the source range of each method block's header, by the
	// Methods key, so a method's validation errors can point into the type file.
	MethodRanges map[string]hcl.Range
	// Range is the device block's header in the device file.
	Range hcl.Range
	// Guest is set on the minimised copy GuestDevice makes for a MultiNode role
	// with `connection: ssh` (LAVA's dynamic connection); Name/Type are the host's.
	Guest bool
}

// Lab is a lab directory: its config, device types and devices.
type Lab struct {
	Dir          string
	DispatcherIP string
	TFTPRoot     string
	NFSRoot      string
	HTTPRoot     string
	Coordinator  string // host:port, empty = embedded
	// AllowedFileDirs are the only directories file:// URLs may read from
	// (lab.hcl's allowed_file_dirs, relative paths against the lab directory);
	// none: file:// URLs are refused.
	AllowedFileDirs []string
	// CacheDir is the artefact cache shared by the lab's jobs (lab.hcl's
	// cache_dir, default sdk/cache.DefaultDir; "" when cache_size is 0: off)
	// and CacheMaxBytes its bound (cache_size).
	CacheDir      string
	CacheMaxBytes int64
	// LavaVersion is the LAVA release whose pipelines the lab builds
	// (lab.hcl's lava_version, sdk/lavaversion; "" is the default release).
	LavaVersion string
	// Devices holds the devices resolved without a job context; a device whose
	// resolution failed is left out (its errors are in LoadLab's diagnostics, and
	// (*Lab).Device reports them again).
	Devices map[string]*Device

	// File is the lab config (<dir>/lab.hcl).
	File string
	// Types holds every device type known to the lab: <dir>/devicetypes/*.hcl
	// first, then the built-in ones (devicetypes.FS); a lab type shadows a
	// built-in type of the same name.
	Types map[string]*DeviceType

	parser *hclparse.Parser
	decls  map[string]*deviceDecl
	opts   LoadOptions
	// external holds the devices AddDevice added (resolved elsewhere).
	external map[string]*Device
}
