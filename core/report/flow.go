package report

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Field is one key of an ordered mapping.
type Field struct {
	Key   string
	Value any
}

// Fields is a mapping that keeps its keys in order, as LAVA's Python dicts
// keep their insertion order in the records it dumps.
type Fields []Field

// Get returns the value of key (nil, false when absent).
func (fs Fields) Get(key string) (any, bool) {
	for _, f := range fs {
		if f.Key == key {
			return f.Value, true
		}
	}
	return nil, false
}

// MarshalJSON renders the mapping with its keys in order.
func (fs Fields) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(f.Key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(f.Value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// ordered returns m's keys in the order of first (keys listed there first,
// in that order), then the others sorted.
func ordered(m map[string]any, first []string) Fields {
	out := make(Fields, 0, len(m))
	seen := map[string]bool{}
	for _, k := range first {
		if v, ok := m[k]; ok && !seen[k] {
			out = append(out, Field{k, v})
			seen[k] = true
		}
	}
	rest := make([]string, 0, len(m))
	for k := range m {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		out = append(out, Field{k, m[k]})
	}
	return out
}

// isoformat is Python's datetime.isoformat() of an aware UTC time, which LAVA
// uses for "dt": microseconds only when there are some.
func isoformat(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05+00:00")
	}
	return t.Format(TimeFormat)
}

// pyFloat is Python's repr() of a float as PyYAML's representer writes it:
// the shortest digits that read back the same, positional notation for
// exponents from -4 to 15 with at least one decimal, otherwise d.ddde±XX
// (".0" added to a mantissa without a point).
func pyFloat(x float64) string {
	switch {
	case math.IsNaN(x):
		return ".nan"
	case math.IsInf(x, 1):
		return ".inf"
	case math.IsInf(x, -1):
		return "-.inf"
	}
	e := strconv.FormatFloat(x, 'e', -1, 64) // -d.ddde±XX
	mant, exps, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(exps)
	if exp >= -4 && exp < 16 {
		s := strconv.FormatFloat(x, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	sign := "+"
	if exp < 0 {
		sign, exp = "-", -exp
	}
	return fmt.Sprintf("%se%s%02d", mant, sign, exp)
}

// writeFlow renders v as PyYAML's dump with LibYAML's emitter (CSafeDumper,
// what LAVA uses wherever LibYAML is installed, as in Debian) and
// default_flow_style=True, default_style='"' does: every scalar
// double-quoted, and every scalar that is not a string with the
// non-specific tag "!" (! "5", ! "42.0", ! "null", ! "true"), which
// PyYAML's loader resolves back to the number, null or boolean.
func writeFlow(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString(`! "null"`)
	case string:
		b.WriteString(quote(x))
	case bool:
		fmt.Fprintf(b, `! "%t"`, x)
	case int:
		fmt.Fprintf(b, `! "%d"`, x)
	case int32:
		fmt.Fprintf(b, `! "%d"`, x)
	case int64:
		fmt.Fprintf(b, `! "%d"`, x)
	case uint64:
		fmt.Fprintf(b, `! "%d"`, x)
	case float32:
		b.WriteString(`! "` + pyFloat(float64(x)) + `"`)
	case float64:
		b.WriteString(`! "` + pyFloat(x) + `"`)
	case Fields:
		b.WriteString("{")
		for i, f := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quote(f.Key))
			b.WriteString(": ")
			writeFlow(b, f.Value)
		}
		b.WriteString("}")
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, v := range x {
			m[k] = v
		}
		writeFlow(b, ordered(m, extraOrder))
	case map[string]any:
		writeFlow(b, ordered(x, extraOrder))
	case []any:
		b.WriteString("[")
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeFlow(b, e)
		}
		b.WriteString("]")
	case []string:
		b.WriteString("[")
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quote(e))
		}
		b.WriteString("]")
	default:
		b.WriteString(quote(fmt.Sprint(x)))
	}
}

// yamlEscapes are the short escapes of YAML's double-quoted style.
var yamlEscapes = map[rune]string{
	0: `\0`, 0x07: `\a`, 0x08: `\b`, 0x09: `\t`, 0x0a: `\n`, 0x0b: `\v`, 0x0c: `\f`,
	0x0d: `\r`, 0x1b: `\e`, '"': `\"`, '\\': `\\`, 0x85: `\N`, 0xa0: `\_`,
	0x2028: `\L`, 0x2029: `\P`,
}

// quote renders s as PyYAML's emitter does a double-quoted scalar without
// allow_unicode: printable ASCII as it is, the rest escaped (\x, \u or \U,
// upper-case hex).
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		if e, ok := yamlEscapes[r]; ok {
			b.WriteString(e)
			continue
		}
		switch {
		case r >= 0x20 && r <= 0x7e:
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(&b, `\x%02X`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			fmt.Fprintf(&b, `\U%08X`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
