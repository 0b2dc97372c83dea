// Package lavayaml loads LAVA's rendered device files — the YAML lava-server
// renders from a device dictionary and its Jinja2 device-type templates and
// hands to `lava-run --device=device.yaml` — into lavacore's resolved device
// (device.Device, the same model HCL devices resolve to), and writes such a
// device back as HCL (ToHCL, `lavacore devices import`).
//
// # Mapping
//
//	hostname, devicetype        Name, Type ("" in LAVA's test devices: the file
//	                            name and Options.Type stand in)
//	commands.connect            Connections "serial" (primary); Vars connection_command
//	commands.connections.N      Connections N {connect, tags: "primary" → Primary};
//	                            Vars connection_commands {N: cmd}
//	commands.power_on, power_off, hard_reset, pre_power_command, pre_os_command
//	                            Power; Vars power_on_command, power_off_command,
//	                            hard_reset_command, pre_power_command, pre_os_command
//	commands.users.N.do/undo    UserCommands N
//	character_delays (ms)       CharacterDelays deploy, boot, test
//	timeouts.actions/connections.N {days, hours, minutes, seconds}
//	                            ActionTimeouts / ConnectionTimeouts
//	constants                   Constants
//	parameters                  Parameters (load addresses, media, interfaces …)
//	actions.S.parameters        SectionParameters[S] (deploy: add_header, mkimage_arch …)
//	actions.S.methods.M         Methods["S/M"]: the keys of M's `parameters:` become
//	                            M's own keys; each named command set (a key whose
//	                            value holds `commands:`) goes under "commands" as its
//	                            list (or {lines, other keys} when it has more); other
//	                            keys stay. With a plugin spec (Options.Spec) the map
//	                            is decoded through it, as an HCL method block is.
//	anything else               Extra, by YAML path ("commands.soft_reboot",
//	                            "actions.boot.connections", "device_info" …), with
//	                            ExtraRanges: never rejected, shown by `devices show`
//
// The variables (Vars, origin "device file") are the device dictionary values
// the commands were rendered from; ToHCL makes them the device file's `vars`,
// everything else the standalone device type's literal values.
//
// Values are JSON-compatible as in HCL devices: every number is a float64,
// null map entries are dropped (absent == null; Extra keeps them), PyYAML's
// YAML 1.1 booleans (yes/no/on/off) are booleans, NaN and infinities keep their
// text. Merge keys (<<) are applied and a repeated key keeps its last value,
// as PyYAML does. Aliases are expanded within a budget of nodes (an alias bomb
// is an error), files are limited to MaxFileSize. Problems name
// file:line:col: path: message.
//
// LAVA applies a job's context when it renders the file, so lavacore does
// not apply one to a rendered device (device.Lab.AddDevice).
package lavayaml
