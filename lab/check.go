package lab

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync"
	"time"
)

var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;?=]*[A-Za-z]|\r`)

// lastLines is the last n lines of console output, without terminal escapes.
func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(ansiEscape.ReplaceAllString(string(b), ""), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  | " + strings.Join(lines, "\n  | ")
}

// Firmware names what board n stops in when interrupted: GRUB (x86) or U-Boot (ARM).
func Firmware(n int) string {
	if IsArm(n) {
		return "U-Boot"
	}
	return "GRUB"
}

// ParseBoard parses a board's name ("board-01", "1", "arm-01") into its number.
func ParseBoard(s string) (int, error) { return boardNum(s) }

// Check power-cycles board n and waits up to timeout for GRUB's (U-Boot's)
// interrupt prompt on its console, then switches it off: a board that does
// not get that far is reported with its last console lines. It returns the
// time from power-on to the prompt.
func (l *Lab) Check(ctx context.Context, n int, timeout time.Duration) (time.Duration, error) {
	name := BoardName(n)
	addr := fmt.Sprintf("127.0.0.1:%d", ConsolePort(n))
	prompt := InterruptPrompt
	if IsArm(n) {
		prompt = ArmInterruptPrompt
	}
	if err := l.PowerOff(ctx, n); err != nil {
		return 0, err
	}
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, fmt.Errorf("%s: console %s: %v (is the lab up? 'lavacore lab status')", name, addr, err)
	}
	defer c.Close()
	var (
		mu  sync.Mutex
		out bytes.Buffer
	)
	found := make(chan struct{})
	go func() {
		b := make([]byte, 8192)
		once := sync.Once{}
		for {
			k, err := c.Read(b)
			if k > 0 {
				mu.Lock()
				out.Write(b[:k])
				if bytes.Contains(out.Bytes(), []byte(prompt)) {
					once.Do(func() { close(found) })
				}
				mu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}()
	start := time.Now()
	if err := l.PowerOn(ctx, n); err != nil {
		return 0, err
	}
	defer func() { _ = l.PowerOff(context.WithoutCancel(ctx), n) }()
	select {
	case <-found:
		return time.Since(start), nil
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(timeout):
		mu.Lock()
		defer mu.Unlock()
		return 0, fmt.Errorf("%s did not reach %s's prompt (%q) within %s of power-on; last console lines:\n%s",
			name, Firmware(n), prompt, timeout, lastLines(out.Bytes(), 20))
	}
}
