// Package fastboot is the deploy "fastboot" and boot "fastboot" methods
// (LAVA's FastbootAction and BootFastbootAction): download the job's images,
// put the board in fastboot mode (through its PDU and console, through
// U-Boot, or with adb), flash each image in the device's flash order with the
// fastboot tool, then boot it with `fastboot boot` or `fastboot reboot` and
// log in. The tool runs with an argv, never a shell.
package fastboot

import (
	"fmt"
	"strings"

	"github.com/lavacore/lavacore/sdk"
)

// Methods returns every method of this package.
func Methods() []sdk.Method { return []sdk.Method{NewDeploy(), NewBoot()} }

// unsetSerial is LAVA's placeholder for a serial number nobody set.
const unsetSerial = "0000000000"

// DeviceKeys are the device values the methods read (LAVA's device
// dictionary top-level keys; an HCL device gives them as vars or extra).
var DeviceKeys = []string{"fastboot_serial_number", "adb_serial_number", "fastboot_options",
	"flash_cmds_order", "fastboot_auto_detection", "fastboot_via_uboot", "device_info"}

// devValue returns a device value: a variable, else an extra value.
func devValue(d sdk.Device, key string) (any, bool) {
	if v, ok := d.Vars[key]; ok {
		return v, true
	}
	v, ok := d.Extra[key]
	return v, ok
}

func devString(d sdk.Device, key string) string {
	v, _ := devValue(d, key)
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return fmt.Sprint(x)
	}
	return ""
}

func devBool(d sdk.Device, key string) bool {
	v, _ := devValue(d, key)
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	}
	return false
}

// devList reads a list value (a variable holds it as a Python-style or
// JSON list, or a single word).
func devList(d sdk.Device, key string) ([]string, bool) {
	v, ok := devValue(d, key)
	if !ok {
		return nil, false
	}
	switch x := v.(type) {
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out, true
	case string:
		s := strings.TrimSpace(x)
		if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
			var out []string
			for _, w := range strings.Split(s[1:len(s)-1], ",") {
				if w = strings.Trim(strings.TrimSpace(w), `'"`); w != "" {
					out = append(out, w)
				}
			}
			return out, true
		}
		if s == "" {
			return nil, true
		}
		return []string{s}, true
	}
	return nil, false
}

// serial is the device's fastboot serial number.
func serial(d sdk.Device) string {
	if s := devString(d, "fastboot_serial_number"); s != "" {
		return s
	}
	return unsetSerial
}

// hasHardReset reports whether the device has a hard_reset command.
func hasHardReset(d sdk.Device) bool {
	if _, ok := d.Commands["hard_reset"]; ok {
		return true
	}
	v := d.Vars["hard_reset_command"]
	return v != "" && v != "[]"
}

// autoDetect reports whether the boards' serial number is found at run time
// (LAVA's DetectFastbootDevice.add_if_needed).
func autoDetect(d sdk.Device) bool {
	return serial(d) == unsetSerial && devBool(d, "fastboot_auto_detection")
}

// isContainer reports whether the block runs fastboot in a docker container.
func isContainer(p map[string]any) bool {
	_, ok := p["docker"]
	return ok
}

// sequence is the device's fastboot boot sequence (LAVA's
// actions.boot.methods.fastboot list).
func sequence(d sdk.Device) []string {
	m := d.Methods["boot/fastboot"]
	if v, ok := m["sequence"].([]any); ok {
		return anyStrings(v)
	}
	if v, ok := d.Extra["actions.boot.methods.fastboot"].([]any); ok {
		return anyStrings(v)
	}
	return nil
}

func anyStrings(v []any) []string {
	out := make([]string, 0, len(v))
	for _, e := range v {
		out = append(out, fmt.Sprint(e))
	}
	return out
}

// hasConnection reports whether LAVA's device lists the section connection
// (actions.<section>.connections.<name>); an HCL device, which has no such
// list, has them all.
func hasConnection(d sdk.Device, section, name string) bool {
	v, ok := d.Extra["actions."+section+".connections"]
	if !ok {
		return true
	}
	m, _ := v.(map[string]any)
	_, ok = m[name]
	return ok
}

func infra(s sdk.ActionSpec) sdk.ActionSpec { s.TimeoutError = sdk.Infrastructure; return s }

// Shared LAVA action specs.
func connectDeviceSpec() sdk.ActionSpec {
	return infra(sdk.ActionSpec{Name: "connect-device", Class: "ConnectDevice",
		Description: "use the configured command to connect serial to the device", Summary: "run connection command"})
}

func resetDeviceSpec(d sdk.Device) sdk.ActionSpec {
	r := infra(sdk.ActionSpec{Name: "reset-device", Class: "ResetDevice",
		Description: "reboot or power-cycle the device", Summary: "reboot the device"})
	if hasHardReset(d) {
		r.Children = []sdk.ActionSpec{pduRebootSpec()}
	} else {
		r.Children = []sdk.ActionSpec{infra(sdk.ActionSpec{Name: "send-reboot-commands", Class: "SendRebootCommands",
			Description: "Send reboot commands to the device", Summary: "Issue a reboot command on the device"})}
	}
	return r
}

func pduRebootSpec() sdk.ActionSpec {
	return infra(sdk.ActionSpec{Name: "pdu-reboot", Class: "PDUReboot",
		Description: "issue commands to a PDU to power cycle a device", Summary: "hard reboot using PDU"})
}

func readFeedbackSpec() sdk.ActionSpec {
	return sdk.ActionSpec{Name: "read-feedback", Class: "ReadFeedback",
		Description: "Check for messages on all other namespaces", Summary: "Read from other namespaces"}
}

func waitBoardIDSpec() sdk.ActionSpec {
	return infra(sdk.ActionSpec{Name: "wait-device-boardid", Class: "WaitDeviceBoardID",
		Description: "wait for udev device with board ID", Summary: "wait for udev device with board ID"})
}

func detectSpec() sdk.ActionSpec {
	return sdk.ActionSpec{Name: "detect-fastboot-device", Class: "DetectFastbootDevice",
		Description: "Detect fastboot device serial number.", Summary: "Set fastboot SN if only one device found."}
}

func enterFastbootSpec() sdk.ActionSpec {
	return sdk.ActionSpec{Name: "enter-fastboot-action", Class: "EnterFastbootAction",
		Description: "enter fastboot bootloader", Summary: "enter fastboot"}
}

func ubootEnterFastbootSpec(d sdk.Device) sdk.ActionSpec {
	return sdk.ActionSpec{Name: "uboot-enter-fastboot", Class: "UBootEnterFastbootAction", Retry: true,
		Description: "interactive uboot enter fastboot action", Summary: "uboot commands to enter fastboot mode",
		Children: []sdk.ActionSpec{resetDeviceSpec(d), infra(sdk.ActionSpec{Name: "bootloader-interrupt", Class: "BootloaderInterruptAction",
			Description: "interrupt bootloader", Summary: "interrupt bootloader to get an interactive shell"})}}
}

// validateDevice is LAVA's checks of the device's fastboot values
// (FastbootFlashOrderAction, FastbootBootAction …), with LAVA's messages.
func validateDevice(d sdk.Device, needOrder bool) sdk.Diagnostics {
	var diags sdk.Diagnostics
	add := func(s string) { diags = append(diags, sdk.Diagnostic{Path: "to", Summary: s}) }
	if !devBool(d, "fastboot_auto_detection") {
		if _, ok := devValue(d, "fastboot_serial_number"); !ok {
			add("device fastboot serial number missing")
		} else if serial(d) == unsetSerial {
			add("device fastboot serial number unset")
		}
	}
	if needOrder {
		if _, ok := devValue(d, "flash_cmds_order"); !ok {
			add("device flash commands order missing")
		}
	}
	if v, ok := devValue(d, "fastboot_options"); !ok {
		add("device fastboot options missing")
	} else if _, isList := v.([]any); !isList {
		if s, isStr := v.(string); !isStr || !strings.HasPrefix(strings.TrimSpace(s), "[") {
			add("device fastboot options is not a list")
		}
	}
	return diags
}
