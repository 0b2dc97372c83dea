package console

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/lavacore/lavacore/sdk"
)

// Sending: lines with the device's character delays, raw bytes.

type charDelayKey struct{}

// WithCharDelay returns a context whose SendLine calls use delay per
// character (the device's character_delays for the running section),
// overriding the console's own setting.
func WithCharDelay(ctx context.Context, delay time.Duration) context.Context {
	return context.WithValue(ctx, charDelayKey{}, delay)
}

// SetCharDelay sets the per-character delay SendLine uses from now on.
func (c *Console) SetCharDelay(d time.Duration) { c.charDelay.Store(int64(d)) }

// SendLine sends s and the line separator. With a character delay each
// character (rune) is written on its own, followed by the delay, the
// separator included, as LAVA's sendline(delay=…).
func (c *Console) SendLine(ctx context.Context, s string) error {
	d := time.Duration(c.charDelay.Load())
	if v, ok := ctx.Value(charDelayKey{}).(time.Duration); ok {
		d = v
	}
	c.log(sdk.LevelDebug, fmt.Sprintf("Sending line: '%s'", s))
	line := s + c.opts.LineSep
	if d <= 0 {
		return c.write(ctx, line)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	for i := 0; i < len(line); {
		_, n := utf8.DecodeRuneInString(line[i:])
		if err := c.write(ctx, line[i:i+n]); err != nil {
			return err
		}
		i += n
		t.Reset(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctxError(ctx, "sending "+quote(s))
		}
	}
	return nil
}

// SendRaw sends s as it is (no separator, no delay).
func (c *Console) SendRaw(ctx context.Context, s string) error { return c.write(ctx, s) }

func (c *Console) write(ctx context.Context, s string) error {
	if err := ctx.Err(); err != nil {
		return ctxError(ctx, "sending "+quote(s))
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return sdk.InfraErrorf("Connection closed")
	}
	b := []byte(s)
	_ = c.rec.Record(DirWrite, b)
	c.tx.Write(b)
	if _, err := c.conn.Write(b); err != nil {
		return sdk.InfraErrorf("Connection closed (writing to %s: %v)", c.conn, err)
	}
	return nil
}

func ctxError(ctx context.Context, what string) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return &sdk.Error{Type: sdk.Canceled, Msg: "canceled while " + what, Err: ctx.Err()}
	}
	return &sdk.Error{Type: sdk.Job, Msg: "timed out while " + what, Err: ctx.Err()}
}
