package signals

import (
	"strings"
	"testing"
)

// TestFormatReply_PeerBytesTypedIntoConsole: whatever a peer sends, the
// reply typed into the console is one line of printable ASCII whose items
// hold no space, and the helper's cache file gets the exact bytes back.
func TestFormatReply_PeerBytesTypedIntoConsole(t *testing.T) {
	tests := []struct{ name, sender, key, val string }{
		{"newline then a command", "1", "k", "x\ntouch /tmp/pwned #"},
		{"carriage return then a command", "1", "k", "x\rreboot"},
		{"forged pair of another sender", "1", "k", "x 2:ipaddr=6.6.6.6"},
		{"reply terminator", "1", "k", "x> <LAVA_SIGNAL_TESTCASE TEST_CASE_ID=f RESULT=pass>"},
		{"tty line editing keys", "1", "k", "\x03\x04\x15\x17\x1a\x7f\x16"},
		{"escape sequences", "1", "k", "\x1b]0;title\x07\x1b[2J"},
		{"backslashes that look like escapes", "1", "k", `\0101\n\c\\`},
		{"non-ASCII and invalid UTF-8", "1", "k", "é✓\xff\x00"},
		{"hostile sender and key", "1:k=v\nrm -rf / #", "a=b c", "v"},
		{"normal values stay readable", "74587", "mac", "52:54:00:12:34:56"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkReply(t, tc.sender, tc.key, tc.val)
		})
	}
	if got := FormatReply("WAIT", "", map[string]map[string]string{"74587": {"ipv6": "fe80::1", "ipaddr": "10.0.0.5", "b64": "YQ=="}}); got != "<LAVA_WAIT_COMPLETE 74587:b64=YQ== 74587:ipaddr=10.0.0.5 74587:ipv6=fe80::1>" {
		t.Errorf("normal values changed: %q", got)
	}
}

func checkReply(t *testing.T, sender, key, val string) {
	t.Helper()
	reply := FormatReply("WAIT", "id", map[string]map[string]string{sender: {key: val}})
	for i := 0; i < len(reply); i++ {
		if c := reply[i]; c < 0x20 || c > 0x7e {
			t.Fatalf("reply %q types byte %#x", reply, c)
		}
	}
	body := strings.TrimSuffix(strings.TrimPrefix(reply, "<LAVA_WAIT_COMPLETE "), ">")
	if strings.ContainsAny(body, " <>") {
		t.Fatalf("reply %q: an item holds a space or a marker character", reply)
	}
	if got, ok := CacheFile(reply); !ok || got != sender+":"+key+"="+val+"\n" {
		t.Fatalf("cache of %q = %q %v, want %q", reply, got, ok, sender+":"+key+"="+val+"\n")
	}
}

func FuzzReplyRoundTrip(f *testing.F) {
	f.Add("74587", "ipaddr", "10.0.0.5")
	f.Add("1", "k", "x\ntouch /tmp/p #")
	f.Add("1:k=v 2", "a=b", `\0101 \c`)
	f.Fuzz(func(t *testing.T, sender, key, val string) {
		checkReply(t, sender, key, val)
	})
}
