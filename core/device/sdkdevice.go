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
	}
	if key != "" {
		out.Method = d.Methods[key]
	}
	for i, c := range d.Connections {
		if c.Primary || (i == 0 && out.Connection == "") {
			out.Connection, out.ConnectionTags = c.Command, c.Tags
		}
	}
	return out
}
