//go:build !linux

package sdk

// setProcessName does nothing where the process name cannot be set.
func setProcessName(string) {}
