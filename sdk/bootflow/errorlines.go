package bootflow

import (
	"context"
	"strings"
	"time"

	"github.com/lavacore/lavacore/sdk"
)

// errorProofLines is how many console lines a matched error message quotes.
const errorProofLines = 8

// restOfLineWait bounds the wait for the end of a matched error message's
// line: the bootloader prints it at once, a silent console costs this much.
const restOfLineWait = time.Second

// matchedErrorLines returns the console's proof of a matched error message
// as the text that follows LAVA's message: "; last console lines:" and the
// lines before the match and its own line, completed to its end (waiting at
// most restOfLineWait for the rest of it, which is then consumed).
func matchedErrorLines(ctx context.Context, con sdk.Console, m sdk.Match) string {
	text := m.Before + m.Text
	if !strings.HasSuffix(text, "\n") {
		if rest, err := con.Expect(ctx, []string{`\n`}, restOfLineWait); err == nil {
			text += rest.Before
		}
	}
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimRight(l, "\r\t "); strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > errorProofLines {
		lines = lines[len(lines)-errorProofLines:]
	}
	return (&sdk.TimeoutError{LastLines: lines}).LinesText()
}
