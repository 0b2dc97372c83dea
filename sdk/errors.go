package sdk

import (
	"errors"
	"fmt"
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
