package lavarun

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/sdk/overlay"
)

// EnvDUT is env-dut.yaml, the DUT environment a worker passes with
// --env-dut (LAVA's DeployDeviceEnvironment): purge drops lava-run's own
// environment, removes drops names from it, overrides sets names.
type EnvDUT struct {
	Purge     bool
	Removes   []string
	Overrides map[string]string
}

// ParseEnvDUT parses env-dut.yaml; file names it in errors. An empty
// document is no environment (nil), as LAVA sets none for an empty file.
func ParseEnvDUT(file string, b []byte) (*EnvDUT, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Tag == "!!null" {
		return nil, nil
	}
	at := func(n *yaml.Node, field, msg string, args ...any) error {
		return fmt.Errorf("%s:%d:%d: %s%s", file, n.Line, n.Column, field, fmt.Sprintf(msg, args...))
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, at(root, "", "env-dut must be a mapping of purge, removes and overrides")
	}
	e := &EnvDUT{Overrides: map[string]string{}}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "purge":
			if v.Tag != "!!bool" {
				return nil, at(v, "purge: ", "must be true or false")
			}
			e.Purge = v.Value == "true" || v.Value == "True" || v.Value == "TRUE"
		case "removes":
			names, err := removes(v)
			if err != nil {
				return nil, at(v, "removes: ", "%v", err)
			}
			e.Removes = names
		case "overrides":
			if v.Tag == "!!null" {
				continue
			}
			if v.Kind != yaml.MappingNode {
				return nil, at(v, "overrides: ", "must be a mapping of names to values")
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				name, val := v.Content[j], v.Content[j+1]
				s, err := scalar(val)
				if err == nil {
					err = overlay.CheckEnv(name.Value, s)
				}
				if err != nil {
					return nil, at(val, "overrides."+name.Value+": ", "%v", err)
				}
				e.Overrides[name.Value] = s
			}
		default:
			// LAVA reads only these three keys and ignores the rest.
		}
	}
	return e, nil
}

// removes is the list of names to remove (LAVA iterates it: a list, or a
// mapping's keys).
func removes(v *yaml.Node) ([]string, error) {
	var names []string
	switch {
	case v.Tag == "!!null":
	case v.Kind == yaml.SequenceNode:
		for _, n := range v.Content {
			if n.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: a name must be a string", n.Line)
			}
			names = append(names, n.Value)
		}
	case v.Kind == yaml.MappingNode:
		for i := 0; i < len(v.Content); i += 2 {
			names = append(names, v.Content[i].Value)
		}
	default:
		return nil, fmt.Errorf("must be a list of names")
	}
	return names, nil
}

// scalar is an override's value as LAVA writes it (Python's str of the
// YAML value: True/False, None; numbers as written).
func scalar(n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("the value must be a string, a number or a boolean")
	}
	switch n.Tag {
	case "!!bool":
		if strings.EqualFold(n.Value, "true") {
			return "True", nil
		}
		return "False", nil
	case "!!null":
		return "None", nil
	}
	return n.Value, nil
}

// Environment is the DUT's environment (LAVA's _create_environment): {} if
// purge, else environ (lava-run's own, "NAME=VALUE" entries), minus
// Removes, plus Overrides. An inherited entry that cannot be a line of the
// secrets file (a name that is not a shell variable name, a value with a
// line break) is left out, with a warning naming it; the overrides were
// checked by ParseEnvDUT. LAVA keeps the dict's order; the overlay writes
// the names sorted, so the map loses nothing.
func (e *EnvDUT) Environment(environ []string) (env map[string]string, warnings []string) {
	env = map[string]string{}
	if !e.Purge {
		for _, kv := range environ {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				continue
			}
			env[k] = v
		}
	}
	for _, k := range e.Removes {
		delete(env, k)
	}
	for k := range env {
		if err := overlay.CheckEnv(k, env[k]); err != nil {
			warnings = append(warnings, fmt.Sprintf("env-dut: lava-run's environment variable %q is not passed to the DUT: %v", k, err))
			delete(env, k)
		}
	}
	for k, v := range e.Overrides {
		env[k] = v
	}
	return env, warnings
}
