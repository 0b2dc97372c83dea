package console

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/lavacore/lavacore/sdk"
)

// LAVA's return-code check (the misspelling is LAVA's and is kept: test
// images and log parsers know it).
const (
	ReturnCodeSuffix  = ` ; printf "<LAVA_SIGNAL_RETRUNCODE $?>\n"`
	ReturnCodePattern = `<LAVA_SIGNAL_RETRUNCODE (\d+)>`
	ReturnCodeTimeout = 15 * time.Second
	// CheckChar is what ForcePrompt sends to provoke a fresh prompt.
	CheckChar = "#"
	// ForcePromptRetries is how many times ForcePrompt sends CheckChar.
	ForcePromptRetries = 6
)

// SendCheck sends line followed by LAVA's return-code check and waits up to
// 15 s for the code: a non-zero code is the Job error
// "'<line>' failed with return code N!", no code in time is
// "Failed to check '<line>' return code!".
func SendCheck(ctx context.Context, c sdk.Console, line string) error {
	if err := c.SendLine(ctx, line+ReturnCodeSuffix); err != nil {
		return err
	}
	m, err := c.Expect(ctx, []string{ReturnCodePattern}, ReturnCodeTimeout)
	if err != nil {
		if IsTimeout(err) {
			return &sdk.Error{Type: sdk.Job, Msg: fmt.Sprintf("Failed to check '%s' return code!", line), Err: err}
		}
		return err
	}
	code, _ := strconv.Atoi(m.Groups[0])
	if code != 0 {
		return sdk.JobErrorf("'%s' failed with return code %d!", line, code)
	}
	return nil
}

// ForcePrompt waits for patterns the way LAVA's force_prompt_wait does,
// for shells whose prompt may be hidden in kernel messages: it waits half
// of the remaining time (timeout, or ctx's deadline if sooner); on a miss
// it sends "#" and a newline and waits a tenth, up to 6 times (1.1× the
// time in all, unless ctx ends first). Each retry logs a warning. With no
// timeout and no deadline it is a plain Expect.
func ForcePrompt(ctx context.Context, c sdk.Console, patterns []string, timeout time.Duration, log LogFunc) (sdk.Match, error) {
	remaining := timeout
	if d, ok := ctx.Deadline(); ok {
		if r := time.Until(d); remaining <= 0 || r < remaining {
			remaining = r
		}
	}
	if remaining <= 0 {
		return c.Expect(ctx, patterns, 0)
	}
	if log == nil {
		log = func(sdk.LogLevel, string) {}
	}
	partial := remaining / 2
	log(sdk.LevelDebug, fmt.Sprintf("Waiting using forced prompt support (timeout %s)", durationString(partial)))
	for tries := 0; ; tries++ {
		m, err := c.Expect(ctx, patterns, partial)
		if err == nil || !IsTimeout(err) || tries >= ForcePromptRetries || ctx.Err() != nil {
			return m, err
		}
		partial = remaining / 10
		log(sdk.LevelWarning, fmt.Sprintf("Sending %s in case of corruption. Connection timeout %s, retry in %s",
			CheckChar, durationString(remaining), durationString(partial)))
		if err := c.SendLine(ctx, CheckChar); err != nil {
			return sdk.Match{}, err
		}
	}
}

// durationString formats as LAVA's seconds_to_str: HH:MM:SS.
func durationString(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

// Disconnect leaves the console politely before closing it, as LAVA's
// disconnect-device: with the "telnet" tag it sends Ctrl-] and "quit"; with
// the "ssh" tag an empty line and "~." (ssh's escape). Then it closes the
// console (killing a connection command's process group).
func (c *Console) Disconnect(ctx context.Context, tags []string) error {
	for _, t := range tags {
		switch t {
		case "telnet":
			_ = c.SendRaw(ctx, "\x1d")
			_ = c.SendLine(ctx, "quit")
		case "ssh":
			_ = c.SendLine(ctx, "")
			_ = c.SendRaw(ctx, "~.")
		}
	}
	return c.Close()
}
