package console

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/lavacore/lavacore/sdk"
)

// TestIsTimeout: a timeout is recognised by its type (the SDK's, also after
// it crossed a plugin boundary, wrapped), never by its text.
func TestIsTimeout(t *testing.T) {
	te := &TimeoutError{Patterns: []string{"login:"}, Wait: time.Second, LastLines: []string{"x"}}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"console timeout", &sdk.Error{Type: sdk.Job, Msg: te.Error(), Err: te}, true},
		{"wrapped by a method", fmt.Errorf("boot grub-efi: %w", &sdk.Error{Type: sdk.Job, Msg: te.Error(), Err: te}), true},
		{"the sdk's type", &sdk.TimeoutError{Patterns: []string{"#"}, Err: context.DeadlineExceeded}, true},
		{"only the text of one", errors.New(te.Error()), false},
		{"a deadline", context.DeadlineExceeded, false},
		{"nil", nil, false},
	} {
		if got := errors.Is(tc.err, ErrTimeout); got != tc.want {
			t.Errorf("%s: IsTimeout = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestTimeoutErrorMessage: the message users read (and the lab tests quote)
// keeps its words.
func TestTimeoutErrorMessage(t *testing.T) {
	for _, tc := range []struct {
		te   *TimeoutError
		want string
	}{
		{&TimeoutError{Patterns: []string{"login:", "grub>"}, Wait: 62*time.Second + 400*time.Microsecond, LastLines: []string{"a", "b"}},
			"wait for prompt timed out after 1m2s waiting for \"login:\", \"grub>\"; last console lines:\n    a\n    b"},
		{&TimeoutError{Patterns: []string{"#"}, Wait: 200 * time.Millisecond},
			"wait for prompt timed out after 200ms waiting for \"#\"; the console printed nothing"},
	} {
		if got := tc.te.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
