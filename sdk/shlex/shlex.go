// Package shlex splits command lines into words as Python's shlex.split does (LAVA splits device commands this way).
package shlex

import (
	"errors"
	"strings"
)

// Split splits a command line into words the way Python's shlex.split does
// (POSIX mode, no comments): words are separated by spaces, tabs and
// newlines; single quotes keep everything literally; inside double quotes a
// backslash escapes only '"' and '\'; outside quotes a backslash escapes
// any character. LAVA splits device commands (power commands,
// connection_command) this way before running them without a shell.
//
// Errors use Python's texts: "No closing quotation" and "No escaped character".
func Split(s string) ([]string, error) {
	var (
		words   []string
		cur     strings.Builder
		inWord  bool
		quote   byte // 0, '\'' or '"'
		escaped bool
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if escaped {
			escaped = false
			if quote == '"' && c != '"' && c != '\\' {
				cur.WriteByte('\\')
			}
			cur.WriteByte(c)
			continue
		}
		switch quote {
		case '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
			continue
		case '"':
			switch c {
			case '"':
				quote = 0
			case '\\':
				escaped = true
			default:
				cur.WriteByte(c)
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case '\\':
			escaped, inWord = true, true
		case '\'', '"':
			quote, inWord = c, true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, errors.New("No closing quotation")
	}
	if escaped {
		return nil, errors.New("No escaped character")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
