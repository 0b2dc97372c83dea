package device

import "github.com/lavacore/lavacore/sdk"

// SDK returns the device as a method sees it (sdk.Device), with Method set to
// the block of method key ("boot/grub-efi"; "" leaves it nil).
func (d *Device) SDK(key string) sdk.Device {
	vars := make(map[string]string, len(d.Vars))
	for k, v := range d.Vars {
		vars[k] = v.Value
	}
	out := sdk.Device{
		Name:      d.Name,
		Type:      d.Type,
		Vars:      vars,
		Methods:   d.Methods,
		Constants: d.Constants,
		// LAVA's device and section parameters (load addresses, add_header …)
		Parameters:        d.Parameters,
		SectionParameters: d.SectionParameters,
		Extra:             d.Extra,
	}
	if key != "" {
		out.Method = d.Methods[key]
	}
	out.Commands = d.Commands()
	for i, c := range d.Connections {
		if c.Primary || (i == 0 && out.Console == nil) {
			out.Connection, out.ConnectionTags, out.Console = c.Command, c.Tags, nil
			if c.Kind() != "" {
				spec := c.Spec()
				out.Console = &spec
			}
		}
	}
	return out
}

// Commands returns what a job's `command:` block may name on this device:
// the builtin commands it sets (pre_power_command, pre_os_command,
// hard_reset, power_on, power_off) and its user commands (nil: none).
func (d *Device) Commands() map[string]sdk.DeviceCommand {
	out := map[string]sdk.DeviceCommand{}
	for name, cmds := range map[string][]string{"pre_power_command": d.Power.PrePower, "pre_os_command": d.Power.PreOS,
		"hard_reset": d.Power.HardReset, "power_on": d.Power.On, "power_off": d.Power.Off} {
		if len(cmds) > 0 {
			out[name] = sdk.DeviceCommand{Do: cmds}
		}
	}
	for name, uc := range d.UserCommands {
		out[name] = sdk.DeviceCommand{Do: uc.Do, Undo: uc.Undo, User: true}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
