package shlex

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Expected values are what Python's shlex.split returns.
func TestSplit(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  string
	}{
		{"telnet localhost 7000", []string{"telnet", "localhost", "7000"}, ""},
		{"  a\t b\n c  ", []string{"a", "b", "c"}, ""},
		{`pduclient --daemon localhost --hostname pdu --command reboot --port 5`, []string{"pduclient", "--daemon", "localhost", "--hostname", "pdu", "--command", "reboot", "--port", "5"}, ""},
		{`sh -c 'echo $HOME; ls'`, []string{"sh", "-c", "echo $HOME; ls"}, ""},
		{`echo "a b" 'c d'`, []string{"echo", "a b", "c d"}, ""},
		{`a"b c"d`, []string{"ab cd"}, ""},
		{`"" ''`, []string{"", ""}, ""},
		{`a\ b`, []string{"a b"}, ""},
		{`"a\"b" "a\\b" "a\nb" "\$x"`, []string{`a"b`, `a\b`, `a\nb`, `\$x`}, ""},
		{`'a\b'`, []string{`a\b`}, ""},
		{`x # not a comment`, []string{"x", "#", "not", "a", "comment"}, ""},
		{`virsh -c qemu:///system destroy "lab board"`, []string{"virsh", "-c", "qemu:///system", "destroy", "lab board"}, ""},
		{"", nil, ""},
		{`'open`, nil, "No closing quotation"},
		{`"open`, nil, "No closing quotation"},
		{`trailing\`, nil, "No escaped character"},
	}
	for _, tt := range tests {
		got, err := Split(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("Split(%q) err = %v, want %s", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Split(%q): %v", tt.in, err)
			continue
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("Split(%q) (-want +got):\n%s", tt.in, d)
		}
	}
}
