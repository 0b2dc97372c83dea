package job

import (
	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/sdk"
)

// Options say what a job is checked against.
type Options struct {
	// Methods are the installed methods (the plugins' recorded manifests). A
	// deploy `to:` or boot `method:` must name one of them or one of the
	// methods LAVA knows; a method that declares its JobParams has its block
	// checked against them. Nil: lavacore's own methods, whose schemas core/job
	// carries (its tests, and the methods' manifests are checked against them).
	Methods []sdk.MethodInfo
	// StrictKeys makes a key written twice in one mapping an error. LAVA
	// (PyYAML) silently keeps the last value, and LAVA's founding job and
	// five of its sample jobs repeat a key, so by default the duplicate is
	// a warning (Job.Warnings) and the last value is used.
	StrictKeys bool
}

func (o Options) methodSet() map[string]sdk.MethodInfo {
	if o.Methods == nil {
		return nil
	}
	m := make(map[string]sdk.MethodInfo, len(o.Methods))
	for _, x := range o.Methods {
		if _, dup := m[x.Key()]; !dup {
			m[x.Key()] = x
		}
	}
	return m
}

// methodSchema is the schema of a deploy or boot block naming method: the
// method's declared JobParams, else lavacore's own schema of it, else (a
// method LAVA or a plugin knows by name) the keys every action accepts.
func (v *validator) methodSchema(section, key, method string) (schema, bool) {
	info, installed := v.methods[section+"/"+method]
	if installed && len(info.JobParams) > 0 {
		base := deployBase()
		if section == "boot" {
			base = bootBase()
		}
		for _, p := range info.JobParams {
			base[p.Key] = paramField(p)
		}
		return commonKeys(base), true
	}
	if section == "deploy" {
		if s, ok := deploySchema(method); ok {
			return s, true
		}
	} else if s, ok := bootSchema(method); ok {
		return s, true
	}
	if installed || methods[section][method] {
		return commonKeys(schema{key: req(nonEmptyStr), "*": opt(anyValue)}), true
	}
	return nil, false
}

// paramField is the schema field of a declared parameter.
func paramField(p sdk.ParamSpec) field {
	c := paramChecker(p)
	if p.Error != "" {
		c = withError(c, p.Error)
	}
	return field{required: p.Required, check: c}
}

// paramChecker checks a value against its declaration, with the messages
// of the schema LAVA's own methods are checked with.
func paramChecker(p sdk.ParamSpec) checker {
	switch p.Type {
	case sdk.ParamString:
		if len(p.Enum) > 0 {
			return enum(p.Enum...)
		}
		return nonEmptyStr
	case sdk.ParamScalar:
		return scalarStr
	case sdk.ParamBool:
		return boolean
	case sdk.ParamInt:
		return intMin(p.Min)
	case sdk.ParamStringOrList:
		return strOrList(true)
	case sdk.ParamStringMap:
		return dict(schema{"*": opt(nonEmptyStr)})
	case sdk.ParamMap:
		return dict(fieldsSchema(p.Fields))
	case sdk.ParamArtifact:
		return artifact(p.Fields)
	case sdk.ParamArtifactList:
		return list(artifact(p.Fields))
	case sdk.ParamAny:
		return anyValue
	}
	return func(v *validator, n *yaml.Node, path string) {
		v.errAt(n, path, "the method declares this key with an unknown type %q", p.Type)
	}
}

func fieldsSchema(fs []sdk.ParamSpec) schema {
	s := schema{}
	for _, f := range fs {
		s[f.Key] = paramField(f)
	}
	return s
}

// artifact is LAVA's url resource with the declared extra keys.
func artifact(extra []sdk.ParamSpec) checker {
	s := urlSchema()
	for _, f := range extra {
		s[f.Key] = paramField(f)
	}
	return dict(s)
}

// withError replaces the messages c gives about the value itself (not its
// keys) with msg.
func withError(c checker, msg string) checker {
	return func(v *validator, n *yaml.Node, path string) {
		before := len(v.diags)
		c(v, n, path)
		for i := before; i < len(v.diags); i++ {
			if v.diags[i].Path == path {
				v.diags[i].Msg = msg
			}
		}
	}
}
