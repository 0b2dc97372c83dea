package signals

import (
	"fmt"
	"sort"
	"strings"
)

// The reply to a waiting helper carries what MultiNode peers sent: sender
// names, keys and values a coordinator client chooses. It is typed into the
// board's console, where a newline (or a carriage return, which a tty turns
// into one) would end the helper's read and leave the rest for the login
// shell to run, control characters are line-editing keys, and a space or
// '>' would forge another pair or end the reply. So every byte outside a
// small safe set is written as \0ooo (three octal digits), which POSIX
// printf %b — dash, busybox ash, bash — turns back into exactly that byte.
// A reply item therefore never holds a space, and the helper decodes each
// one with printf '%b\n' into the cache file.

// nameSafe and valueSafe are the bytes typed as they are in a sender or key
// name, and in a value (which keeps ':' and '=' readable: MAC and IPv6
// addresses, base64).
func nameSafe(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' ||
		strings.IndexByte("._-/+,@", b) >= 0
}

func valueSafe(b byte) bool { return nameSafe(b) || b == ':' || b == '=' }

// escape writes every byte of s that safe refuses as \0ooo.
func escape(s string, safe func(byte) bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; safe(c) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, `\0%03o`, c)
		}
	}
	return b.String()
}

// EscapeName and EscapeValue are a reply's encoding of a sender or key name
// and of a value: "10.0.0.5" stays as it is, "a b" becomes `a\0040b`.
func EscapeName(s string) string  { return escape(s, nameSafe) }
func EscapeValue(s string) string { return escape(s, valueSafe) }

// Unescape turns each \0 and up to three octal digits back into its byte,
// as printf %b does; any other byte, a lone backslash included, is kept.
func Unescape(s string) string {
	if !strings.Contains(s, `\0`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) || s[i+1] != '0' {
			b.WriteByte(s[i])
			continue
		}
		v, j := 0, i+2
		for ; j < len(s) && j < i+5 && '0' <= s[j] && s[j] <= '7'; j++ {
			v = v*8 + int(s[j]-'0')
		}
		b.WriteByte(byte(v))
		i = j - 1
	}
	return b.String()
}

// FormatReply is the line the dispatcher types to a waiting test-shell
// helper (kind WAIT, WAIT_ALL or SYNC): ` <sender>:<key>=<value>` for each
// sender and key, in sorted order, each escaped (EscapeName, EscapeValue) —
// `<LAVA_WAIT_COMPLETE 74587:ipaddr=10.0.0.5>`, `<LAVA_SYNC_COMPLETE>`. A nil
// data map is a refusal: `<LAVA_WAIT_COMPLETE nack>`. The messageID is not
// part of LAVA's reply; it is accepted for symmetry with the request and
// ignored.
func FormatReply(kind string, messageID string, data map[string]map[string]string) string {
	_ = messageID
	if data == nil {
		return "<LAVA_" + kind + "_COMPLETE nack>"
	}
	if kind == "SYNC" {
		return "<LAVA_SYNC_COMPLETE>"
	}
	var b strings.Builder
	b.WriteString("<LAVA_" + kind + "_COMPLETE")
	senders := make([]string, 0, len(data))
	for s := range data {
		senders = append(senders, s)
	}
	sort.Strings(senders)
	for _, s := range senders {
		keys := make([]string, 0, len(data[s]))
		for k := range data[s] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, " %s:%s=%s", EscapeName(s), EscapeName(k), EscapeValue(data[s][k]))
		}
	}
	b.WriteString(">")
	return b.String()
}

// CacheFile is what the helper leaves in /tmp/lava_multi_node_cache.txt
// after reading a reply (lava-multinode.md §3.4): the reply's body, up to
// the first '>', is split at every space, and each `<sender>:<key>=<value>`
// item becomes one line, unescaped. ok is false when the helper leaves no
// file: SYNC, nack, no pairs.
func CacheFile(reply string) (content string, ok bool) {
	body, found := strings.CutPrefix(reply, "<LAVA_")
	if !found {
		return "", false
	}
	name, rest, _ := strings.Cut(body, "_COMPLETE")
	if name == "SYNC" {
		return "", false
	}
	rest, _, _ = strings.Cut(rest, ">")
	var b strings.Builder
	for _, item := range strings.Split(rest, " ") {
		if c := strings.Index(item, ":"); c >= 0 && strings.Contains(item[c:], "=") {
			b.WriteString(Unescape(item) + "\n")
		}
	}
	return b.String(), b.Len() > 0
}
