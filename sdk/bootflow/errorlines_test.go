package bootflow

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

// A matched bootloader error message quotes the console lines that prove
// it: the lines before it and its own line up to its end, at most
// errorProofLines of them.
func TestSendBootloaderCommands_ErrorQuotesConsole(t *testing.T) {
	many := ""
	for _, l := range []string{"l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8", "l9"} {
		many += l + "\r\n"
	}
	cases := []struct {
		name, reply string
		want        []string // the quoted lines, in order
		not         []string
	}{
		{"the rest of the line is read", "tftp x\r\nTFTP error: 'File not found' (1)\r\n=> ",
			[]string{"last console lines:\n     tftp x\n    TFTP error: 'File not found' (1)"}, nil},
		// (a console that prints no more: the match itself is the proof)
		{"a line that never ends", "tftp x\r\nTFTP error: 'File not found' (1)",
			[]string{"\n    TFTP error: 'File not found"}, nil},
		{"the last lines only", many + "Retry count exceeded; starting again\r\n",
			[]string{"\n    l3\n", "\n    Retry count exceeded; starting again"}, []string{"l2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := sdktest.NewHost("=> ", sdktest.Step{Expect: "^tftp", Reply: c.reply})
			s := CommandSettings{Prompt: "=>", ErrorMessages: []string{"File not found", "Retry count exceeded"}}
			err := SendBootloaderCommands(context.Background(), mustConsole(t, h), h, []string{"tftp x", "boot"}, s)
			var e *sdk.Error
			if !errors.As(err, &e) || e.Type != sdk.Infrastructure || !strings.HasPrefix(err.Error(), "matched a bootloader error message: '") {
				t.Fatalf("err = %v, want an InfrastructureError in LAVA's words", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, n := range c.not {
				if strings.Contains(err.Error(), n) {
					t.Errorf("error %q quotes %q", err, n)
				}
			}
		})
	}
}

func mustConsole(t *testing.T, h *sdktest.Host) sdk.Console {
	t.Helper()
	con, err := h.Console(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return con
}
