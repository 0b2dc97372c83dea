package sdk

import (
	"syscall"
	"unsafe"
)

// setProcessName sets the name ps and top show (prctl PR_SET_NAME, 15 bytes).
func setProcessName(name string) {
	p, err := syscall.BytePtrFromString(name)
	if err != nil {
		return
	}
	const prSetName = 15
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetName, uintptr(unsafe.Pointer(p)), 0)
}
