package lavayaml

import (
	"strings"
	"testing"
	"time"

	"github.com/lavacore/lavacore/core/device"
)

// TestDiffFindsEachChange checks that Diff sees a change in each part of a
// device (a round trip that compares nothing would pass every import).
func TestDiffFindsEachChange(t *testing.T) {
	src := []byte(`
hostname: diff-01
commands:
  connect: telnet localhost 7000
  hard_reset: [a, b]
  users:
    touch: {do: touch /tmp/x}
character_delays: {boot: 10}
constants: {posix: {lava_test_sh_cmd: /bin/sh}}
parameters: {bootz: {kernel: '0x82000000'}}
actions:
  deploy:
    parameters: {add_header: u-boot}
    connections: {serial: }
    methods: {tftp: }
  boot:
    methods:
      u-boot:
        parameters: {bootloader_prompt: '=>'}
        nfs: {commands: [dhcp, '{BOOTX}']}
timeouts:
  actions: {power-off: {seconds: 10}}
`)
	tests := []struct {
		name   string
		change func(d *device.Device)
		want   string
	}{
		{"var", func(d *device.Device) {
			v := d.Vars["connection_command"]
			v.Value = "x"
			d.Vars["connection_command"] = v
		}, "vars.connection_command.value"},
		{"connection", func(d *device.Device) { d.Connections[0].Command = "x" }, "connections[0].command"},
		{"power", func(d *device.Device) { d.Power.HardReset = d.Power.HardReset[:1] }, "power.hard_reset"},
		{"user command", func(d *device.Device) { delete(d.UserCommands, "touch") }, "user_commands.touch"},
		{"delay", func(d *device.Device) { d.CharacterDelays["boot"] = time.Second }, "character_delays.boot"},
		{"timeout", func(d *device.Device) { d.ActionTimeouts["power-off"] = time.Second }, "timeouts.actions.power-off"},
		{"constant", func(d *device.Device) { d.Constants["posix"].(map[string]any)["lava_test_sh_cmd"] = "/bin/bash" }, "constants.posix.lava_test_sh_cmd"},
		{"parameter", func(d *device.Device) { d.Parameters["bootz"] = nil }, "parameters.bootz"},
		{"section parameter", func(d *device.Device) { d.SectionParameters["deploy"]["add_header"] = "x" }, "section_parameters.deploy.add_header"},
		{"command set line", func(d *device.Device) {
			d.Methods["boot/u-boot"]["commands"].(map[string]any)["nfs"].([]any)[1] = "bootz"
		}, "methods.boot/u-boot.commands.nfs[1]"},
		{"method", func(d *device.Device) { delete(d.Methods, "deploy/tftp") }, ""},
		{"extra null value", func(d *device.Device) {
			d.Extra["actions.deploy.connections"] = map[string]any{}
		}, "extra.actions.deploy.connections.serial"},
		{"type", func(d *device.Device) { d.Type = "x" }, "type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, probs := Load("diff.yaml", src, Options{})
			b, _ := Load("diff.yaml", src, Options{})
			if probs.HasErrors() {
				t.Fatal(probs.Error())
			}
			if diffs := Diff(a, b); len(diffs) > 0 {
				t.Fatalf("the same file differs: %v", diffs)
			}
			tt.change(b)
			diffs := Diff(a, b)
			if len(diffs) == 0 {
				t.Fatal("Diff found no difference")
			}
			if !strings.HasPrefix(diffs[0], tt.want) {
				t.Errorf("Diff = %q, want a line starting %q", diffs, tt.want)
			}
		})
	}
}
