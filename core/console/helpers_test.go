package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
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
	// The 200 ms are for the wait for the code: the line itself is sent
	// even if a loaded machine used them up before SendCheck wrote it.
	err := SendCheck(ctx, sendRegardless{c}, "ls")
	if sdk.TypeOf(err) != sdk.Job || err.Error() != "Failed to check 'ls' return code!" {
		t.Fatalf("err = %v", err)
	}
}

// promptOnSecondCheck is the console a device sees whose prompt appears only
// after the second "#": the prompt is in the console before SendLine
// returns, so ForcePrompt's third wait finds it however loaded the machine
// is (a device goroutine answering within the 1/10 retry would race it).
type promptOnSecondCheck struct {
	*Console
	t      *testing.T
	dev    net.Conn
	prompt string
	checks int
}

func (p *promptOnSecondCheck) SendLine(ctx context.Context, s string) error {
	if err := p.Console.SendLine(ctx, s); err != nil {
		return err
	}
	if s == CheckChar {
		p.checks++
		if p.checks == 2 {
			feed(p.t, p.Console, p.dev, p.prompt)
		}
	}
	return nil
}

// sendRegardless sends lines whatever the state of the context.
type sendRegardless struct{ *Console }

func (s sendRegardless) SendLine(ctx context.Context, line string) error {
	return s.Console.SendLine(context.WithoutCancel(ctx), line)
}

func TestForcePrompt(t *testing.T) {
	var sink logSink
	c, dev := newFake(t, Options{Log: sink.log})
	// The device reads what is sent; it prints a prompt only after the second "#".
	go io.Copy(io.Discard, dev)
	pc := &promptOnSecondCheck{Console: c, t: t, dev: dev, prompt: "\r\nroot@lava:~# "}
	m, err := ForcePrompt(context.Background(), pc, []string{"root@lava:~# "}, time.Second, sink.log)
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
	if warnings != 2 || pc.checks != 2 {
		t.Errorf("warnings = %d, checks sent = %d; log: %q", warnings, pc.checks, sink.get())
	}
}

func TestForcePromptGivesUp(t *testing.T) {
	c, dev := newFake(t, Options{})
	sent := make(chan string, 10)
	go func() {
		defer close(sent)
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
	// Count every check the device read: closing the console ends the
	// device's reader, which closes sent (the last check may still be on
	// its way to the channel when ForcePrompt returns).
	c.Close()
	n := 0
	for range sent {
		n++
	}
	if n != ForcePromptRetries {
		t.Errorf("sent %d checks, want %d", n, ForcePromptRetries)
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
