package device

import (
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// functions available in every expression of a device type or device file.
var functions = map[string]function.Function{
	"coalesce":   stdlib.CoalesceFunc,
	"concat":     stdlib.ConcatFunc,
	"contains":   stdlib.ContainsFunc,
	"format":     stdlib.FormatFunc,
	"join":       stdlib.JoinFunc,
	"length":     stdlib.LengthFunc,
	"lower":      stdlib.LowerFunc,
	"merge":      stdlib.MergeFunc,
	"replace":    stdlib.ReplaceFunc,
	"split":      stdlib.SplitFunc,
	"trimspace":  stdlib.TrimSpaceFunc,
	"upper":      stdlib.UpperFunc,
	"compact":    stdlib.CompactFunc,
	"flatten":    stdlib.FlattenFunc,
	"jsonencode": stdlib.JSONEncodeFunc,
	"lookup":     stdlib.LookupFunc,
}

func funcContext() *hcl.EvalContext {
	return &hcl.EvalContext{Functions: functions}
}

// goToCty converts a JSON/YAML-like Go value to a cty value.
func goToCty(v any) (cty.Value, error) {
	switch x := v.(type) {
	case nil:
		return cty.NullVal(cty.DynamicPseudoType), nil
	case ContextValue:
		return goToCty(x.Value)
	case cty.Value:
		return x, nil
	case string:
		return cty.StringVal(x), nil
	case bool:
		return cty.BoolVal(x), nil
	case int:
		return cty.NumberIntVal(int64(x)), nil
	case int64:
		return cty.NumberIntVal(x), nil
	case int32:
		return cty.NumberIntVal(int64(x)), nil
	case uint64:
		return cty.NumberUIntVal(x), nil
	case float64:
		return cty.NumberFloatVal(x), nil
	case float32:
		return cty.NumberFloatVal(float64(x)), nil
	case []string:
		vals := make([]cty.Value, len(x))
		for i, s := range x {
			vals[i] = cty.StringVal(s)
		}
		if len(vals) == 0 {
			return cty.ListValEmpty(cty.String), nil
		}
		return cty.ListVal(vals), nil
	case []any:
		vals := make([]cty.Value, len(x))
		for i, e := range x {
			cv, err := goToCty(e)
			if err != nil {
				return cty.NilVal, fmt.Errorf("[%d]: %w", i, err)
			}
			vals[i] = cv
		}
		return cty.TupleVal(vals), nil
	case map[string]any:
		vals := make(map[string]cty.Value, len(x))
		for k, e := range x {
			cv, err := goToCty(e)
			if err != nil {
				return cty.NilVal, fmt.Errorf("%s: %w", k, err)
			}
			vals[k] = cv
		}
		return cty.ObjectVal(vals), nil
	case map[string]string:
		vals := make(map[string]cty.Value, len(x))
		for k, e := range x {
			vals[k] = cty.StringVal(e)
		}
		return cty.ObjectVal(vals), nil
	}
	return cty.NilVal, fmt.Errorf("unsupported value of type %T", v)
}

// ctyToGo converts a cty value to JSON-compatible Go values (string, float64,
// bool, []any, map[string]any, nil). Null attributes of objects and maps are
// left out.
func ctyToGo(v cty.Value) any {
	v, _ = v.Unmark()
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return v.AsString()
	case ty == cty.Number:
		f, _ := v.AsBigFloat().Float64()
		return f
	case ty == cty.Bool:
		return v.True()
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		out := make([]any, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, ctyToGo(e))
		}
		return out
	case ty.IsMapType() || ty.IsObjectType():
		out := make(map[string]any, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			if e.IsNull() {
				continue
			}
			out[k.AsString()] = ctyToGo(e)
		}
		return out
	}
	return nil
}

// ctyString is the string form of a variable's value (Value.Value).
func ctyString(v cty.Value) string {
	v, _ = v.Unmark()
	if v.IsNull() || !v.IsKnown() {
		return ""
	}
	switch v.Type() {
	case cty.String:
		return v.AsString()
	case cty.Number:
		return numString(v.AsBigFloat())
	case cty.Bool:
		return strconv.FormatBool(v.True())
	}
	b, err := json.Marshal(ctyToGo(v))
	if err != nil {
		return fmt.Sprint(ctyToGo(v))
	}
	return string(b)
}

func numString(f *big.Float) string {
	if f.IsInt() {
		i, _ := f.Int(nil)
		return i.String()
	}
	return f.Text('g', -1)
}

// stringList decodes a power/command value: a string, a list of strings, or null.
func stringList(v cty.Value) ([]string, error) {
	v, _ = v.Unmark()
	if v.IsNull() {
		return nil, nil
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		if v.AsString() == "" {
			return nil, nil
		}
		return []string{v.AsString()}, nil
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		var out []string
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if e.IsNull() || e.Type() != cty.String {
				return nil, fmt.Errorf("a string or a list of strings is required")
			}
			out = append(out, e.AsString())
		}
		return out, nil
	}
	return nil, fmt.Errorf("a string or a list of strings is required")
}

// parseDuration reads a Go duration string ("10ms", "3m"); a bare number (or
// numeric string) counts in unit (LAVA: character delays in ms, timeouts in s).
// maxDuration bounds a duration of a device file (timeouts, character
// delays): a year, far beyond any real one and far inside time.Duration.
const maxDuration = 365 * 24 * time.Hour

func parseDuration(v cty.Value, unit time.Duration) (time.Duration, error) {
	v, _ = v.Unmark()
	if v.IsNull() {
		return 0, nil
	}
	var f float64
	switch v.Type() {
	case cty.Number:
		f, _ = v.AsBigFloat().Float64()
	case cty.String:
		s := strings.TrimSpace(v.AsString())
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			d, err := time.ParseDuration(s)
			if err != nil {
				return 0, fmt.Errorf("%q is not a duration like \"10ms\", \"20s\" or \"3m\"", s)
			}
			n = float64(d) / float64(unit)
		}
		f = n
	default:
		return 0, fmt.Errorf("a duration string like \"20s\" or a number is required")
	}
	if f < 0 {
		return 0, fmt.Errorf("a duration must not be negative")
	}
	// A float beyond time.Duration's range converts to anything: refuse it
	// (NaN fails the comparison too).
	if !(f*float64(unit) <= float64(maxDuration)) {
		return 0, fmt.Errorf("a duration must be at most %s", maxDuration)
	}
	return time.Duration(f * float64(unit)), nil
}

// suggest returns ` Did you mean "x"?` for the closest candidate, or "".
func suggest(name string, candidates []string) string {
	best, bestDist := "", 4
	for _, c := range candidates {
		d := levenshtein.Distance(name, c, nil)
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

// Constant looks up a constant by path ("kernel-start-message", or
// "grub-efi", "interrupt-prompt"), trying each name as given and with "_"
// and "-" swapped.
func (d *Device) Constant(path ...string) (any, bool) {
	var cur any = d.Constants
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		var found bool
		for _, k := range []string{p, strings.ReplaceAll(p, "_", "-"), strings.ReplaceAll(p, "-", "_")} {
			if v, ok := m[k]; ok {
				cur, found = v, true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	return cur, true
}

// VarNames returns the device's variable names, sorted.
func (d *Device) VarNames() []string {
	out := make([]string, 0, len(d.Vars))
	for k := range d.Vars {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// MethodKeys returns the keys of d.Methods, sorted.
func (d *Device) MethodKeys() []string { return keys(d.Methods) }
