package bootflow

import (
	"strings"

	"github.com/lavacore/lavacore/sdk"
)

// A value typed into a console as part of a shell command line is one shell
// word: quoted when it holds anything but plain path characters, and refused
// when it holds a control character, which the board's tty acts on before
// the shell sees it (a newline or CR ends the line, Ctrl-U erases it, Ctrl-C
// discards it), so no quoting can keep the rest from running.

// ShellWord returns s as one shell word to type: s itself when it is made of
// [A-Za-z0-9_./:=+,@%-] only (what LAVA types, unchanged), else ShellQuote(s).
// A value with a control character (below 0x20, or DEL) is refused; what
// names it for the error.
func ShellWord(what, s string) (string, error) {
	plain := s != ""
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return "", sdk.JobErrorf("%s %q holds a control character and cannot be typed into a console", what, s)
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_./:=+,@%-", c) >= 0) {
			plain = false
		}
	}
	if plain {
		return s, nil
	}
	return ShellQuote(s), nil
}
