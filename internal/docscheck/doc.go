// Package docscheck keeps the documentation in step with the code. Its tests
// fail when the device loader (core/device), a built-in method's device-type
// block (the plugins' DeviceSpecs) or a shared base file (devicetypes/_base.hcl,
// _base-uboot.hcl) accepts a name that docs/devices.md does not document under
// the heading it belongs to. It holds no code of its own.
package docscheck
