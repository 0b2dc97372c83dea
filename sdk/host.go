package sdk

import (
	"context"
	"time"
)

// LogLevel is a LAVA log level.
type LogLevel string

// LAVA's log levels.
const (
	LevelDebug    LogLevel = "debug"
	LevelInfo     LogLevel = "info"
	LevelWarning  LogLevel = "warning"
	LevelError    LogLevel = "error"
	LevelInput    LogLevel = "input"
	LevelTarget   LogLevel = "target"
	LevelFeedback LogLevel = "feedback"
	LevelEvent    LogLevel = "event"
	LevelResults  LogLevel = "results"
)

// Result is one test result (LAVA's results record).
type Result struct {
	Definition  string // "lava" or "<idx>_<name>"
	Case        string
	Result      string // pass, fail, skip, unknown
	Level       string
	Duration    string
	Measurement string
	Units       string
	Set         string
	Extra       map[string]any
}

// ConsoleSpec says how the host should open a console it will own.
type ConsoleSpec struct {
	Command string // run under a pty (connection_command)
	TCP     string // host:port, or a unix socket as "unix:/path" or "/path"
	Serial  string // device path
	Baud    int    // serial: bits per second (0: 115200)
	SSH     *SSHSpec
	// Serial line settings; zero values mean 8 data bits, no parity, one
	// stop bit and no flow control.
	DataBits    int    `json:",omitempty"` // 5, 6, 7 or 8
	Parity      string `json:",omitempty"` // none, odd, even, mark, space
	StopBits    int    `json:",omitempty"` // 1 or 2
	FlowControl string `json:",omitempty"` // none, rtscts, xonxoff
}

// SSHSpec is an ssh login the host opens as a console.
type SSHSpec struct {
	Host         string
	Port         int
	User         string
	IdentityFile string
	Options      []string
}

// Match is the result of an Expect.
type Match struct {
	Index  int      // which pattern matched
	Before string   // output before the match
	Text   string   // the matched text
	Groups []string // submatches
}

// Console is the device's console, owned by the host.
type Console interface {
	// SendLine sends s and the line separator, honouring the section's character delay.
	SendLine(ctx context.Context, s string) error
	// SendRaw sends bytes as they are.
	SendRaw(ctx context.Context, s string) error
	// Expect waits for the earliest match of any pattern (ties: the first pattern),
	// until ctx's deadline or timeout, whichever comes first (timeout 0: ctx only).
	Expect(ctx context.Context, patterns []string, timeout time.Duration) (Match, error)
}

// Host is what the host lends a method for the life of a call.
type Host interface {
	// Console returns the namespace's open console (nil, error if none is open).
	Console(ctx context.Context) (Console, error)
	// OpenConsole opens (or reuses) the namespace's console.
	OpenConsole(ctx context.Context, spec ConsoleSpec) (Console, error)
	// CloseConsole closes the namespace's console.
	CloseConsole(ctx context.Context) error
	// Power runs a device power command: "power_on", "power_off", "hard_reset".
	Power(ctx context.Context, op string) error
	// Log writes a record to the job log. An error is a record the job log
	// did not get (the host is gone, or cannot write its log).
	Log(level LogLevel, msg string) error
	// Result records a test result. An error is a result the job did not get.
	Result(r Result) error
	// Get reads namespace data (JSON-encoded value), as LAVA's
	// get_namespace_data: found is false when nothing was set; an error is a
	// host that could not answer.
	Get(action, label, key string) (value string, found bool, err error)
	// Set writes namespace data (a JSON-encoded value: anything else is a
	// Bug error). An error is data the next actions will not see.
	Set(action, label, key, value string) error
	// Protocol calls a protocol plugin, e.g. ("lava-multinode", {"request": "lava-wait", …}).
	Protocol(ctx context.Context, name string, req map[string]any) (map[string]any, error)
}
