package sdk

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrorType is LAVA's error_type of a failed job.
type ErrorType string

// LAVA's error types.
const (
	Infrastructure ErrorType = "Infrastructure"
	Job            ErrorType = "Job"
	Test           ErrorType = "Test"
	Bug            ErrorType = "Bug"
	Configuration  ErrorType = "Configuration"
	Canceled       ErrorType = "Canceled"
)

// Error is an error with a LAVA error type.
type Error struct {
	Type ErrorType
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	if e.Msg == "" && e.Err != nil {
		return e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// InfraErrorf makes an Infrastructure error.
func InfraErrorf(format string, a ...any) error { return newErr(Infrastructure, format, a...) }

// JobErrorf makes a Job error.
func JobErrorf(format string, a ...any) error { return newErr(Job, format, a...) }

// TestErrorf makes a Test error.
func TestErrorf(format string, a ...any) error { return newErr(Test, format, a...) }

// ConfigErrorf makes a Configuration error.
func ConfigErrorf(format string, a ...any) error { return newErr(Configuration, format, a...) }

func newErr(t ErrorType, format string, a ...any) error {
	err := fmt.Errorf(format, a...)
	return &Error{Type: t, Msg: err.Error(), Err: errors.Unwrap(err)}
}

// TypeOf returns the LAVA error type of err (Bug for untyped errors, "" for nil).
func TypeOf(err error) ErrorType {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Type
	}
	return Bug
}

// ErrConsoleTimeout is matched (errors.Is) by every TimeoutError.
var ErrConsoleTimeout = errors.New("console: timed out")

// TimeoutError is a console wait (Console.Expect) that timed out: what it
// waited for, how long, and the console's last lines, which prove it. The
// host's console returns it wrapped in a Job *Error; across the plugin wire
// it keeps its fields (errors.As finds it on either side), and a method that
// wraps it with %w keeps them for the host too. Its message is the one
// LAVA's users read ("wait for prompt timed out after 1m2s waiting for …;
// last console lines: …"): code reads the fields, never the message.
//
// errors.Is(err, ErrConsoleTimeout) is true of it, and so is
// errors.Is(err, context.DeadlineExceeded) when the caller's deadline (not
// the wait's own timeout) ended the wait.
type TimeoutError struct {
	Patterns  []string      // the patterns it waited for
	Wait      time.Duration // how long it waited
	LastLines []string      // the console's last lines (none: the console printed nothing)
	Action    string        // the action that waited, when known (the host fills it in for a plugin)
	Step      string        // the step that was running, when known (the test shell's)
	Err       error         // the context's error when the context ended the wait, else nil
}

func (e *TimeoutError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "wait for prompt timed out after %s waiting for ", e.Wait.Round(time.Millisecond))
	for i, p := range e.Patterns {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", p)
	}
	b.WriteString(e.LinesText())
	return b.String()
}

// LinesText is the part of the message that quotes the last console lines:
// "; last console lines:\n    …" or "; the console printed nothing".
func (e *TimeoutError) LinesText() string {
	if len(e.LastLines) == 0 {
		return "; the console printed nothing"
	}
	var b strings.Builder
	b.WriteString("; last console lines:")
	for _, l := range e.LastLines {
		b.WriteString("\n    ")
		b.WriteString(l)
	}
	return b.String()
}

// Is matches ErrConsoleTimeout.
func (e *TimeoutError) Is(target error) bool { return target == ErrConsoleTimeout }

// Unwrap returns the context's error when the context ended the wait.
func (e *TimeoutError) Unwrap() error { return e.Err }

// ProtocolError is an error of a protocol (e.g. "lava-multinode"), naming
// it: its message is "<Protocol>: <Err>". A Host wraps the failure of a
// Protocol call in one unless the error is the protocol's own
// ProtocolError already, so a protocol that names itself is not named twice.
// The name crosses the plugin wire as a field.
type ProtocolError struct {
	Protocol string
	Err      error
}

func (e *ProtocolError) Error() string {
	if e.Err == nil {
		return e.Protocol + ": protocol error"
	}
	return e.Protocol + ": " + e.Err.Error()
}

func (e *ProtocolError) Unwrap() error { return e.Err }
