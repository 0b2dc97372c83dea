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
		return fmt.Errorf("coordinator frame: %d bytes is over the %d byte limit", len(body), MaxFrame)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%08X", len(body))
	b.Write(body)
	_, err = w.Write(b.Bytes())
	return err
}

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
	// LAVA counts characters, not bytes: read what the length says, then
	// whatever else arrives before EOF is tolerated only within the limit.
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, fmt.Errorf("coordinator frame body: %w", err)
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("coordinator frame: invalid JSON: %w", err)
	}
	normalize(m)
	return m, nil
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
