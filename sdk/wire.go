package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
)

// The plugin protocol: go-plugin over gRPC, one unary method per direction
// carrying a JSON envelope. The host calls the plugin's "lavacore.Plugin/Call";
// the plugin calls back the host's brokered "lavacore.Host/Call". Plugin
// authors never see any of it.

type jsonCodec struct{}

func (jsonCodec) Marshal(v any) ([]byte, error)   { return json.Marshal(v) }
func (jsonCodec) Unmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
func (jsonCodec) Name() string                    { return "json" }

func init() { encoding.RegisterCodec(jsonCodec{}) }

// envelope is one request or reply.
type envelope struct {
	Op     string          `json:"op,omitempty"`
	Args   json.RawMessage `json:"args,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *wireError      `json:"error,omitempty"`
}

type wireError struct {
	Type ErrorType `json:"type"`
	Msg  string    `json:"msg"`
}

func toWire(err error) *wireError {
	if err == nil {
		return nil
	}
	return &wireError{Type: TypeOf(err), Msg: err.Error()}
}

func fromWire(e *wireError) error {
	if e == nil {
		return nil
	}
	return &Error{Type: e.Type, Msg: e.Msg}
}

// handler answers one operation.
type handler func(ctx context.Context, op string, args json.RawMessage) (any, error)

// serviceDesc is a one-method gRPC service named name whose method calls h.
func serviceDesc(name string) *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
		ServiceName: name,
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: "Call",
			Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
				var in envelope
				if err := dec(&in); err != nil {
					return nil, err
				}
				res, err := srv.(handler)(ctx, in.Op, in.Args)
				out := &envelope{Error: toWire(err)}
				if err == nil && res != nil {
					b, merr := json.Marshal(res)
					if merr != nil {
						out.Error = toWire(fmt.Errorf("%s: %w", in.Op, merr))
					}
					out.Result = b
				}
				return out, nil
			},
		}},
		Metadata: "lavacore",
	}
}

// invoke calls op on the service over cc and decodes the result into out.
func invoke(ctx context.Context, cc *grpc.ClientConn, service, op string, args, out any) error {
	b, err := json.Marshal(args)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	var reply envelope
	if err := cc.Invoke(ctx, "/"+service+"/Call", &envelope{Op: op, Args: b}, &reply, grpc.CallContentSubtype("json")); err != nil {
		return err
	}
	if reply.Error != nil {
		return fromWire(reply.Error)
	}
	if out != nil && len(reply.Result) > 0 {
		if err := json.Unmarshal(reply.Result, out); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	return nil
}

// IsTransport reports whether err is a failure of the plugin connection (a
// crashed or killed plugin) rather than an error the plugin returned.
func IsTransport(err error) bool {
	var e *Error
	return err != nil && !errors.As(err, &e)
}
