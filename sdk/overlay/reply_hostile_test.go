package overlay

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lavacore/lavacore/sdk/overlay/signals"
)

// TestMultiNodeReply_PeerValueInjectsShellCommand: what a MultiNode peer
// sends (lava-send values, and the sender and key names a coordinator
// client chooses) is typed into the waiting board's console as the reply
// to lava-wait. A real shell plays the board's login shell: it reads its
// commands from the console, runs lava-wait, and reads whatever the helper
// left unread once it returns. No value may make either of them run
// anything (the marker file stays absent), and the cache file lava-wait
// writes holds exactly "<sender>:<key>=<value>\n" for each pair.
func TestMultiNodeReply_PeerValueInjectsShellCommand(t *testing.T) {
	const m = "{MARKER}"
	tests := []struct {
		name             string
		sender, key, val string
	}{
		{"newline then a command for the login shell", "74587", "ipaddr", "10.0.0.5\ntouch " + m + " #"},
		{"carriage return then a command (a tty maps CR to NL)", "74587", "ipaddr", "10.0.0.5\rtouch " + m + " #"},
		{"command substitution", "74587", "k", "$(touch " + m + ")"},
		{"backquotes", "74587", "k", "`touch " + m + "`"},
		{"semicolon and quotes", "74587", "k", `'"; touch ` + m + `; echo "'`},
		{"reply terminator then a command", "74587", "k", "x>\ntouch " + m},
		{"forged pair of another sender", "74587", "k", "x 74588:ipaddr=6.6.6.6"},
		{"forged signal in the echoed reply", "74587", "k", "x><LAVA_SIGNAL_TESTCASE TEST_CASE_ID=forged RESULT=pass>"},
		{"backslash escapes for echo and printf", "74587", "k", `a\nb\0101\c\\d %s %n %b`},
		{"tty control characters", "74587", "k", "a\x03b\x04c\x15d\x1ae\x7ff\x1b[2J"},
		{"NUL byte", "74587", "k", "a\x00b"},
		{"non-ASCII and invalid UTF-8", "74587", "k", "é✓ ünïcode \xff\xfe"},
		{"spaces, equals and colons", "74587", "k", "  a=b:c==  "},
		{"empty value", "74587", "k", ""},
		{"hostile key", "74587", "k=v\ntouch " + m + " #", "v"},
		{"hostile sender", "74587:k=v\ntouch " + m + " #", "k", "v"},
		{"glob characters", "74587", "k", "* ? [a-z] ~"},
	}
	res := build(t, nil, &MultiNode{Role: "client", Group: map[string]string{"74587": "server", "74588": "client"}})
	for _, sh := range shells(t) {
		for _, tc := range tests {
			t.Run(strings.Join(sh, " ")+"/"+tc.name, func(t *testing.T) {
				dir := t.TempDir()
				marker := filepath.Join(dir, "pwned")
				sub := func(s string) string { return strings.ReplaceAll(s, m, marker) }
				sender, key, val := sub(tc.sender), sub(tc.key), sub(tc.val)
				cache := filepath.Join(dir, "cache")
				console := runLoginShell(t, sh, res, cache, "lava-wait ipv4",
					signals.FormatReply("WAIT", "ipv4", map[string]map[string]string{sender: {key: val}}))
				if _, err := os.Stat(marker); err == nil {
					t.Errorf("the peer's value ran a command (%s exists):\n%s", marker, console)
				}
				b, err := os.ReadFile(cache)
				if want := sender + ":" + key + "=" + val + "\n"; string(b) != want {
					t.Errorf("cache file %q (%v), want %q\n%s", b, err, want, console)
				}
			})
		}
	}
}

// runLoginShell starts sh reading its commands from a pipe (the console),
// types the helper's command line, waits for the helper's MultiNode request
// and types reply, then ends the input and waits for the shell to exit. It
// returns what the shell printed.
func runLoginShell(t *testing.T, sh []string, res, cache, helper, reply string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sh[0], sh[1:]...)
	cmd.Env = append(os.Environ(), "LAVA_MULTI_NODE_CACHE="+cache)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	name, args, _ := strings.Cut(helper, " ")
	io.WriteString(stdin, strings.Join(sh, " ")+" "+shq(filepath.Join(res, "bin", name))+" "+args+"\n")
	var p signals.Parser
	var out strings.Builder
	sent := false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if len(p.Feed(sc.Text())) > 0 && !sent {
			sent = true
			io.WriteString(stdin, reply+"\n")
			stdin.Close()
		}
	}
	if !sent {
		stdin.Close()
	}
	err = cmd.Wait()
	if ctx.Err() != nil {
		t.Fatalf("the shell did not finish in 20s:\n%s", out.String())
	}
	if !sent {
		t.Fatalf("no MultiNode request seen (%v):\n%s", err, out.String())
	}
	return out.String()
}

// TestLavaGroup_RoleWithShellSyntax: role names are written into the
// lava-group script; quotes, $( ), backslashes and printf formats in one
// are printed as they are and run nothing.
func TestLavaGroup_RoleWithShellSyntax(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "pwned")
	roles := map[string]string{"1": `x"; touch ` + marker + `; "`, "2": "$(touch " + marker + ")", "3": `%s%n\t\\`}
	res := build(t, nil, &MultiNode{Role: "x", Group: roles})
	want := "1\t" + roles["1"] + "\n2\t" + roles["2"] + "\n3\t" + roles["3"] + "\n"
	for _, sh := range shells(t) {
		t.Run(strings.Join(sh, " "), func(t *testing.T) {
			out, err := exec.Command(sh[0], append(sh[1:], filepath.Join(res, "bin", "lava-group"))...).CombinedOutput()
			if err != nil || string(out) != want {
				t.Errorf("lava-group printed %q (%v), want %q", out, err, want)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Errorf("a role name ran a command")
			}
		})
	}
}
