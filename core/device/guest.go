package device

import (
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// GuestDevice returns the device a MultiNode role with `connection: ssh` runs
// against: as LAVA's minimise_configuration does for a dynamic connection, a
// copy of the host device's configuration with only its name, type, constants
// (kernel-start-message emptied: an ssh login sees no kernel boot), timeouts,
// variables and deploy/boot methods — no power commands, no console
// connections, no character delays, no environment. Its ssh settings
// (user, port, identity_file, options) are the host type's deploy "ssh" block;
// Methods["deploy/ssh"] and Methods["boot/ssh"] always exist.
func GuestDevice(host *Device) *Device {
	if host == nil {
		return nil
	}
	g := &Device{
		Name:               host.Name,
		Type:               host.Type,
		File:               host.File,
		Worker:             host.Worker,
		Tags:               append([]string(nil), host.Tags...),
		Vars:               make(map[string]Value, len(host.Vars)),
		CharacterDelays:    map[string]time.Duration{},
		ActionTimeouts:     make(map[string]time.Duration, len(host.ActionTimeouts)),
		ConnectionTimeouts: make(map[string]time.Duration, len(host.ConnectionTimeouts)),
		Methods:            map[string]map[string]any{},
		Constants:          deepCopy(host.Constants).(map[string]any),
		Environment:        map[string]string{},
		Description:        host.Description,
		Arch:               host.Arch,
		JobContext:         append([]string(nil), host.JobContext...),
		MethodRanges:       map[string]hcl.Range{},
		Range:              host.Range,
		Guest:              true,
	}
	for k, v := range host.Vars {
		g.Vars[k] = v
	}
	for k, v := range host.ActionTimeouts {
		g.ActionTimeouts[k] = v
	}
	for k, v := range host.ConnectionTimeouts {
		g.ConnectionTimeouts[k] = v
	}
	for k, m := range host.Methods {
		if strings.HasPrefix(k, "deploy/") || strings.HasPrefix(k, "boot/") {
			g.Methods[k] = deepCopy(m).(map[string]any)
			if r, ok := host.MethodRanges[k]; ok {
				g.MethodRanges[k] = r
			}
		}
	}
	for _, k := range []string{"deploy/ssh", "boot/ssh"} {
		if _, ok := g.Methods[k]; !ok {
			g.Methods[k] = map[string]any{}
		}
	}
	g.Constants["kernel-start-message"] = ""
	return g
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	case nil:
		return map[string]any(nil)
	}
	return v
}
