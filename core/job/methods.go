package job

import (
	"regexp"

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
func (v *validator) methodSchema(section, key, method string, body *yaml.Node) (schema, bool) {
	if s, ok := v.declared(section, method, body); ok {
		return s, true
	}
	if section == "deploy" {
		if s, ok := deploySchema(method); ok {
			return s, true
		}
	} else if s, ok := bootSchema(method); ok {
		return s, true
	}
	if _, installed := v.methods[section+"/"+method]; installed || methods[section][method] {
		return commonKeys(schema{key: req(nonEmptyStr), "*": opt(anyValue)}), true
	}
	return nil, false
}

// declared is the schema of a block served by an installed method that
// declares its JobParams: the section's own keys (sectionBase) and the
// declared ones. A test block's method is its kind (definitions …); a
// command block's is the command method named as the block's command, else
// the one installed command method that declares its params.
func (v *validator) declared(section, method string, body *yaml.Node) (schema, bool) {
	info, ok := v.methods[section+"/"+method]
	if !ok && section == "command" {
		var found []sdk.MethodInfo
		for _, m := range v.methods {
			if string(m.Section) == section && len(m.JobParams) > 0 {
				found = append(found, m)
			}
		}
		if len(found) == 1 {
			info, ok = found[0], true
		}
	}
	if !ok || len(info.JobParams) == 0 {
		return nil, false
	}
	return declaredSchema(section, info.JobParams, body), true
}

// declaredSchema is the schema of a block of section whose method declares
// params; body is the block (for ParamSpec.With).
func declaredSchema(section string, params []sdk.ParamSpec, body *yaml.Node) schema {
	s := sectionBase(section)
	for _, p := range params {
		if p.With != "" && get(body, p.With) == nil {
			continue
		}
		s[p.Key] = paramField(p)
	}
	return commonKeys(s)
}

// sectionBase is what every block of section accepts besides the common keys.
func sectionBase(section string) schema {
	switch section {
	case "deploy":
		return deployBase()
	case "boot":
		return bootBase()
	}
	return schema{}
}

// paramField is the schema field of a declared parameter.
func paramField(p sdk.ParamSpec) field {
	c := paramChecker(p)
	if p.Pattern != "" {
		c = withPattern(c, p.Pattern)
	}
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
	case sdk.ParamRelPath:
		return relPath(p.Within)
	case sdk.ParamFileURLs:
		return extraFiles
	case sdk.ParamDocker:
		return dockerCheck("image")
	case sdk.ParamDefinitions:
		return definitionsCheck
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

// withPattern adds to c the check that a scalar value c accepts matches
// the regular expression pattern.
func withPattern(c checker, pattern string) checker {
	re, err := regexp.Compile(pattern)
	return func(v *validator, n *yaml.Node, path string) {
		before := len(v.diags)
		c(v, n, path)
		switch {
		case len(v.diags) > before || !isScalar(n):
		case err != nil:
			v.errAt(n, path, "the method declares an invalid pattern %q: %v", pattern, err)
		case !re.MatchString(resolve(n).Value):
			v.errAt(n, path, "does not match regular expression %s", pattern)
		}
	}
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
