package device

import (
	"fmt"
	"math/big"
	"net"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/lavacore/lavacore/sdk"
)

// SerialPort is a connection's `serial {}` block: a serial device the
// dispatcher opens itself (go.bug.st/serial). Zero values are the
// defaults: 115200 baud, 8 data bits, no parity, one stop bit, no flow
// control.
type SerialPort struct {
	Port        string // device path (/dev/ttyUSB0, /dev/serial/by-id/…)
	Baud        int
	DataBits    int    // 5, 6, 7 or 8
	Parity      string // none, odd, even, mark, space
	StopBits    int    // 1 or 2
	FlowControl string // none, rtscts, xonxoff
}

// Serial line setting words, as device files spell them.
var (
	Parities     = []string{"none", "odd", "even", "mark", "space"}
	FlowControls = []string{"none", "rtscts", "xonxoff"}
)

// Kind says which form the connection takes: "command", "tcp", "unix",
// "serial", or "" (none: every form was null).
func (c Connection) Kind() string {
	switch {
	case c.Command != "":
		return "command"
	case c.TCP != "":
		return "tcp"
	case c.Unix != "":
		return "unix"
	case c.Serial != nil:
		return "serial"
	}
	return ""
}

// Spec is the connection as the console host opens it.
func (c Connection) Spec() sdk.ConsoleSpec {
	switch c.Kind() {
	case "command":
		return sdk.ConsoleSpec{Command: c.Command}
	case "tcp":
		return sdk.ConsoleSpec{TCP: c.TCP}
	case "unix":
		return sdk.ConsoleSpec{TCP: "unix:" + c.Unix}
	case "serial":
		s := c.Serial
		return sdk.ConsoleSpec{Serial: s.Port, Baud: s.Baud, DataBits: s.DataBits, Parity: s.Parity, StopBits: s.StopBits, FlowControl: s.FlowControl}
	}
	return sdk.ConsoleSpec{}
}

// Describe is the connection's target for people: the command itself
// (LAVA's connection_command), "tcp HOST:PORT", "unix PATH" or
// "serial PORT 115200 8N1 [rtscts|xonxoff]"; "" for none.
func (c Connection) Describe() string {
	switch c.Kind() {
	case "command":
		return c.Command
	case "tcp":
		return "tcp " + c.TCP
	case "unix":
		return "unix " + c.Unix
	case "serial":
		s := *c.Serial
		baud, bits, parity, stop := s.Baud, s.DataBits, s.Parity, s.StopBits
		if baud == 0 {
			baud = 115200
		}
		if bits == 0 {
			bits = 8
		}
		if parity == "" {
			parity = "none"
		}
		if stop == 0 {
			stop = 1
		}
		out := fmt.Sprintf("serial %s %d %d%s%d", s.Port, baud, bits, strings.ToUpper(parity[:1]), stop)
		if s.FlowControl != "" && s.FlowControl != "none" {
			out += " " + s.FlowControl
		}
		return out
	}
	return ""
}

var connectionSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "primary"}, {Name: "command"}, {Name: "tcp"}, {Name: "unix"}, {Name: "tags"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "serial"}},
}

var serialSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "port", Required: true}, {Name: "baud"},
	{Name: "data_bits"}, {Name: "parity"}, {Name: "stop_bits"}, {Name: "flow_control"}}}

// connForms is the error detail's list of the forms a connection takes.
const connForms = "a connection is exactly one of command (LAVA's connection_command), tcp = \"HOST:PORT\", unix = \"/PATH\" or serial { port = \"/dev/…\" }"

// evalConnection decodes a `connection "NAME" {}` block. Exactly one of
// command, tcp, unix and serial may be set (null counts as unset, so a type
// may offer several forms through variables and a device set one). A block
// of the device file (fromDevice) keeps the type's primary flag unless it
// sets its own; everything else it replaces.
func evalConnection(dev *Device, b *hcl.Block, ctx *hcl.EvalContext, fromDevice bool) hcl.Diagnostics {
	bc, diags := b.Body.Content(connectionSchema)
	if diags.HasErrors() {
		return diags
	}
	name := b.Labels[0]
	bad := func(r hcl.Range, detail string) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid connection",
			Detail: fmt.Sprintf("connection %q: %s", name, detail), Subject: r.Ptr()})
	}
	str := func(a *hcl.Attribute) (string, bool) {
		v, d := a.Expr.Value(ctx)
		diags = append(diags, d...)
		if d.HasErrors() {
			return "", false
		}
		cv, err := convert.Convert(v, cty.String)
		if err != nil || !cv.IsKnown() {
			bad(a.Expr.Range(), a.Name+" needs a string.")
			return "", false
		}
		if cv.IsNull() {
			return "", false
		}
		return cv.AsString(), true
	}
	conn := Connection{Name: name}
	primarySet := false
	if a, ok := bc.Attributes["primary"]; ok {
		v, d := a.Expr.Value(ctx)
		diags = append(diags, d...)
		if !d.HasErrors() {
			if cv, err := convert.Convert(v, cty.Bool); err != nil || cv.IsNull() || !cv.IsKnown() {
				bad(a.Expr.Range(), "primary needs a bool.")
			} else {
				conn.Primary, primarySet = cv.True(), true
			}
		}
	}
	if a, ok := bc.Attributes["tags"]; ok {
		v, d := a.Expr.Value(ctx)
		diags = append(diags, d...)
		if !d.HasErrors() {
			tags, err := stringList(v)
			if err != nil {
				bad(a.Expr.Range(), "tags: "+err.Error()+".")
			}
			conn.Tags = tags
		}
	}

	// The forms, in file order, to name the first one in a conflict.
	type form struct {
		what string
		r    hcl.Range
	}
	var forms []form
	if a, ok := bc.Attributes["command"]; ok {
		if s, ok := str(a); ok && s != "" {
			conn.Command = s
			forms = append(forms, form{"command", a.Range})
		}
	}
	if a, ok := bc.Attributes["tcp"]; ok {
		if s, ok := str(a); ok {
			if err := checkTCP(s); err != nil {
				bad(a.Expr.Range(), "tcp "+err.Error())
			}
			conn.TCP = s
			forms = append(forms, form{"tcp", a.Range})
		}
	}
	if a, ok := bc.Attributes["unix"]; ok {
		if s, ok := str(a); ok {
			if !path.IsAbs(s) {
				bad(a.Expr.Range(), fmt.Sprintf("unix needs the absolute path of a socket, not %q.", s))
			}
			conn.Unix = s
			forms = append(forms, form{"unix", a.Range})
		}
	}
	for i, sb := range bc.Blocks {
		if i > 0 {
			bad(sb.DefRange, fmt.Sprintf("a second serial block (the first is at line %d).", bc.Blocks[0].DefRange.Start.Line))
			continue
		}
		sp, d := evalSerial(name, sb, ctx)
		diags = append(diags, d...)
		if sp != nil {
			conn.Serial = sp
			forms = append(forms, form{"serial {}", sb.DefRange})
		}
	}
	if len(forms) > 1 {
		sort.Slice(forms, func(i, j int) bool { return forms[i].r.Start.Byte < forms[j].r.Start.Byte })
		first := forms[0]
		for _, f := range forms[1:] {
			bad(f.r, fmt.Sprintf("sets both %s (line %d) and %s; %s.", first.what, first.r.Start.Line, f.what, connForms))
		}
	}

	for i := range dev.Connections {
		if dev.Connections[i].Name == conn.Name {
			if fromDevice && !primarySet {
				conn.Primary = dev.Connections[i].Primary
			}
			dev.Connections[i] = conn
			return diags
		}
	}
	dev.Connections = append(dev.Connections, conn)
	return diags
}

// evalSerial decodes a `serial {}` block; nil when its port is null.
func evalSerial(conn string, b *hcl.Block, ctx *hcl.EvalContext) (*SerialPort, hcl.Diagnostics) {
	bc, diags := b.Body.Content(serialSchema)
	if diags.HasErrors() {
		return nil, diags
	}
	bad := func(a *hcl.Attribute, detail string) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid connection",
			Detail: fmt.Sprintf("connection %q: serial.%s %s", conn, a.Name, detail), Subject: a.Expr.Range().Ptr(), Context: a.Range.Ptr()})
	}
	value := func(a *hcl.Attribute, ty cty.Type) (cty.Value, bool) {
		v, d := a.Expr.Value(ctx)
		diags = append(diags, d...)
		if d.HasErrors() {
			return cty.NilVal, false
		}
		cv, err := convert.Convert(v, ty)
		if err != nil || !cv.IsKnown() {
			bad(a, "needs a "+ty.FriendlyName()+".")
			return cty.NilVal, false
		}
		return cv, !cv.IsNull()
	}
	sp := &SerialPort{}
	a := bc.Attributes["port"]
	v, ok := value(a, cty.String)
	if !ok {
		return nil, diags
	}
	sp.Port = v.AsString()
	if !path.IsAbs(sp.Port) {
		bad(a, fmt.Sprintf("needs the absolute path of a serial device (/dev/ttyUSB0, /dev/serial/by-id/…), not %q.", sp.Port))
	}
	ints := []struct {
		name  string
		dst   *int
		check func(int) bool
		want  string
	}{
		{"baud", &sp.Baud, func(n int) bool { return n > 0 }, "is bits per second: a positive whole number"},
		{"data_bits", &sp.DataBits, func(n int) bool { return n >= 5 && n <= 8 }, "must be 5, 6, 7 or 8"},
		{"stop_bits", &sp.StopBits, func(n int) bool { return n == 1 || n == 2 }, "must be 1 or 2 (1.5 is not supported by Linux's termios)"},
	}
	for _, f := range ints {
		a, ok := bc.Attributes[f.name]
		if !ok {
			continue
		}
		v, ok := value(a, cty.Number)
		if !ok {
			continue
		}
		bf := v.AsBigFloat()
		n, acc := bf.Int64()
		if acc != big.Exact || n > 1<<31 || !f.check(int(n)) {
			bad(a, f.want+", not "+bf.Text('g', 10)+".")
			continue
		}
		*f.dst = int(n)
	}
	words := []struct {
		name  string
		dst   *string
		words []string
	}{{"parity", &sp.Parity, Parities}, {"flow_control", &sp.FlowControl, FlowControls}}
	for _, f := range words {
		a, ok := bc.Attributes[f.name]
		if !ok {
			continue
		}
		v, ok := value(a, cty.String)
		if !ok {
			continue
		}
		s := v.AsString()
		known := false
		for _, w := range f.words {
			known = known || s == w
		}
		if !known {
			bad(a, fmt.Sprintf("must be one of %s, not %q.%s", quoteList(f.words), s, suggest(s, f.words)))
			continue
		}
		*f.dst = s
	}
	return sp, diags
}

// checkTCP checks a "HOST:PORT" console address.
func checkTCP(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("needs \"HOST:PORT\" (e.g. \"ser2net-host:7001\"), not %q: %v.", s, err)
	}
	if host == "" {
		return fmt.Errorf("needs a host before the port, not %q.", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("needs a port number from 1 to 65535, not %q.", port)
	}
	return nil
}

func quoteList(ws []string) string {
	q := make([]string, len(ws))
	for i, w := range ws {
		q[i] = strconv.Quote(w)
	}
	return strings.Join(q, ", ")
}

// connectionOnlyVars are the required variables of t that decl need not
// set: the device file replaces every connection block of the type that
// uses them, and nothing else in the type uses them. So a device of a type
// whose console is `command = var.connection_command` may name its serial
// port in its own `connection "serial" { serial { … } }` block instead.
func connectionOnlyVars(t *DeviceType, decl *deviceDecl) map[string]bool {
	if len(decl.Connections) == 0 {
		return nil
	}
	over := map[string]bool{}
	for _, b := range decl.Connections {
		over[b.Labels[0]] = true
	}
	total, inOver := map[string]int{}, map[string]int{}
	for _, p := range t.parts {
		body, ok := p.file.Body.(*hclsyntax.Body)
		if !ok {
			return nil // not native syntax: no exemption
		}
		countVarRefs(body, total)
		for _, b := range body.Blocks {
			if b.Type == "connection" && len(b.Labels) == 1 && over[b.Labels[0]] {
				countVarRefs(b.Body, inOver)
			}
		}
	}
	out := map[string]bool{}
	for n, c := range inOver {
		if c == total[n] {
			out[n] = true
		}
	}
	return out
}

// countVarRefs counts the references to each var.NAME in body.
func countVarRefs(body *hclsyntax.Body, into map[string]int) {
	for _, a := range body.Attributes {
		for _, tr := range a.Expr.Variables() {
			if tr.RootName() != "var" || len(tr) < 2 {
				continue
			}
			if ga, ok := tr[1].(hcl.TraverseAttr); ok {
				into[ga.Name]++
			}
		}
	}
	for _, b := range body.Blocks {
		countVarRefs(b.Body, into)
	}
}
