package console

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s (-want +got):\n%s", path, d)
	}
}

func TestLineSplitter(t *testing.T) {
	tests := []struct {
		name    string
		chunks  []string
		max     int
		want    []string
		partial string
	}{
		{"plain", []string{"a\nb\n"}, 0, []string{"a", "b"}, ""},
		{"crlf and crcrlf", []string{"a\r\nb\r\r\nc\r\r\r\nd"}, 0, []string{"a", "b", "c\r"}, "d"},
		{"split across chunks", []string{"Lin", "ux vers", "ion 6.1\r", "\nlog", "in: "}, 0, []string{"Linux version 6.1"}, "login: "},
		{"ESC removed", []string{"\x1b[6n/ # ls\r\n"}, 0, []string{"[6n/ # ls"}, ""},
		{"invalid utf-8 replaced", []string{"a\xffb\n"}, 0, []string{"a\uFFFDb"}, ""},
		{"empty lines kept", []string{"\n\r\n"}, 0, []string{"", ""}, ""},
		{"long line cut at max", []string{"abcdefgh", "ij\n"}, 4, []string{"abcd", "efgh", "ij"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			s := NewLineSplitter(func(l string) { got = append(got, l) })
			s.MaxLine = tt.max
			for _, c := range tt.chunks {
				s.Write([]byte(c))
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("lines (-want +got):\n%s", d)
			}
			if p := s.Partial(); p != tt.partial {
				t.Errorf("partial = %q, want %q", p, tt.partial)
			}
			s.Flush()
			if tt.partial != "" && got[len(got)-1] != tt.partial {
				t.Errorf("flush emitted %q", got[len(got)-1])
			}
		})
	}
}

func TestRecorderGolden(t *testing.T) {
	dir := t.TempDir()
	r, err := NewRecorder(dir, "common")
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 11, 25, 4, 0, 0, 0, time.UTC)
	r.now = func() time.Time { clock = clock.Add(1500 * time.Microsecond); return clock }
	r.Record(DirOpen, []byte("command 'telnet localhost 7000'"))
	r.Record(DirRead, []byte("Press enter to boot the selected OS\r\n"))
	r.Record(DirWrite, []byte("c"))
	r.Record(DirRead, []byte("grub> \x1b[12;07Hb"))
	r.Record(DirRead, []byte("\xff\xfe binary"))
	r.Record(DirClose, []byte("EOF"))
	r.Close()
	js, _ := os.ReadFile(eventsPath(dir, "common"))
	raw, _ := os.ReadFile(rawPath(dir, "common"))
	golden(t, "transcript.jsonl", js)
	golden(t, "transcript.log", raw)
	// Every jsonl line is valid JSON with an increasing "off".
	for _, l := range strings.Split(strings.TrimSpace(string(js)), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
	}
}

func TestConsoleTranscriptAndLog(t *testing.T) {
	dir := t.TempDir()
	var sink logSink
	c, dev := newFake(t, Options{Dir: dir, Name: "ns/1", Log: sink.log})
	feed(t, c, dev, "Linux version 6.1\r\nlogin: ")
	go func() {
		b := make([]byte, 5)
		dev.Read(b)
		dev.Write([]byte("\r\nroot@lava:~# "))
	}()
	ctx := context.Background()
	if _, err := c.Expect(ctx, []string{"login: "}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	c.SendLine(ctx, "root")
	if _, err := c.Expect(ctx, []string{"# "}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	c.Close()
	want := []string{"target: Linux version 6.1", "debug: Sending line: 'root'", "input: root", "target: login: ", "target: root@lava:~# "}
	if d := cmp.Diff(want, sink.get()); d != "" {
		t.Errorf("log (-want +got):\n%s", d)
	}
	raw, _ := os.ReadFile(rawPath(dir, "ns/1"))
	if string(raw) != "Linux version 6.1\r\nlogin: \r\nroot@lava:~# " {
		t.Errorf("raw transcript %q", raw)
	}
	js, _ := os.ReadFile(filepath.Join(dir, "console-ns_1.jsonl"))
	for _, want := range []string{`"dir":"open","data":"pipe"`, `"dir":"tx","data":"root\n"`, `"dir":"close"`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("jsonl lacks %s:\n%s", want, js)
		}
	}
}

func TestTail(t *testing.T) {
	c, dev := newFake(t, Options{TailLines: 3})
	feed(t, c, dev, "1\n2\n3\n4\n5\npart")
	if d := cmp.Diff([]string{"4", "5", "part"}, c.Tail()); d != "" {
		t.Error(d)
	}
}

func TestStripANSI(t *testing.T) {
	for in, want := range map[string]string{
		"grub> \x1b[12;07Hb\x1b[12;08Ho":    "grub> bo",
		"\x1b[6n/ # ":                       "/ # ",
		"\x1b]0;title\x07ok\x1b]2;t\x1b\\!": "ok!",
		"\x1b(Bx\x1b7y\x1bMz":               "xyz",
		"\x1b[0;1;32mgreen\x1b[0m":          "green",
		"plain\r\n":                         "plain\r\n",
	} {
		if got := stripANSI(in); got != want {
			t.Errorf("stripANSI(%q) = %q, want %q", in, got, want)
		}
	}
	// State carries across chunks.
	var a ansiStripper
	out := a.append(nil, []byte("a\x1b[12"))
	out = a.append(out, []byte(";07Hb"))
	if string(out) != "ab" {
		t.Errorf("chunked: %q", out)
	}
}

// stripANSI returns s without ANSI escape sequences.
func stripANSI(s string) string {
	var a ansiStripper
	return string(a.append(nil, []byte(s)))
}
