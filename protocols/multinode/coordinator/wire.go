package coordinator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// MaxFrame bounds one request or reply (LAVA's dispatcher refuses > 0xFFFE characters).
const MaxFrame = 1 << 20

// WriteFrame writes LAVA's framing: 8 upper-case hex digits of length, then the JSON.
func WriteFrame(w io.Writer, v any) error {
	b, err := encodeFrame(v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// encodeFrame is v in LAVA's framing, one buffer (one write).
func encodeFrame(v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("00000000")
	if err := json.NewEncoder(&b).Encode(v); err != nil {
		return nil, fmt.Errorf("coordinator frame: %w", err)
	}
	out := b.Bytes()
	out = out[:len(out)-1] // Encode's newline
	n := len(out) - 8
	if n > MaxFrame {
		return nil, fmt.Errorf("coordinator frame: %d bytes is over the %d byte limit: %w", n, MaxFrame, ErrTooLong)
	}
	const hex = "0123456789ABCDEF"
	for i := 7; i >= 0; i-- {
		out[i] = hex[n&0xF]
		n >>= 4
	}
	return out, nil
}

// ErrTooLong is a request over MaxFrame: sending it again cannot help.
var ErrTooLong = errors.New("message too long to send")

// ErrEmpty is an empty reply (LAVA's coordinator closes without answering on bad input).
var ErrEmpty = errors.New("coordinator: empty reply")

// ReadFrame reads one frame and decodes its JSON object.
func ReadFrame(r io.Reader) (map[string]any, error) {
	var hdr [8]byte
	n, err := io.ReadFull(r, hdr[:])
	if n == 0 && (err == io.EOF || err == io.ErrUnexpectedEOF) {
		return nil, ErrEmpty
	}
	if err != nil {
		return nil, fmt.Errorf("coordinator frame header: %w", err)
	}
	size, err := strconv.ParseUint(string(hdr[:]), 16, 32)
	if err != nil {
		return nil, fmt.Errorf("coordinator frame header %q is not 8 hex digits", hdr[:])
	}
	if size > MaxFrame {
		return nil, fmt.Errorf("coordinator frame of %d bytes is over the %d byte limit", size, MaxFrame)
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, fmt.Errorf("coordinator frame body: %w", err)
	}
	m, err := decodeObject(body)
	if err != nil && !ascii(body) {
		// LAVA's header counts characters (Python's len(str)), not bytes: a
		// body with non-ASCII text is longer than its header says. Read on
		// to the end of the request (the client shuts its write side).
		rest, rerr := io.ReadAll(io.LimitReader(r, int64(MaxFrame)-int64(size)+1))
		if rerr == nil && len(rest) > 0 && int64(size)+int64(len(rest)) <= MaxFrame {
			m, err = decodeObject(append(body, rest...))
		}
	}
	if err != nil {
		return nil, err
	}
	normalize(m)
	return m, nil
}

func decodeObject(body []byte) (map[string]any, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("coordinator frame: invalid JSON: %w", err)
	}
	return m, nil
}

func ascii(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// normalize turns json.Number into float64 (what the state machine expects).
func normalize(m map[string]any) {
	for k, v := range m {
		switch x := v.(type) {
		case json.Number:
			f, _ := x.Float64()
			m[k] = f
		case map[string]any:
			normalize(x)
		}
	}
}
