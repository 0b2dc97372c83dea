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
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("coordinator frame: %w", err)
	}
	if len(body) > MaxFrame {
		return fmt.Errorf("coordinator frame: %d bytes is over the %d byte limit: %w", len(body), MaxFrame, ErrTooLong)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%08X", len(body))
	b.Write(body)
	_, err = w.Write(b.Bytes())
	return err
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
