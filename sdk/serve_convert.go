package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lavacore/lavacore/sdk/internal/pb"
)

// Converters between the sdk's types and the generated wire types. Text that
// may come from a device travels as bytes (proto3 strings must be UTF-8);
// other strings are made valid UTF-8 before they are sent.

func utf8(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// ---- errors

// errStatus turns an error returned by a plugin's method (or by the host's
// Host) into a gRPC status whose details carry what a program may need of it
// as fields (errorToPB); the status message is for people only.
func errStatus(err error) error {
	if err == nil {
		return nil
	}
	return errStatusPB(err, errorToPB(err))
}

func errStatusPB(err error, e *pb.Error) error {
	code := codes.Unknown
	switch e.GetKind() {
	case pb.Error_DEADLINE:
		code = codes.DeadlineExceeded
	case pb.Error_CANCELED:
		code = codes.Canceled
	}
	msg := utf8(err.Error())
	if len(msg) > 1024 {
		msg = msg[:1024] + "…"
	}
	st, derr := status.New(code, msg).WithDetails(e)
	if derr != nil {
		return status.New(code, msg).Err()
	}
	return st.Err()
}

// errorToPB is what crosses the wire of err: its whole message, its LAVA
// error type, the context error it wraps, and the typed errors of its chain
// (a console timeout, a protocol's name).
func errorToPB(err error) *pb.Error {
	e := &pb.Error{Message: []byte(err.Error())}
	var te *Error
	if errors.As(err, &te) {
		e.Type = string(te.Type)
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		e.Kind = pb.Error_DEADLINE
	case errors.Is(err, context.Canceled):
		e.Kind = pb.Error_CANCELED
	}
	var to *TimeoutError
	if errors.As(err, &to) {
		e.Timeout = &pb.ConsoleTimeout{WaitNs: int64(to.Wait), Action: utf8(to.Action), Step: []byte(to.Step)}
		for _, p := range to.Patterns {
			e.Timeout.Patterns = append(e.Timeout.Patterns, []byte(p))
		}
		for _, l := range to.LastLines {
			e.Timeout.LastLines = append(e.Timeout.LastLines, []byte(l))
		}
	}
	var pe *ProtocolError
	if errors.As(err, &pe) {
		e.Protocol = utf8(pe.Protocol)
	}
	return e
}

// wireErr is an untyped error that crossed the wire wrapping a typed one
// (a context error, a console timeout, a protocol's error).
type wireErr struct {
	msg string
	err error
}

func (e *wireErr) Error() string { return e.msg }
func (e *wireErr) Unwrap() error { return e.err }

// statusErr turns a gRPC error back into the error the other side returned.
// transport is true when the error did not come from the other side's code
// (the connection failed, the process died, the caller's context ended).
func statusErr(err error) (out error, transport bool) {
	if err == nil {
		return nil, false
	}
	if st, ok := status.FromError(err); ok {
		for _, d := range st.Details() {
			if e, ok := d.(*pb.Error); ok {
				return errorFromPB(e), false
			}
		}
	}
	return err, true
}

// errorFromPB rebuilds the error errorToPB sent: its message is the whole
// text, and its chain holds, outermost first, the *Error of its type, the
// *ProtocolError, the *TimeoutError and the context error it wrapped, so
// that errors.As and errors.Is answer as they did on the other side.
func errorFromPB(e *pb.Error) error {
	msg := string(e.GetMessage())
	var inner error
	switch e.GetKind() {
	case pb.Error_DEADLINE:
		inner = context.DeadlineExceeded
	case pb.Error_CANCELED:
		inner = context.Canceled
	}
	if t := e.GetTimeout(); t != nil {
		to := &TimeoutError{Wait: time.Duration(t.GetWaitNs()), Action: t.GetAction(), Step: string(t.GetStep()), Err: inner}
		for _, p := range t.GetPatterns() {
			to.Patterns = append(to.Patterns, string(p))
		}
		for _, l := range t.GetLastLines() {
			to.LastLines = append(to.LastLines, string(l))
		}
		inner = to
	}
	if p := e.GetProtocol(); p != "" {
		inner = &ProtocolError{Protocol: p, Err: inner}
	}
	if e.GetType() != "" {
		return &Error{Type: ErrorType(e.GetType()), Msg: msg, Err: inner}
	}
	if inner == nil {
		return errors.New(msg)
	}
	if msg == inner.Error() {
		return inner
	}
	return &wireErr{msg: msg, err: inner}
}

// ---- manifest and specs

func manifestToPB(m Manifest) *pb.Manifest {
	out := &pb.Manifest{Name: m.Name, Version: m.Version, ApiVersion: uint32(m.APIVersion), Protocols: m.Protocols}
	for _, mi := range m.Methods {
		out.Methods = append(out.Methods, methodInfoToPB(mi))
	}
	return out
}

func manifestFromPB(p *pb.Manifest) Manifest {
	m := Manifest{Name: p.GetName(), Version: p.GetVersion(), APIVersion: int(p.GetApiVersion()), Protocols: p.GetProtocols()}
	for _, mi := range p.GetMethods() {
		m.Methods = append(m.Methods, methodInfoFromPB(mi))
	}
	return m
}

func methodInfoToPB(m MethodInfo) *pb.MethodInfo {
	return &pb.MethodInfo{Section: string(m.Section), Name: m.Name, Description: utf8(m.Description), DeviceSpec: blockSpecToPB(m.DeviceSpec)}
}

func methodInfoFromPB(p *pb.MethodInfo) MethodInfo {
	return MethodInfo{Section: Section(p.GetSection()), Name: p.GetName(), Description: p.GetDescription(), DeviceSpec: blockSpecFromPB(p.GetDeviceSpec())}
}

func blockSpecToPB(b *BlockSpec) *pb.BlockSpec {
	if b == nil {
		return nil
	}
	out := &pb.BlockSpec{}
	for _, a := range b.Attrs {
		pa := &pb.AttrSpec{Name: a.Name, Type: a.Type, Required: a.Required, Doc: utf8(a.Doc)}
		if a.Default != nil {
			pa.DefaultJson, _ = json.Marshal(a.Default)
		}
		out.Attrs = append(out.Attrs, pa)
	}
	for _, n := range b.Blocks {
		body := n.Body
		out.Blocks = append(out.Blocks, &pb.NestedBlockSpec{TypeName: n.TypeName, Labels: n.Labels, Body: blockSpecToPB(&body)})
	}
	return out
}

func blockSpecFromPB(p *pb.BlockSpec) *BlockSpec {
	if p == nil {
		return nil
	}
	out := &BlockSpec{}
	for _, a := range p.GetAttrs() {
		as := AttrSpec{Name: a.GetName(), Type: a.GetType(), Required: a.GetRequired(), Doc: a.GetDoc()}
		if len(a.GetDefaultJson()) > 0 {
			_ = json.Unmarshal(a.GetDefaultJson(), &as.Default)
		}
		out.Attrs = append(out.Attrs, as)
	}
	for _, n := range p.GetBlocks() {
		nb := NestedBlockSpec{TypeName: n.GetTypeName(), Labels: n.GetLabels()}
		if b := blockSpecFromPB(n.GetBody()); b != nil {
			nb.Body = *b
		}
		out.Blocks = append(out.Blocks, nb)
	}
	return out
}

func actionSpecToPB(a ActionSpec) *pb.ActionSpec {
	out := &pb.ActionSpec{Name: a.Name, Description: utf8(a.Description), Summary: utf8(a.Summary), Class: a.Class,
		Retry: a.Retry, Url: utf8(a.URL), TimeoutNs: int64(a.Timeout), TimeoutError: string(a.TimeoutError)}
	for _, c := range a.Children {
		out.Children = append(out.Children, actionSpecToPB(c))
	}
	return out
}

func actionSpecFromPB(p *pb.ActionSpec) ActionSpec {
	a := ActionSpec{Name: p.GetName(), Description: p.GetDescription(), Summary: p.GetSummary(), Class: p.GetClass(),
		Retry: p.GetRetry(), URL: p.GetUrl(), Timeout: time.Duration(p.GetTimeoutNs()), TimeoutError: ErrorType(p.GetTimeoutError())}
	for _, c := range p.GetChildren() {
		a.Children = append(a.Children, actionSpecFromPB(c))
	}
	return a
}

func diagnosticsToPB(d Diagnostics) []*pb.Diagnostic {
	out := make([]*pb.Diagnostic, 0, len(d))
	for _, x := range d {
		out = append(out, &pb.Diagnostic{Severity: int32(x.Severity), Path: utf8(x.Path), Summary: []byte(x.Summary), Detail: []byte(x.Detail)})
	}
	return out
}

func diagnosticsFromPB(p []*pb.Diagnostic) Diagnostics {
	if len(p) == 0 {
		return nil
	}
	out := make(Diagnostics, 0, len(p))
	for _, x := range p {
		out = append(out, Diagnostic{Severity: Severity(x.GetSeverity()), Path: x.GetPath(), Summary: string(x.GetSummary()), Detail: string(x.GetDetail())})
	}
	return out
}

// ---- host services

func consoleSpecToPB(s ConsoleSpec) *pb.ConsoleSpec {
	out := &pb.ConsoleSpec{Command: utf8(s.Command), Tcp: s.TCP, Serial: s.Serial, Baud: int32(s.Baud),
		DataBits: int32(s.DataBits), Parity: s.Parity, StopBits: int32(s.StopBits), FlowControl: s.FlowControl}
	if s.SSH != nil {
		out.Ssh = &pb.SSHSpec{Host: s.SSH.Host, Port: int32(s.SSH.Port), User: s.SSH.User, IdentityFile: s.SSH.IdentityFile, Options: s.SSH.Options}
	}
	return out
}

func consoleSpecFromPB(p *pb.ConsoleSpec) ConsoleSpec {
	s := ConsoleSpec{Command: p.GetCommand(), TCP: p.GetTcp(), Serial: p.GetSerial(), Baud: int(p.GetBaud()),
		DataBits: int(p.GetDataBits()), Parity: p.GetParity(), StopBits: int(p.GetStopBits()), FlowControl: p.GetFlowControl()}
	if x := p.GetSsh(); x != nil {
		s.SSH = &SSHSpec{Host: x.GetHost(), Port: int(x.GetPort()), User: x.GetUser(), IdentityFile: x.GetIdentityFile(), Options: x.GetOptions()}
	}
	return s
}

func matchToPB(m Match) *pb.ExpectResponse {
	out := &pb.ExpectResponse{Index: int32(m.Index), Before: []byte(m.Before), Text: []byte(m.Text)}
	for _, g := range m.Groups {
		out.Groups = append(out.Groups, []byte(g))
	}
	return out
}

func matchFromPB(p *pb.ExpectResponse) Match {
	m := Match{Index: int(p.GetIndex()), Before: string(p.GetBefore()), Text: string(p.GetText())}
	for _, g := range p.GetGroups() {
		m.Groups = append(m.Groups, string(g))
	}
	return m
}

func resultToPB(r Result) *pb.Result {
	out := &pb.Result{Definition: utf8(r.Definition), Case: utf8(r.Case), Result: utf8(r.Result), Level: utf8(r.Level),
		Duration: utf8(r.Duration), Measurement: utf8(r.Measurement), Units: utf8(r.Units), Set: utf8(r.Set)}
	if r.Extra != nil {
		out.ExtraJson, _ = json.Marshal(r.Extra)
	}
	return out
}

func resultFromPB(p *pb.Result) Result {
	r := Result{Definition: p.GetDefinition(), Case: p.GetCase(), Result: p.GetResult(), Level: p.GetLevel(),
		Duration: p.GetDuration(), Measurement: p.GetMeasurement(), Units: p.GetUnits(), Set: p.GetSet()}
	if len(p.GetExtraJson()) > 0 {
		_ = json.Unmarshal(p.GetExtraJson(), &r.Extra)
	}
	return r
}
