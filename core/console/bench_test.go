package console

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestShellPatterns are the test shell's and kernel-message patterns:
// ten patterns as LAVA waits for them while a test runs.
var TestShellPatterns = []string{
	`<LAVA_TEST_RUNNER EXIT>`,
	`<LAVA_SIGNAL_(\S+) ([^>]+)>`,
	`-\[ cut here \]`,
	`Unhandled fault`,
	`BUG: KASAN:`,
	`Oops(?: -|:)`,
	`Kernel panic - not syncing`,
	`(kernel BUG at|BUG:)`,
	`invalid opcode:`,
	`root@lava:~# `,
}

// consoleLog returns a console log of n lines (about 67 bytes each), a
// third of them LAVA signals, ending with the runner's exit.
func consoleLog(n int) ([]byte, int) {
	var b strings.Builder
	signals := 0
	for i := 0; i < n; i++ {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=case-%06d RESULT=pass>\r\n", i)
			signals++
		case 1:
			fmt.Fprintf(&b, "+ echo step %06d: /usr/bin/some-command --with-arguments here\r\n", i)
		default:
			fmt.Fprintf(&b, "[  %6d.123456] some output from the test on line %07d\r\n", i, i)
		}
	}
	b.WriteString("<LAVA_TEST_RUNNER EXIT>\r\n")
	return []byte(b.String()), signals + 1
}

func drain(tb testing.TB, c *Console, want int) {
	ctx := context.Background()
	got := 0
	for {
		_, err := c.Expect(ctx, TestShellPatterns, time.Minute)
		if err != nil {
			if err.Error() != "Connection closed" {
				tb.Fatal(err)
			}
			break
		}
		got++
	}
	if got != want {
		tb.Fatalf("%d matches, want %d", got, want)
	}
}

// BenchmarkExpectThroughput: MB/s of console data scanned with ten
// patterns, from memory (no transport cost).
func BenchmarkExpectThroughput(b *testing.B) {
	data, signals := consoleLog(100000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		c, _ := New(&sliceConn{data: data, n: 32 << 10}, Options{})
		drain(b, c, signals)
		c.Close()
	}
}

// BenchmarkExpectThroughputLogged adds line logging and the transcript.
func BenchmarkExpectThroughputLogged(b *testing.B) {
	data, signals := consoleLog(100000)
	dir := b.TempDir()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		lines := 0
		c, _ := New(&sliceConn{data: data, n: 32 << 10}, Options{Dir: dir, Log: func(_ sdkLevel, _ string) { lines++ }})
		drain(b, c, signals)
		c.Close()
	}
}

// BenchmarkPtyCat is the baseline: `cat` of the 6.7 MB log through a pty,
// read raw until EOF.
func BenchmarkPtyCat(b *testing.B) {
	path, data, _ := writeLog(b)
	b.SetBytes(int64(len(data)))
	buf := make([]byte, 32<<10)
	for b.Loop() {
		conn, err := OpenCommand(context.Background(), "cat "+path)
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := conn.Read(buf); err != nil {
				break
			}
		}
		conn.Close()
	}
}

// BenchmarkPtyCatExpect is the same `cat` through a Console waiting for
// the test shell patterns (whole process: pty, reader, expect, no logging).
func BenchmarkPtyCatExpect(b *testing.B) {
	path, data, signals := writeLog(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		c, err := Dial(context.Background(), sdkSpec("cat "+path), Options{})
		if err != nil {
			b.Fatal(err)
		}
		drain(b, c, signals)
		c.Close()
	}
}

func writeLog(b *testing.B) (string, []byte, int) {
	data, signals := consoleLog(100000)
	// cat through a pty turns \n into \r\n: write \n line ends.
	data = []byte(strings.ReplaceAll(string(data), "\r\n", "\n"))
	path := filepath.Join(b.TempDir(), "console.log")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	return path, data, signals
}

// BenchmarkRoundTrip: SendLine then Expect of the answer over a pipe.
func BenchmarkRoundTrip(b *testing.B) {
	a, dev := net.Pipe()
	c, _ := New(pipeConn{a}, Options{})
	defer c.Close()
	go func() {
		buf := make([]byte, 64)
		for {
			n, err := dev.Read(buf)
			if err != nil {
				return
			}
			if buf[n-1] == '\n' {
				dev.Write([]byte("pong\r\n# "))
			}
		}
	}()
	ctx := context.Background()
	for b.Loop() {
		if err := c.SendLine(ctx, "ping"); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Expect(ctx, []string{`# `}, time.Second); err != nil {
			b.Fatal(err)
		}
	}
	dev.Close()
	_ = io.EOF
}
