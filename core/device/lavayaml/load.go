package lavayaml

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/sdk"
)

// MaxFileSize is the largest device file Load reads (LAVA's are a few KiB).
const MaxFileSize = 4 << 20

// Options tunes Load.
type Options struct {
	// Name is the device's name when the file's hostname is empty (LAVA's
	// test devices leave it empty); default: the file name without .yaml.
	Name string
	// Type is the device type when the file's devicetype is empty.
	Type string
	// Spec returns a method plugin's block spec by key ("boot/grub-efi"), as
	// device.LoadOptions.Spec: a method's values are then decoded through it
	// and the keys it does not declare are kept in Device.Extra.
	Spec func(key string) *sdk.BlockSpec
}

// LoadFile reads and loads a rendered LAVA device file.
func LoadFile(path string, opts Options) (*device.Device, Problems) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Problems{{File: path, Msg: err.Error()}}
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, Problems{{File: path, Msg: err.Error()}}
	}
	if len(src) > MaxFileSize {
		return nil, Problems{{File: path, Msg: fmt.Sprintf("a device file is at most %d bytes", MaxFileSize)}}
	}
	return Load(path, src, opts)
}

// Load turns a rendered LAVA device file (src, named file in problems) into
// lavacore's resolved device. Problems hold the errors (then the device is
// nil) and warnings; see the package documentation for the mapping.
func Load(file string, src []byte, opts Options) (*device.Device, Problems) {
	c := &conv{file: file}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		line := 0
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if _, rest, ok := strings.Cut(msg, "line "); ok {
			num, tail, _ := strings.Cut(rest, ":")
			if l, err := strconv.Atoi(num); err == nil {
				line, msg = l, strings.TrimSpace(tail)
			}
		}
		return nil, Problems{{File: file, Line: line, Column: 1, Msg: msg}}
	}
	root := c.deref(&doc)
	if root == nil || root.Kind != yaml.MappingNode {
		return nil, Problems{c.problem(root, "", "a LAVA device file is a mapping (device_type, commands, actions, timeouts …)", false)}
	}
	base := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	d := &device.Device{
		Name:               opts.Name,
		Type:               opts.Type,
		File:               file,
		Vars:               map[string]device.Value{},
		CharacterDelays:    map[string]time.Duration{},
		ActionTimeouts:     map[string]time.Duration{},
		ConnectionTimeouts: map[string]time.Duration{},
		Methods:            map[string]map[string]any{},
		MethodRanges:       map[string]hcl.Range{},
		Constants:          map[string]any{},
		Environment:        map[string]string{},
		UserCommands:       map[string]device.UserCommand{},
		Parameters:         map[string]any{},
		SectionParameters:  map[string]map[string]any{},
		Extra:              map[string]any{},
		ExtraRanges:        map[string]hcl.Range{},
		Range:              c.rng(root),
	}
	d.Range.End = d.Range.Start
	l := &load{conv: c, d: d, opts: opts}
	for _, p := range c.pairs(root, "", 0) {
		switch p.key {
		case "hostname":
			if s := l.str(p.v, p.key); s != "" {
				d.Name = s
			}
		case "devicetype", "device_type":
			if s := l.str(p.v, p.key); s != "" {
				d.Type = s
			}
		case "commands":
			l.commands(p.v)
		case "character_delays":
			l.delays(p.v)
		case "timeouts":
			l.timeouts(p.v)
		case "constants", "parameters":
			m := l.mapping(p.v, p.key)
			if p.key == "constants" {
				d.Constants = m
			} else {
				d.Parameters = m
			}
		case "actions":
			l.actions(p.v)
		default:
			l.extra(p.k, p.v, p.key)
		}
	}
	if d.Name == "" {
		d.Name = base
	}
	if c.probs.HasErrors() {
		return nil, c.probs
	}
	return d, c.probs
}

// load is one Load in progress.
type load struct {
	*conv
	d    *device.Device
	opts Options
}

// extra keeps a value lavacore does not use, by its YAML path.
func (l *load) extra(k, v *yaml.Node, path string) {
	val, ok := l.value(v, path, 1)
	if !ok {
		return
	}
	l.d.Extra[path] = val
	l.d.ExtraRanges[path] = l.rng(k)
}

// str reads a scalar as text ("" for null).
func (l *load) str(n *yaml.Node, path string) string {
	v, ok := l.value(n, path, 1)
	if !ok || v == nil {
		return ""
	}
	switch x := v.(type) {
	case string:
		return x
	case float64, bool:
		return c2s(x)
	}
	l.errorf(n, path, "expected a string")
	return ""
}

func c2s(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

// mapping reads a mapping (null: empty), nulls dropped.
func (l *load) mapping(n *yaml.Node, path string) map[string]any {
	v, ok := l.value(n, path, 1)
	if !ok || v == nil {
		return map[string]any{}
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		l.errorf(n, path, "expected a mapping")
		return map[string]any{}
	}
	return dropNulls(m).(map[string]any)
}

// commandList reads a command: a string, a list of strings, or null.
func (l *load) commandList(n *yaml.Node, path string) (raw any, cmds []string, ok bool) {
	v, ok := l.value(n, path, 1)
	if !ok {
		return nil, nil, false
	}
	switch x := v.(type) {
	case nil:
		return nil, nil, true
	case string:
		if x != "" {
			cmds = []string{x}
		}
		return x, cmds, true
	case float64, bool:
		return c2s(x), []string{c2s(x)}, true
	case []any:
		for i, e := range x {
			s, isStr := e.(string)
			if !isStr {
				l.errorf(n, fmt.Sprintf("%s[%d]", path, i), "expected a string")
				return nil, nil, false
			}
			cmds = append(cmds, s)
		}
		return x, cmds, true
	}
	l.errorf(n, path, "expected a command or a list of commands")
	return nil, nil, false
}

// setVar records a device variable as an HCL device file's vars {} would.
func (l *load) setVar(name string, raw any, n *yaml.Node) {
	v, err := device.NewValue(raw, device.FromDeviceFile, l.file, n.Line, n.Column)
	if err != nil {
		l.errorf(n, name, "%v", err)
		return
	}
	l.d.Vars[name] = v
}

// powerVars maps LAVA's commands keys to the device model and to the device
// dictionary variable that renders them (base.jinja2).
var powerVars = []struct{ key, variable string }{
	{"power_on", "power_on_command"},
	{"power_off", "power_off_command"},
	{"hard_reset", "hard_reset_command"},
	{"pre_power_command", "pre_power_command"},
	{"pre_os_command", "pre_os_command"},
}

func (l *load) power(key string) *[]string {
	switch key {
	case "power_on":
		return &l.d.Power.On
	case "power_off":
		return &l.d.Power.Off
	case "hard_reset":
		return &l.d.Power.HardReset
	case "pre_power_command":
		return &l.d.Power.PrePower
	}
	return &l.d.Power.PreOS
}

func (l *load) commands(n *yaml.Node) {
	if d := l.deref(n); d == nil || d.Kind == yaml.ScalarNode && d.Tag == "!!null" {
		return
	} else if d.Kind != yaml.MappingNode {
		l.errorf(n, "commands", "expected a mapping")
		return
	}
	for _, p := range l.pairs(n, "commands", 0) {
		path := join("commands", p.key)
		switch p.key {
		case "connect":
			cmd := l.str(p.v, path)
			if cmd == "" {
				continue
			}
			l.d.Connections = append(l.d.Connections, device.Connection{Name: "serial", Command: cmd, Primary: true})
			l.setVar("connection_command", cmd, l.deref(p.v))
		case "connections":
			l.connections(p.v, path)
		case "users":
			l.users(p.v, path)
		default:
			found := false
			for _, pv := range powerVars {
				if pv.key != p.key {
					continue
				}
				found = true
				raw, cmds, ok := l.commandList(p.v, path)
				if ok && len(cmds) > 0 {
					*l.power(p.key) = cmds
					l.setVar(pv.variable, raw, l.deref(p.v))
				}
			}
			if !found {
				l.extra(p.k, p.v, path)
			}
		}
	}
}

// connections reads commands.connections: NAME: {connect: CMD, tags: [primary, telnet …]}.
func (l *load) connections(n *yaml.Node, path string) {
	cmds := map[string]any{}
	for _, p := range l.pairs(n, path, 0) {
		cpath := join(path, p.key)
		conn := device.Connection{Name: p.key}
		for _, q := range l.pairs(p.v, cpath, 1) {
			qpath := join(cpath, q.key)
			switch q.key {
			case "connect":
				conn.Command = l.str(q.v, qpath)
			case "tags":
				_, tags, ok := l.commandList(q.v, qpath)
				if !ok {
					continue
				}
				for _, t := range tags {
					if t == "primary" {
						conn.Primary = true
						continue
					}
					conn.Tags = append(conn.Tags, t)
				}
			default:
				l.extra(q.k, q.v, qpath)
			}
		}
		if conn.Command == "" {
			l.warnf(p.k, cpath, "no connect command: the connection is left out")
			continue
		}
		cmds[p.key] = conn.Command
		l.d.Connections = append(l.d.Connections, conn)
	}
	if len(cmds) > 0 {
		l.setVar("connection_commands", cmds, l.deref(n))
	}
}

// users reads commands.users: NAME: {do: CMD, undo: CMD}.
func (l *load) users(n *yaml.Node, path string) {
	for _, p := range l.pairs(n, path, 0) {
		upath := join(path, p.key)
		if !device.ValidCommandName(p.key) {
			l.warnf(p.k, upath, "%q cannot be a lavacore user command name (letters, digits, _ and -, not a builtin command): kept, unused", p.key)
			l.extra(p.k, p.v, upath)
			continue
		}
		uc := device.UserCommand{Name: p.key, Range: l.rng(p.k)}
		for _, q := range l.pairs(p.v, upath, 1) {
			qpath := join(upath, q.key)
			switch q.key {
			case "do", "undo":
				_, cmds, _ := l.commandList(q.v, qpath)
				if q.key == "do" {
					uc.Do = cmds
				} else {
					uc.Undo = cmds
				}
			default:
				l.extra(q.k, q.v, qpath)
			}
		}
		if len(uc.Do) == 0 {
			l.warnf(p.k, upath, "no do command: the user command is left out")
			continue
		}
		l.d.UserCommands[p.key] = uc
	}
}

// delays reads character_delays (milliseconds) for deploy, boot and test.
func (l *load) delays(n *yaml.Node) {
	for _, p := range l.pairs(n, "character_delays", 0) {
		path := join("character_delays", p.key)
		switch p.key {
		case "deploy", "boot", "test":
			v, ok := l.value(p.v, path, 1)
			if !ok || v == nil {
				continue
			}
			ms, isNum := number(v)
			if !isNum || ms < 0 || ms > float64(time.Hour/time.Millisecond) {
				l.errorf(p.v, path, "expected a number of milliseconds (0 to 3600000)")
				continue
			}
			if dur := time.Duration(ms * float64(time.Millisecond)); dur > 0 {
				l.d.CharacterDelays[p.key] = dur
			}
		default:
			l.extra(p.k, p.v, path)
		}
	}
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

// timeouts reads timeouts.actions and timeouts.connections: NAME: {days, hours, minutes, seconds}.
func (l *load) timeouts(n *yaml.Node) {
	for _, p := range l.pairs(n, "timeouts", 0) {
		path := join("timeouts", p.key)
		var dst map[string]time.Duration
		switch p.key {
		case "actions":
			dst = l.d.ActionTimeouts
		case "connections":
			dst = l.d.ConnectionTimeouts
		default:
			l.extra(p.k, p.v, path)
			continue
		}
		for _, q := range l.pairs(p.v, path, 1) {
			if dur, ok := l.timeout(q.v, join(path, q.key)); ok {
				dst[q.key] = dur
			}
		}
	}
}

// timeoutUnits are LAVA's Timeout.parse keys.
var timeoutUnits = map[string]time.Duration{"days": 24 * time.Hour, "hours": time.Hour, "minutes": time.Minute, "seconds": time.Second}

func (l *load) timeout(n *yaml.Node, path string) (time.Duration, bool) {
	d := l.deref(n)
	if d == nil || d.Kind != yaml.MappingNode {
		l.errorf(n, path, "expected a timeout like {minutes: 3}")
		return 0, false
	}
	var total time.Duration
	for _, p := range l.pairs(d, path, 1) {
		unit, ok := timeoutUnits[p.key]
		if !ok {
			l.errorf(p.k, join(path, p.key), "extra keys not allowed (a timeout has days, hours, minutes, seconds)")
			return 0, false
		}
		v, ok := l.value(p.v, join(path, p.key), 2)
		if !ok {
			return 0, false
		}
		f, isNum := number(v)
		if !isNum || f < 0 || f > 1e6 {
			l.errorf(p.v, join(path, p.key), "expected a number from 0 to 1000000")
			return 0, false
		}
		total += time.Duration(f * float64(unit))
	}
	return total, true
}
