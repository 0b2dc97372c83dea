package report

import (
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// ProgressModes are the values of `lavacore run --progress`.
const ProgressModes = "auto, plain or tty"

// DetectMode picks the view's mode and colour: JSON for NDJSON output;
// progress "tty" or "plain" as asked; "auto" (or "") ModeTTY when w is a
// terminal and TERM is not "dumb", else ModePlain. Colours are on in ModeTTY
// unless NO_COLOR is set to anything but "" (https://no-color.org).
func DetectMode(progress string, json bool, w io.Writer, getenv func(string) string) (Mode, bool, error) {
	var m Mode
	switch progress {
	case "", "auto":
		m = ModePlain
		if IsTerminal(w) && getenv("TERM") != "dumb" {
			m = ModeTTY
		}
	case "plain":
		m = ModePlain
	case "tty":
		m = ModeTTY
	default:
		return 0, false, CheckProgress(progress)
	}
	if json {
		return ModeJSON, false, nil
	}
	return m, m == ModeTTY && getenv("NO_COLOR") == "", nil
}

// CheckProgress says whether progress is one of ProgressModes (or "").
func CheckProgress(progress string) error {
	switch progress {
	case "", "auto", "plain", "tty":
		return nil
	}
	return fmt.Errorf("--progress must be %s, not %q", ProgressModes, progress)
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// TerminalWidth returns a func giving w's columns (0 when w is not a terminal).
func TerminalWidth(w io.Writer) func() int {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	return func() int {
		ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
		if err != nil {
			return 0
		}
		return int(ws.Col)
	}
}

// SGR colours.
const (
	red    = "31"
	green  = "32"
	yellow = "33"
	cyan   = "36"
	bold   = "1"
	faint  = "2"
)

func paint(sgr, s string) string { return "\x1b[" + sgr + "m" + s + "\x1b[0m" }

func paintIf(on bool, sgr, s string) string {
	if !on {
		return s
	}
	return paint(sgr, s)
}

// levelColor is the colour of a record's line ("" none); result is a
// results record's result.
func levelColor(lvl, result string) string {
	switch lvl {
	case "error", "exception", "critical":
		return red
	case "warning":
		return yellow
	case "debug":
		return faint
	case "input", "feedback":
		return cyan
	case "results":
		switch result {
		case "pass":
			return green
		case "fail":
			return red
		}
		return yellow
	}
	return ""
}

// sanitize keeps text from the job, the device and its console from
// driving the terminal: control characters (C0 but tab and, unless oneLine,
// newline; DEL; C1) are shown as \xNN, invalid UTF-8 as U+FFFD.
func sanitize(s string, oneLine bool) string {
	clean := func(r rune) bool {
		return (r >= 0x20 && r < 0x7f) || r > 0x9f || r == '\t' || (r == '\n' && !oneLine)
	}
	if utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !clean(r) }) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if clean(r) {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, `\x%02x`, r)
		}
	}
	return b.String()
}

// cut shortens s to n visible characters (ANSI SGR sequences do not count),
// ending with "…" when it was longer; n <= 0: s unchanged.
func cut(s string, n int) string {
	if n <= 0 || visibleLen(s) <= n {
		return s
	}
	var b strings.Builder
	visible, esc, colored := 0, false, false
	for _, r := range s {
		switch {
		case esc:
			esc = r != 'm'
		case r == 0x1b:
			esc, colored = true, true
		case visible == n-1:
			b.WriteString("…")
			if colored {
				b.WriteString("\x1b[0m")
			}
			return b.String()
		default:
			visible++
		}
		b.WriteRune(r)
	}
	return b.String()
}

// visibleLen counts the characters of s that are not in an SGR sequence.
func visibleLen(s string) int {
	n, esc := 0, false
	for _, r := range s {
		switch {
		case esc:
			esc = r != 'm'
		case r == 0x1b:
			esc = true
		default:
			n++
		}
	}
	return n
}
