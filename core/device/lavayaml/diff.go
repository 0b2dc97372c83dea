package lavayaml

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	stdtime "time"

	"github.com/lavacore/lavacore/core/device"
)

// Diff lists every resolved value in which a and b differ, one line each
// ("methods.boot/u-boot.commands.nfs[3]: "x" != "y""), empty when they are the
// same device. It compares what a pipeline and a run see — name, type,
// worker, tags, variables (value, type, origin), connections, power and user
// commands, delays, timeouts, constants, parameters, methods, environment,
// the kept extra values — and not where each value was written. A nil and an
// empty map or list are the same value, but a key present (even with a null
// or empty value) differs from an absent one. Import tests use it (a LAVA device and its
// HCL import), as will tests of HCL device types against LAVA's rendered
// files.
func Diff(a, b *device.Device) []string {
	var out []string
	diffValue("", view(a), view(b), &out)
	return out
}

// view is the comparable part of a device as JSON-like values.
func view(d *device.Device) map[string]any {
	if d == nil {
		return nil
	}
	vars := map[string]any{}
	for k, v := range d.Vars {
		vars[k] = map[string]any{"value": v.Value, "raw": v.Raw, "type": v.Type, "origin": string(v.Origin)}
	}
	var conns []any
	for _, c := range d.Connections {
		conns = append(conns, map[string]any{"name": c.Name, "command": c.Command, "primary": c.Primary, "tags": strs(c.Tags)})
	}
	users := map[string]any{}
	for k, u := range d.UserCommands {
		users[k] = map[string]any{"do": strs(u.Do), "undo": strs(u.Undo)}
	}
	durs := func(m map[string]stdtime.Duration) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			out[k] = v.String()
		}
		return out
	}
	methods := map[string]any{}
	for k, m := range d.Methods {
		methods[k] = m
	}
	sp := map[string]any{}
	for k, m := range d.SectionParameters {
		sp[k] = m
	}
	env := map[string]any{}
	for k, v := range d.Environment {
		env[k] = v
	}
	return map[string]any{
		"name": d.Name, "type": d.Type, "worker": d.Worker, "tags": strs(d.Tags),
		"description": d.Description, "arch": d.Arch, "job_context": strs(d.JobContext), "guest": d.Guest,
		"vars": vars, "connections": conns, "user_commands": users,
		"power": map[string]any{"power_on": strs(d.Power.On), "power_off": strs(d.Power.Off), "hard_reset": strs(d.Power.HardReset),
			"pre_power_command": strs(d.Power.PrePower), "pre_os_command": strs(d.Power.PreOS)},
		"character_delays":     durs(d.CharacterDelays),
		"timeouts.actions":     durs(d.ActionTimeouts),
		"timeouts.connections": durs(d.ConnectionTimeouts),
		"constants":            d.Constants, "parameters": d.Parameters, "section_parameters": sp,
		"methods": methods, "environment": env, "extra": d.Extra,
	}
}

func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func empty(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map, reflect.Slice:
		return rv.Len() == 0 || rv.IsNil()
	}
	return false
}

func diffValue(path string, a, b any, out *[]string) {
	if empty(a) && empty(b) {
		return
	}
	am, aIsMap := a.(map[string]any)
	bm, bIsMap := b.(map[string]any)
	if (aIsMap || a == nil) && (bIsMap || b == nil) && (aIsMap || bIsMap) {
		ks := map[string]bool{}
		for k := range am {
			ks[k] = true
		}
		for k := range bm {
			ks[k] = true
		}
		names := make([]string, 0, len(ks))
		for k := range ks {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			av, aok := am[k]
			bv, bok := bm[k]
			p := k
			if path != "" {
				p = path + "." + k
			}
			switch {
			case aok && !bok:
				*out = append(*out, fmt.Sprintf("%s: only in the first (%s)", p, short(av)))
			case bok && !aok:
				*out = append(*out, fmt.Sprintf("%s: only in the second (%s)", p, short(bv)))
			default:
				diffValue(p, av, bv, out)
			}
		}
		return
	}
	al, aIsList := a.([]any)
	bl, bIsList := b.([]any)
	if (aIsList || a == nil) && (bIsList || b == nil) && (aIsList || bIsList) {
		if len(al) != len(bl) {
			*out = append(*out, fmt.Sprintf("%s: %d items != %d items (%s != %s)", path, len(al), len(bl), short(a), short(b)))
			return
		}
		for i := range al {
			diffValue(fmt.Sprintf("%s[%d]", path, i), al[i], bl[i], out)
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, fmt.Sprintf("%s: %s != %s", path, short(a), short(b)))
	}
}

func short(v any) string {
	s := fmt.Sprintf("%#v", v)
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return strings.ReplaceAll(s, "\n", `\n`)
}
