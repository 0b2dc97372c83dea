package sdk

import (
	"context"
	"io"
)

// Streamer is implemented by a Console that can hand out its raw output, for
// a method that reads a byte stream itself (a transfer log, a crash dump).
// The console a plugin's method receives implements it when the host's
// console does: type-assert it.
//
//	if s, ok := con.(sdk.Streamer); ok { r, err := s.Stream(ctx); … }
//
// The stream ends when ctx ends or the reader is closed. Bytes read from it
// are consumed: a later Expect does not see them.
type Streamer interface {
	Stream(ctx context.Context) (io.ReadCloser, error)
}
