// Package device loads HCL device types, devices and lab configuration.
package device

import "time"

// Origin says where a resolved value came from.
type Origin string

// Origins of a resolved variable.
const (
	FromTypeDefault Origin = "type default"
	FromDeviceFile  Origin = "device file"
	FromJobContext  Origin = "job context"
)

// Value is a resolved variable with its provenance.
type Value struct {
	Value  string
	Origin Origin
	File   string
	Line   int
}

// Power holds a device's power commands (each may be empty).
type Power struct {
	On        []string
	Off       []string
	HardReset []string
}

// Connection is one console connection.
type Connection struct {
	Name    string
	Command string
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
	// CharacterDelays by section: deploy, boot, test.
	CharacterDelays map[string]time.Duration
	// Timeouts by action name (LAVA's device timeouts.actions / timeouts.connections).
	ActionTimeouts     map[string]time.Duration
	ConnectionTimeouts map[string]time.Duration
	// Methods holds each method block by "<section>/<name>" (e.g. "boot/grub-efi"),
	// decoded to JSON-compatible values; command sets appear as
	// Methods["boot/grub-efi"]["commands"].(map[string]any)["nfs"] = []any{lines…}.
	Methods map[string]map[string]any
	// Constants are device-wide values (kernel-start-message, default-shell-prompt …).
	Constants map[string]any
	// Environment is exported into the test shell's environment file.
	Environment map[string]string
}

// Lab is a lab directory: its config, device types and devices.
type Lab struct {
	Dir          string
	DispatcherIP string
	TFTPRoot     string
	NFSRoot      string
	HTTPRoot     string
	Coordinator  string // host:port, empty = embedded
	Devices      map[string]*Device
}
