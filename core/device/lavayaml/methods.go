package lavayaml

import (
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/core/device"
)

// sections are LAVA's action sections whose methods lavacore keys as "<section>/<method>".
var sections = map[string]bool{"deploy": true, "boot": true, "test": true}

// actions reads actions.<section>.{methods, parameters}; the rest (the
// sections' connections …) is kept in Extra.
func (l *load) actions(n *yaml.Node) {
	for _, p := range l.pairs(n, "actions", 0) {
		spath := join("actions", p.key)
		if !sections[p.key] {
			l.extra(p.k, p.v, spath)
			continue
		}
		for _, q := range l.pairs(p.v, spath, 1) {
			qpath := join(spath, q.key)
			switch q.key {
			case "methods":
				for _, m := range l.pairs(q.v, qpath, 2) {
					l.method(p.key, m, join(qpath, m.key))
				}
			case "parameters":
				if m := l.mapping(q.v, qpath); len(m) > 0 {
					l.d.SectionParameters[p.key] = m
				}
			default:
				l.extra(q.k, q.v, qpath)
			}
		}
	}
}

// method translates one LAVA method entry to lavacore's method map (the
// shape of an HCL method block, see device.Device.Methods):
//   - the keys of its `parameters:` become the method's own keys
//     (bootloader_prompt, interrupt_prompt …, as in the HCL block);
//   - each named command set, a key whose value holds `commands:` (u-boot's
//     nfs, ramdisk …, grub-efi's installed …), goes under "commands": its
//     list, or {lines: list, other keys…} when the set has more keys;
//   - every other key stays as it is; nulls are dropped (absent == null).
//
// With a plugin spec (Options.Spec) the result is decoded through it and the
// keys it does not declare are kept in Extra by their YAML path.
func (l *load) method(section string, p pair, path string) {
	key := section + "/" + p.key
	l.d.MethodRanges[key] = l.rng(p.k)
	d := l.deref(p.v)
	if d == nil || d.Kind == yaml.ScalarNode && d.Tag == "!!null" {
		l.d.Methods[key] = map[string]any{}
		return
	}
	if d.Kind != yaml.MappingNode {
		// e.g. fastboot: ['no-flash-boot']: the method exists, its value is kept.
		l.d.Methods[key] = map[string]any{}
		l.extra(p.k, p.v, path)
		return
	}
	entries := l.pairs(d, path, 2)
	direct := false
	for _, e := range entries {
		direct = direct || e.key == "commands"
	}
	m := map[string]any{}
	origin := map[string]string{} // method key → its YAML path
	where := map[string]*yaml.Node{}
	sets := map[string]any{}
	var params []pair
	for _, e := range entries {
		epath := join(path, e.key)
		if e.key == "parameters" {
			ed := l.deref(e.v)
			if ed != nil && ed.Kind == yaml.MappingNode {
				for _, pp := range l.pairs(ed, epath, 3) {
					params = append(params, pp)
				}
				continue
			}
		}
		v, ok := l.value(e.v, epath, 3)
		if !ok || v == nil {
			continue
		}
		if set, isSet := v.(map[string]any); isSet && !direct {
			if cmds, has := set["commands"]; has {
				delete(set, "commands")
				dropNulls(set)
				if len(set) == 0 {
					sets[e.key] = cmds
				} else {
					set["lines"] = cmds
					sets[e.key] = set
				}
				origin["commands."+e.key] = epath
				where["commands."+e.key] = e.k
				continue
			}
		}
		m[e.key] = dropNulls(v)
		origin[e.key], where[e.key] = epath, e.k
	}
	for _, pp := range params {
		ppath := join(join(path, "parameters"), pp.key)
		v, ok := l.value(pp.v, ppath, 4)
		if !ok || v == nil {
			continue
		}
		if _, clash := m[pp.key]; clash || pp.key == "commands" && len(sets) > 0 {
			l.warnf(pp.k, ppath, "the method already has a key %q: this parameter is kept, unused", pp.key)
			l.d.Extra[ppath], l.d.ExtraRanges[ppath] = v, l.rng(pp.k)
			continue
		}
		m[pp.key] = dropNulls(v)
		origin[pp.key], where[pp.key] = ppath, pp.k
	}
	if dropNulls(sets); len(sets) > 0 {
		m["commands"] = sets
	}
	out, unused, err := device.DecodeMethodMap(key, m, device.LoadOptions{Spec: l.opts.Spec})
	if err != nil {
		l.errorf(p.k, path, "%v", err)
		return
	}
	for up, v := range unused {
		yp, n := l.unusedPath(up, path, origin, where, p.k)
		l.d.Extra[yp], l.d.ExtraRanges[yp] = v, l.rng(n)
	}
	l.d.Methods[key] = out
}

// unusedPath maps a method-map path the spec left unused ("menu_options",
// "commands.nfs.cmdline") back to the YAML path it came from.
func (l *load) unusedPath(up, path string, origin map[string]string, where map[string]*yaml.Node, def *yaml.Node) (string, *yaml.Node) {
	parts := strings.Split(up, ".")
	for i := len(parts); i > 0; i-- {
		head := strings.Join(parts[:i], ".")
		if yp, ok := origin[head]; ok {
			for _, rest := range parts[i:] {
				if rest == "lines" && strings.HasPrefix(head, "commands.") {
					rest = "commands"
				}
				yp = join(yp, rest)
			}
			return yp, where[head]
		}
	}
	return join(path, up), def
}
