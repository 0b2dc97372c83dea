package console

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lavacore/lavacore/sdk"
)

// shellDevice answers each line: lines containing the return-code check
// print the code ("false" → 1, else 0); others are ignored.
func shellDevice(t *testing.T, c *Console, dev interface {
	Read([]byte) (int, error)
	Write([]byte) (int, error)
}, silent bool) {
	go func() {
		br := bufio.NewReader(dev)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			fmt.Fprintf(dev, "%s\r\n", strings.TrimSpace(line)) // echo
			if silent {
				continue
			}
			if strings.Contains(line, "RETRUNCODE") {
				code := 0
				if strings.HasPrefix(line, "false") {
					code = 1
				}
				fmt.Fprintf(dev, "<LAVA_SIGNAL_RETRUNCODE %d>\r\n# ", code)
			}
		}
	}()
}

func TestSendCheck(t *testing.T) {
	c, dev := newFake(t, Options{})
	shellDevice(t, c, dev, false)
	ctx := ctxT(t, 10*time.Second)
	if err := SendCheck(ctx, c, "mkdir -p /lava-1"); err != nil {
		t.Fatal(err)
	}
	err := SendCheck(ctx, c, "false")
	if sdk.TypeOf(err) != sdk.Job || err.Error() != "'false' failed with return code 1!" {
		t.Fatalf("err = %v", err)
	}
}

func TestSendCheckTimeout(t *testing.T) {
	c, dev := newFake(t, Options{})
	shellDevice(t, c, dev, true)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := SendCheck(ctx, c, "ls")
	if sdk.TypeOf(err) != sdk.Job || err.Error() != "Failed to check 'ls' return code!" {
		t.Fatalf("err = %v", err)
	}
}

func TestForcePrompt(t *testing.T) {
	var sink logSink
	c, dev := newFake(t, Options{Log: sink.log})
	// The device prints a prompt only after the second "#".
	go func() {
		br := bufio.NewReader(dev)
		n := 0
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if strings.TrimSpace(line) == "#" {
				n++
				if n == 2 {
					dev.Write([]byte("\r\nroot@lava:~# "))
				}
			}
		}
	}()
	m, err := ForcePrompt(context.Background(), c, []string{"root@lava:~# "}, time.Second, sink.log)
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != "root@lava:~# " {
		t.Errorf("m = %+v", m)
	}
	var warnings int
	for _, r := range sink.get() {
		if strings.HasPrefix(r, "warning: Sending # in case of corruption") {
			warnings++
		}
	}
	if warnings != 2 {
		t.Errorf("warnings = %d; log: %q", warnings, sink.get())
	}
}

func TestForcePromptGivesUp(t *testing.T) {
	c, dev := newFake(t, Options{})
	sent := make(chan string, 10)
	go func() {
		br := bufio.NewReader(dev)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			sent <- line
		}
	}()
	start := time.Now()
	_, err := ForcePrompt(context.Background(), c, []string{"# $"}, 400*time.Millisecond, nil)
	if !IsTimeout(err) {
		t.Fatalf("err = %v", err)
	}
	// 1/2 + 6 × 1/10 of the time.
	if d := time.Since(start); d < 440*time.Millisecond {
		t.Errorf("gave up after %s", d)
	}
	if len(sent) != ForcePromptRetries {
		t.Errorf("sent %d checks", len(sent))
	}
}

func TestDurationString(t *testing.T) {
	if s := durationString(3725 * time.Second); s != "01:02:05" {
		t.Error(s)
	}
}

func TestDisconnect(t *testing.T) {
	c, dev := newFake(t, Options{})
	got := make(chan string, 1)
	go func() {
		b := make([]byte, 64)
		var all []byte
		for {
			n, err := dev.Read(b)
			all = append(all, b[:n]...)
			if err != nil || len(all) >= 6 {
				break
			}
		}
		got <- string(all)
	}()
	if err := c.Disconnect(context.Background(), []string{"telnet"}); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "\x1dquit\n" {
		t.Errorf("sent %q", s)
	}
}
