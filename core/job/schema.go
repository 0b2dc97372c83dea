package job

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/sdk"
)

// checker validates one node found at path.
type checker func(v *validator, n *yaml.Node, path string)

// field is one key of a mapping schema.
type field struct {
	required bool
	check    checker
}

// schema is a mapping's allowed keys. A key "*" accepts any other key.
type schema map[string]field

func req(c checker) field { return field{required: true, check: c} }
func opt(c checker) field { return field{check: c} }

type validator struct {
	file  string
	diags Diagnostics
	// warns are problems that do not make the job invalid (Job.Warnings).
	warns Diagnostics
	// methods are the installed methods by "<section>/<name>" (nil: lavacore's own, see Options).
	methods map[string]sdk.MethodInfo
}

func (v *validator) pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: v.file, Line: 1, Column: 1}
	}
	return Pos{File: v.file, Line: n.Line, Column: n.Column}
}

// errAt records a problem at node n.
func (v *validator) errAt(n *yaml.Node, path, format string, a ...any) {
	v.diags = append(v.diags, Diagnostic{Pos: v.pos(n), Path: path, Msg: fmt.Sprintf(format, a...)})
}

// warnAt records a warning at node n.
func (v *validator) warnAt(n *yaml.Node, path, format string, a ...any) {
	v.warns = append(v.warns, Diagnostic{Pos: v.pos(n), Path: path, Msg: fmt.Sprintf(format, a...)})
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// mapping checks n against s: a dictionary, no extra keys, required keys present.
func (v *validator) mapping(n *yaml.Node, path string, s schema) bool {
	if !isMap(n) {
		v.errAt(n, path, "expected a dictionary")
		return false
	}
	seen := map[string]bool{}
	for _, p := range pairs(n) {
		if seen[p.Key] {
			continue // PyYAML keeps the last of duplicate keys; so does get()
		}
		seen[p.Key] = true
		if last := get(n, p.Key); last != p.Value {
			p.Value = last
		}
		f, ok := s[p.Key]
		if !ok {
			f, ok = s["*"]
		}
		if !ok {
			v.errAt(p.KNode, join(path, p.Key), "extra keys not allowed")
			continue
		}
		if f.check != nil {
			f.check(v, p.Value, join(path, p.Key))
		}
	}
	for k, f := range s {
		if f.required && !seen[k] {
			v.errAt(n, path, "required key not provided: %s", k)
		}
	}
	return true
}

func anyValue(v *validator, n *yaml.Node, path string) {}

func dict(s schema) checker {
	return func(v *validator, n *yaml.Node, path string) { v.mapping(n, path, s) }
}

func strLen(min, max int) checker {
	return func(v *validator, n *yaml.Node, path string) {
		if !isStr(n) {
			v.errAt(n, path, "expected str")
			return
		}
		l := len([]rune(resolve(n).Value))
		if l < min {
			v.errAt(n, path, "length of value must be at least %d", min)
		}
		if max > 0 && l > max {
			v.errAt(n, path, "length of value must be at most %d", max)
		}
	}
}

var str = strLen(0, 0)
var nonEmptyStr = strLen(1, 0)

// scalarStr accepts any scalar (YAML may type a value as int or bool) as a string.
func scalarStr(v *validator, n *yaml.Node, path string) {
	if !isScalar(n) || isNull(n) {
		v.errAt(n, path, "expected str")
	}
}

func boolean(v *validator, n *yaml.Node, path string) {
	if !isBool(n) {
		v.errAt(n, path, "expected bool")
	}
}

func intMin(min int) checker {
	return func(v *validator, n *yaml.Node, path string) {
		i, ok := intOf(n)
		if !ok {
			v.errAt(n, path, "expected int")
			return
		}
		if i < min {
			v.errAt(n, path, "value must be at least %d", min)
		}
	}
}

func enum(values ...string) checker {
	return func(v *validator, n *yaml.Node, path string) {
		if isScalar(n) && !isNull(n) {
			for _, x := range values {
				if resolve(n).Value == x {
					return
				}
			}
		}
		v.errAt(n, path, "not a valid value (one of: %s)", strings.Join(values, ", "))
	}
}

func list(elem checker) checker {
	return func(v *validator, n *yaml.Node, path string) {
		if !isSeq(n) {
			v.errAt(n, path, "expected a list")
			return
		}
		for i, c := range resolve(n).Content {
			elem(v, resolve(c), fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

// strOrList accepts a string or a list of strings (prompts, commands, soft_reboot).
func strOrList(nonEmpty bool) checker {
	return func(v *validator, n *yaml.Node, path string) {
		switch {
		case isScalar(n) && !isNull(n):
			if nonEmpty && resolve(n).Value == "" {
				v.errAt(n, path, "length of value must be at least 1")
			}
		case isSeq(n):
			if nonEmpty && len(resolve(n).Content) == 0 {
				v.errAt(n, path, "length of value must be at least 1")
			}
			for i, c := range resolve(n).Content {
				scalarStr(v, resolve(c), fmt.Sprintf("%s[%d]", path, i))
			}
		default:
			v.errAt(n, path, "expected str or a list of str")
		}
	}
}

func strMap(v *validator, n *yaml.Node, path string) {
	if !isMap(n) {
		v.errAt(n, path, "expected a dictionary")
		return
	}
	for _, p := range pairs(n) {
		scalarStr(v, p.Value, join(path, p.Key))
	}
}

func regexStr(re *regexp.Regexp) checker {
	return func(v *validator, n *yaml.Node, path string) {
		if !isScalar(n) || isNull(n) {
			v.errAt(n, path, "expected str")
			return
		}
		if !re.MatchString(resolve(n).Value) {
			v.errAt(n, path, "does not match regular expression %s", re.String())
		}
	}
}

// timeout checks a LAVA timeout value: one of days/hours/minutes/seconds ≥ 1, optional skip.
func timeoutValue(v *validator, n *yaml.Node, path string) {
	if !isMap(n) {
		v.errAt(n, path, "expected a dictionary")
		return
	}
	units := 0
	for _, p := range pairs(n) {
		switch p.Key {
		case "days", "hours", "minutes", "seconds":
			units++
			if units > 1 {
				v.errAt(p.KNode, join(path, p.Key), "extra keys not allowed")
				continue
			}
			intRange(1, maxUnits(p.Key), timeoutWhy)(v, p.Value, join(path, p.Key))
		case "skip":
			boolean(v, p.Value, join(path, p.Key))
		default:
			v.errAt(p.KNode, join(path, p.Key), "extra keys not allowed")
		}
	}
	if units == 0 {
		v.errAt(n, path, "required key not provided: one of days, hours, minutes, seconds")
	}
}

func timeoutMap(v *validator, n *yaml.Node, path string) {
	if !isMap(n) {
		v.errAt(n, path, "expected a dictionary")
		return
	}
	for _, p := range pairs(n) {
		timeoutValue(v, p.Value, join(path, p.Key))
	}
}
