// Package job decodes, validates and splits LAVA job files.
package job

import (
	"time"

	"gopkg.in/yaml.v3"
)

// Pos is a position in a source file.
type Pos struct {
	File   string
	Line   int
	Column int
}

// Timeout is a LAVA timeout value ({minutes: 5}, optionally skip: true).
type Timeout struct {
	Duration time.Duration
	Skip     bool
	Pos      Pos
}

// Timeouts is a job's `timeouts:` block.
type Timeouts struct {
	Job         *Timeout
	Action      *Timeout
	Connection  *Timeout
	Queue       *Timeout
	Actions     map[string]Timeout // by action name
	Connections map[string]Timeout // by action name
}

// Role is one role of a lava-multinode protocol block.
type Role struct {
	Name       string
	Count      int
	DeviceType string
	Connection string // "ssh" for secondary connections
	HostRole   string
	ExpectRole string
	Request    string // "lava-start"
	Timeout    *Timeout
	Context    map[string]any
	Tags       []string
	Pos        Pos
}

// MultiNode is the `protocols: lava-multinode:` block.
type MultiNode struct {
	Roles   map[string]*Role
	Order   []string // role names in file order
	Timeout *Timeout
	Pos     Pos
}

// ActionBlock is one item of `actions:`.
type ActionBlock struct {
	Index     int    // position in the job file's actions list
	Section   string // deploy, boot, test, command
	Method    string // deploy: to; boot: method; test: definitions|interactive|monitors; command: name
	Namespace string // "common" when not set
	Role      []string
	Timeout   *Timeout
	Timeouts  map[string]Timeout
	// FailureRetry and Repeat are 0 when not set.
	FailureRetry         int
	Repeat               int
	FailureRetryInterval time.Duration
	Protocols            map[string]any
	// Params is the whole block mapping as plain values (map[string]any, []any, string, int, float64, bool, nil).
	Params map[string]any
	Node   *yaml.Node // the block's mapping node, for positions
	Pos    Pos
}

// Job is a decoded LAVA job (or one MultiNode sub-job).
type Job struct {
	File       string
	Name       string
	DeviceType string
	Device     string
	Worker     string
	Priority   any
	Visibility any
	Timeouts   Timeouts
	Context    map[string]any
	Secrets    map[string]string
	Metadata   map[string]any
	Tags       []string
	Protocols  map[string]any // raw protocols mapping
	MultiNode  *MultiNode
	Actions    []ActionBlock
	Root       *yaml.Node // the document's root mapping
	// Warnings are problems that do not stop the job (a duplicate key
	// without Options.StrictKeys).
	Warnings Diagnostics

	// Set on MultiNode sub-jobs by Split.
	Role        string
	SubID       int
	GroupSize   int
	TargetGroup string
	roleTimeout *Timeout
}
