package device

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// resolve builds a Device from its declaration, its type and a job context.
func resolve(t *DeviceType, decl *deviceDecl, jobCtx map[string]any, opts LoadOptions) (*Device, hcl.Diagnostics) {
	vals, prov, diags := resolveVars(t, decl, jobCtx)
	if diags.HasErrors() {
		return nil, diags
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(vals)},
		Functions: functions,
	}
	locals, d := evalLocals(t, ctx)
	diags = append(diags, d...)
	if d.HasErrors() {
		return nil, diags
	}
	ctx.Variables["local"] = cty.ObjectVal(locals)

	dev := &Device{
		Name:               decl.Name,
		Type:               t.Name,
		File:               decl.File,
		Worker:             decl.Worker,
		Tags:               decl.Tags,
		Vars:               prov,
		CharacterDelays:    map[string]time.Duration{},
		ActionTimeouts:     map[string]time.Duration{},
		ConnectionTimeouts: map[string]time.Duration{},
		Methods:            map[string]map[string]any{},
		MethodRanges:       map[string]hcl.Range{},
		Constants:          map[string]any{},
		Environment:        map[string]string{},
		UserCommands:       map[string]UserCommand{},
		Parameters:         map[string]any{},
		SectionParameters:  map[string]map[string]any{},
		Extra:              map[string]any{},
		ExtraRanges:        map[string]hcl.Range{},
		Description:        t.Description,
		Arch:               t.Arch,
		JobContext:         append([]string(nil), t.JobContext...),
		Range:              decl.Range,
	}
	// A console is the lab's, never a job's: connections are evaluated
	// without the job's context, so a type listing a variable a connection
	// uses in job_context still cannot let a job point the dispatcher at
	// another port, host or command (the variable's value in Vars is the
	// job's; the connection keeps the device's).
	connCtx := ctx
	if len(jobCtx) > 0 {
		connCtx, d = deviceOnlyContext(t, decl)
		diags = append(diags, d...)
		if d.HasErrors() {
			return nil, diags
		}
	}
	for _, part := range t.parts {
		diags = append(diags, evalPart(dev, part, ctx, connCtx, opts)...)
	}
	// The device file's connections and user commands override the type's, name by name.
	seenConn := map[string]hcl.Range{}
	for _, b := range decl.Connections {
		if prev, dup := seenConn[b.Labels[0]]; dup {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate connection",
				Detail:  fmt.Sprintf("Connection %q is already defined at line %d.", b.Labels[0], prev.Start.Line),
				Subject: b.DefRange.Ptr()})
			continue
		}
		seenConn[b.Labels[0]] = b.DefRange
		diags = append(diags, evalConnection(dev, b, connCtx, true)...)
	}
	seen := map[string]hcl.Range{}
	for _, b := range decl.UserCommands {
		diags = append(diags, addUserCommand(dev, b, ctx, seen)...)
	}
	diags = append(diags, checkDevice(dev)...)
	if diags.HasErrors() {
		return nil, diags
	}
	return dev, diags
}

// deviceOnlyContext is the evaluation context of the device without a job
// context: type defaults < device file.
func deviceOnlyContext(t *DeviceType, decl *deviceDecl) (*hcl.EvalContext, hcl.Diagnostics) {
	vals, _, diags := resolveVars(t, decl, nil)
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(vals)},
		Functions: functions,
	}
	locals, d := evalLocals(t, ctx)
	diags = append(diags, d...)
	ctx.Variables["local"] = cty.ObjectVal(locals)
	return ctx, diags
}

// resolveVars applies type defaults < device file < job context.
func resolveVars(t *DeviceType, decl *deviceDecl, jobCtx map[string]any) (map[string]cty.Value, map[string]Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	vals := map[string]cty.Value{}
	prov := map[string]Value{}
	set := func(name string, v cty.Value, origin Origin, file string, line, col int) {
		vals[name] = v
		prov[name] = Value{
			Value:  ctyString(v),
			Raw:    ctyToGo(v),
			Type:   friendlyType(t.Variables[name].Type, v),
			Origin: origin,
			File:   file,
			Line:   line,
			Column: col,
		}
	}
	for name, v := range t.Variables {
		if !v.Required {
			set(name, v.Default, FromTypeDefault, v.File, v.DefaultRange.Start.Line, v.DefaultRange.Start.Column)
		}
	}

	attrs := make([]*hcl.Attribute, 0, len(decl.Vars))
	for _, a := range decl.Vars {
		attrs = append(attrs, a)
	}
	sort.Slice(attrs, func(i, j int) bool { return attrs[i].Range.Start.Byte < attrs[j].Range.Start.Byte })
	for _, a := range attrs {
		v, ok := t.Variables[a.Name]
		if !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unknown variable",
				Detail:   fmt.Sprintf("Device type %q declares no variable %q.%s", t.Name, a.Name, suggest(a.Name, t.VariableNames())),
				Subject:  a.NameRange.Ptr(),
				Context:  a.Range.Ptr(),
			})
			continue
		}
		val, d := a.Expr.Value(funcContext())
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		cv, err := convert.Convert(val, v.Type)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid value for variable",
				Detail:   fmt.Sprintf("Variable %q of device type %q needs a %s: %s.", a.Name, t.Name, v.Type.FriendlyName(), err),
				Subject:  a.Expr.Range().Ptr(),
				Context:  a.Range.Ptr(),
			})
			continue
		}
		set(a.Name, cv, FromDeviceFile, decl.File, a.Expr.Range().Start.Line, a.Expr.Range().Start.Column)
	}

	exempt := connectionOnlyVars(t, decl)
	for _, name := range t.VariableNames() {
		v := t.Variables[name]
		if _, ok := vals[name]; ok || !v.Required || exempt[name] {
			continue
		}
		if _, bad := decl.Vars[name]; bad {
			continue // already reported as an invalid value
		}
		detail := fmt.Sprintf("Device %q must set variable %q of device type %q in its vars block", decl.Name, name, t.Name)
		if v.Description != "" {
			detail += ": " + strings.TrimSuffix(v.Description, ".")
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing required variable",
			Detail:   detail + ".",
			Subject:  decl.VarsRange.Ptr(),
		})
	}

	for _, k := range keys(jobCtx) {
		raw := jobCtx[k]
		v, ok := t.Variables[k]
		if !ok {
			continue
		}
		file, line, col := "job context", 0, 0
		var subject *hcl.Range
		if cv, ok := raw.(ContextValue); ok && cv.File != "" {
			file, line, col = cv.File, cv.Line, cv.Column
		}
		if line > 0 {
			subject = &hcl.Range{Filename: file, Start: hcl.Pos{Line: line, Column: col}, End: hcl.Pos{Line: line, Column: col + len(k)}}
		}
		if !t.Overridable(k) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Variable not overridable by job context",
				Detail:   fmt.Sprintf("The job context sets %q%s, but device type %q does not list it in job_context; the device's value is kept.", k, fromWhere(file, line), t.Name),
				Subject:  subject,
			})
			continue
		}
		val, err := goToCty(raw)
		if err == nil {
			val, err = convert.Convert(val, v.Type)
		}
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid value for variable",
				Detail:   fmt.Sprintf("Job context %q%s for device type %q needs a %s: %s.", k, fromWhere(file, line), t.Name, v.Type.FriendlyName(), err),
				Subject:  subject,
			})
			continue
		}
		set(k, val, FromJobContext, file, line, col)
	}
	// Required variables never set are null in the evaluation context so that
	// more errors can be found; resolve stops on errors anyway.
	for name, v := range t.Variables {
		if _, ok := vals[name]; !ok {
			vals[name] = cty.NullVal(v.Type)
		}
	}
	return vals, prov, diags
}

func friendlyType(declared cty.Type, v cty.Value) string {
	if declared == cty.DynamicPseudoType {
		if v.IsNull() {
			return "any"
		}
		return v.Type().FriendlyName()
	}
	return declared.FriendlyName()
}

// evalLocals evaluates the base's and the type's locals (the type's win),
// in dependency order.
func evalLocals(t *DeviceType, ctx *hcl.EvalContext) (map[string]cty.Value, hcl.Diagnostics) {
	all := map[string]*hcl.Attribute{}
	for _, p := range t.parts {
		for n, a := range p.locals {
			all[n] = a
		}
	}
	out := map[string]cty.Value{}
	var diags hcl.Diagnostics
	pending := keys(all)
	for len(pending) > 0 {
		var next []string
		for _, n := range pending {
			a := all[n]
			ready := true
			for _, tr := range a.Expr.Variables() {
				if tr.RootName() != "local" || len(tr) < 2 {
					continue
				}
				if ga, ok := tr[1].(hcl.TraverseAttr); ok {
					if _, done := out[ga.Name]; !done {
						if _, declared := all[ga.Name]; declared {
							ready = false
						}
					}
				}
			}
			if !ready {
				next = append(next, n)
				continue
			}
			lctx := ctx.NewChild()
			lctx.Variables = map[string]cty.Value{"local": cty.ObjectVal(out)}
			v, d := a.Expr.Value(lctx)
			diags = append(diags, d...)
			if d.HasErrors() {
				v = cty.DynamicVal
			}
			out[n] = v
		}
		if len(next) == len(pending) {
			for _, n := range next {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Cycle in local values",
					Detail:   fmt.Sprintf("Local %q depends on itself through other locals (%v).", n, next),
					Subject:  all[n].Expr.Range().Ptr(),
				})
			}
			break
		}
		pending = next
	}
	return out, diags
}

var powerSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "power_on"}, {Name: "power_off"}, {Name: "hard_reset"},
	{Name: "pre_power_command"}, {Name: "pre_os_command"}}}
var userCommandSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "do", Required: true}, {Name: "undo"}}}

// BuiltinCommands are the names a job's `command:` block may use besides the
// device's user commands (LAVA's CommandAction.builtin_commands that lavacore
// devices can set, in the `power {}` block).
var BuiltinCommands = []string{"pre_power_command", "pre_os_command", "hard_reset", "power_on", "power_off"}
var delaySchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "deploy"}, {Name: "boot"}, {Name: "test"}}}
var timeoutsSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "actions"}, {Name: "connections"}}}

// evalPart evaluates one file of the type into dev; a later part overrides an
// earlier one key by key. Connection blocks are evaluated in connCtx, which
// holds no job context (see resolve).
func evalPart(dev *Device, p *typePart, ctx, connCtx *hcl.EvalContext, opts LoadOptions) hcl.Diagnostics {
	var diags hcl.Diagnostics
	c := p.content
	if c == nil {
		return nil
	}
	eval := func(a *hcl.Attribute) (cty.Value, bool) {
		v, d := a.Expr.Value(ctx)
		diags = append(diags, d...)
		return v, !d.HasErrors()
	}
	bad := func(a *hcl.Attribute, summary, detail string) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: a.Expr.Range().Ptr(), Context: a.Range.Ptr()})
	}
	seenCmds := map[string]hcl.Range{}

	blocks, d := expandDynamic(c.Blocks, ctx)
	diags = append(diags, d...)
	for _, b := range blocks {
		switch b.Type {
		case "connection":
			diags = append(diags, evalConnection(dev, b, connCtx, false)...)
		case "power":
			bc, d := b.Body.Content(powerSchema)
			diags = append(diags, d...)
			for name, dst := range map[string]*[]string{"power_on": &dev.Power.On, "power_off": &dev.Power.Off, "hard_reset": &dev.Power.HardReset,
				"pre_power_command": &dev.Power.PrePower, "pre_os_command": &dev.Power.PreOS} {
				a, ok := bc.Attributes[name]
				if !ok {
					continue
				}
				if v, ok := eval(a); ok {
					cmds, err := stringList(v)
					if err != nil {
						bad(a, "Invalid power command", name+": "+err.Error()+".")
						continue
					}
					*dst = cmds
				}
			}
		case "user_command":
			diags = append(diags, addUserCommand(dev, b, ctx, seenCmds)...)
		case "character_delays":
			bc, d := b.Body.Content(delaySchema)
			diags = append(diags, d...)
			for name, a := range bc.Attributes {
				if v, ok := eval(a); ok {
					dur, err := parseDuration(v, time.Millisecond)
					if err != nil {
						bad(a, "Invalid character delay", name+": "+err.Error()+".")
						continue
					}
					if dur == 0 {
						delete(dev.CharacterDelays, name)
					} else {
						dev.CharacterDelays[name] = dur
					}
				}
			}
		case "timeouts":
			bc, d := b.Body.Content(timeoutsSchema)
			diags = append(diags, d...)
			for name, dst := range map[string]map[string]time.Duration{"actions": dev.ActionTimeouts, "connections": dev.ConnectionTimeouts} {
				a, ok := bc.Attributes[name]
				if !ok {
					continue
				}
				items, d := evalMapItems(a, ctx)
				diags = append(diags, d...)
				for _, it := range items {
					if it.value.IsNull() { // null removes an inherited timeout
						delete(dst, it.key)
						continue
					}
					dur, err := parseDuration(it.value, time.Second)
					if err != nil {
						diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid timeout", Detail: fmt.Sprintf("timeouts.%s[%q]: %s.", name, it.key, err), Subject: it.rng.Ptr()})
						continue
					}
					dst[it.key] = dur
				}
			}
		case "constants":
			m, d := decodeGeneric(b.Body, ctx, nil)
			diags = append(diags, d...)
			deepMerge(dev.Constants, m)
		case "parameters", "section_parameters":
			diags = append(diags, evalParameters(dev, b, ctx)...)
		case "deploy", "boot", "test", "command":
			key := b.Type + "/" + b.Labels[0]
			m, enabled, d := decodeMethod(key, b, ctx, opts)
			diags = append(diags, d...)
			if d.HasErrors() {
				continue
			}
			if !enabled {
				delete(dev.Methods, key)
				delete(dev.MethodRanges, key)
				continue
			}
			dev.Methods[key] = m
			dev.MethodRanges[key] = b.DefRange
		}
	}
	if a, ok := c.Attributes["extra"]; ok {
		diags = append(diags, evalExtra(dev, a, ctx)...)
	}
	if a, ok := c.Attributes["environment"]; ok {
		items, d := evalMapItems(a, ctx)
		diags = append(diags, d...)
		for _, it := range items {
			cv, err := convert.Convert(it.value, cty.String)
			if err != nil || cv.IsNull() {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid environment value", Detail: fmt.Sprintf("environment[%q] needs a string.", it.key), Subject: it.rng.Ptr()})
				continue
			}
			dev.Environment[it.key] = cv.AsString()
		}
	}
	return diags
}

// addUserCommand evaluates a `user_command "NAME" { do, undo }` block into
// dev.UserCommands, replacing one of the same name from an earlier file; a
// null or empty do removes it (as a null power command means none). seen holds
// the names this file already declared.
func addUserCommand(dev *Device, b *hcl.Block, ctx *hcl.EvalContext, seen map[string]hcl.Range) hcl.Diagnostics {
	name := b.Labels[0]
	if prev, dup := seen[name]; dup {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Duplicate user command",
			Detail:  fmt.Sprintf("User command %q is already defined at line %d.", name, prev.Start.Line),
			Subject: b.DefRange.Ptr()}}
	}
	seen[name] = b.DefRange
	bc, diags := b.Body.Content(userCommandSchema)
	if diags.HasErrors() {
		return diags
	}
	if !hclIdent(name) {
		return append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid user command name",
			Detail:  fmt.Sprintf("%q is not a valid command name: use letters, digits, _ and -, starting with a letter.", name),
			Subject: b.LabelRanges[0].Ptr()})
	}
	for _, bn := range BuiltinCommands {
		if name == bn {
			return append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid user command name",
				Detail:  fmt.Sprintf("%q is a builtin command: set it in the power block (power { %s = … }).", name, name),
				Subject: b.LabelRanges[0].Ptr()})
		}
	}
	uc := UserCommand{Name: name, Range: b.DefRange}
	for _, f := range []struct {
		attr string
		dst  *[]string
	}{{"do", &uc.Do}, {"undo", &uc.Undo}} {
		a, ok := bc.Attributes[f.attr]
		if !ok {
			continue
		}
		v, d := a.Expr.Value(ctx)
		diags = append(diags, d...)
		if d.HasErrors() {
			return diags
		}
		cmds, err := stringList(v)
		if err != nil {
			return append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid user command",
				Detail:  fmt.Sprintf("User command %q is invalid: %s: %s.", name, f.attr, err),
				Subject: a.Expr.Range().Ptr(), Context: a.Range.Ptr()})
		}
		*f.dst = cmds
	}
	if len(uc.Do) == 0 {
		delete(dev.UserCommands, name)
		return diags
	}
	dev.UserCommands[name] = uc
	return diags
}

type mapItem struct {
	key   string
	value cty.Value
	rng   hcl.Range
}

// evalMapItems evaluates an object-valued attribute item by item, so that an
// error points at the item.
func evalMapItems(a *hcl.Attribute, ctx *hcl.EvalContext) ([]mapItem, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	if oc, ok := a.Expr.(*hclsyntax.ObjectConsExpr); ok {
		var out []mapItem
		for _, item := range oc.Items {
			kv, d := item.KeyExpr.Value(ctx)
			diags = append(diags, d...)
			if d.HasErrors() {
				continue
			}
			kv, err := convert.Convert(kv, cty.String)
			if err != nil || kv.IsNull() {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid key", Detail: "A key needs to be a string.", Subject: item.KeyExpr.Range().Ptr()})
				continue
			}
			vv, d := item.ValueExpr.Value(ctx)
			diags = append(diags, d...)
			if d.HasErrors() {
				continue
			}
			out = append(out, mapItem{key: kv.AsString(), value: vv, rng: item.ValueExpr.Range()})
		}
		return out, diags
	}
	v, d := a.Expr.Value(ctx)
	diags = append(diags, d...)
	if d.HasErrors() || v.IsNull() {
		return nil, diags
	}
	if !v.Type().IsObjectType() && !v.Type().IsMapType() {
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value", Detail: fmt.Sprintf("%s needs a map like { name = value }.", a.Name), Subject: a.Expr.Range().Ptr()})
	}
	var out []mapItem
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		out = append(out, mapItem{key: k.AsString(), value: e, rng: a.Expr.Range()})
	}
	return out, diags
}

func deepMerge(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				deepMerge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

// checkDevice applies LAVA's device schema rules that cut across blocks.
func checkDevice(dev *Device) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if ssh, ok := dev.Methods["deploy/ssh"]; ok {
		if host, _ := ssh["host"].(string); host != "" && (len(dev.Power.On) > 0 || len(dev.Power.Off) > 0 || len(dev.Power.HardReset) > 0) {
			r := dev.MethodRanges["deploy/ssh"]
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid ssh device",
				Detail:   fmt.Sprintf("Device %q sets deploy \"ssh\" host = %q together with power commands; LAVA rejects a primary ssh device with power control.", dev.Name, host),
				Subject:  r.Ptr(),
			})
		}
	}
	return diags
}

// fromWhere names a context value's source when no range points at it.
func fromWhere(file string, line int) string {
	if line > 0 || file == "" || file == "job context" {
		return ""
	}
	return " (" + file + ")"
}
