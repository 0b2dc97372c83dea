package lab

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lavacore/lavacore/core/console"
	"github.com/lavacore/lavacore/sdk"
)

func expectOn(t *testing.T, c *console.Console, pattern string) sdk.Match {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := c.Expect(ctx, []string{pattern}, 10*time.Second)
	if err != nil {
		t.Fatalf("waiting for %q on the pty: %v", pattern, err)
	}
	return m
}

// The relay's pty is a serial port to lavacore's serial transport: it gets
// the board's early output, types to the board, hands the console over to a
// TCP client and takes it back when reopened, never with output that was
// not written while it was the client.
func TestRelayPty(t *testing.T) {
	dir := t.TempDir()
	sock, link := filepath.Join(dir, "board.sock"), filepath.Join(dir, "console-01.pty")
	addr := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &Relay{Socket: sock, Listen: addr, Pty: link}
	go func() { _ = r.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(link); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the relay made no pty at %s within 10s", link)
		}
		time.Sleep(5 * time.Millisecond)
	}

	board := powerOn(t, sock)
	defer board.Close()
	waitRelay(t, r, "the board", func(s relayState) bool { return s.boards == 1 && s.board })
	early := "U-Boot SPL 2026.01\r\n"
	_, _ = board.Write([]byte(early))
	waitRelay(t, r, "the early output", func(s relayState) bool { return s.read == len(early) })

	spec := sdk.ConsoleSpec{Serial: link, Baud: 115200}
	c1, err := console.Dial(ctx, spec, console.Options{})
	if err != nil {
		t.Fatal(err)
	}
	expectOn(t, c1, "U-Boot SPL")
	_, _ = board.Write([]byte("Hit any key to stop autoboot"))
	expectOn(t, c1, "Hit any key")
	if err := c1.SendRaw(ctx, " "); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	_ = board.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(board, b); err != nil || b[0] != ' ' {
		t.Fatalf("the board got %q, %v from the pty", b, err)
	}

	// A TCP client takes over; its output is never written to the pty.
	tcp := dialRelay(t, addr)
	defer tcp.Close()
	waitRelay(t, r, "the TCP client", func(s relayState) bool { return s.accepted == 2 })
	_, _ = board.Write([]byte("for-tcp "))
	if got := readWant(tcp, "for-tcp "); got != "for-tcp " {
		t.Errorf("the TCP client got %q", got)
	}
	tcp.Close()
	c1.Close()
	waitRelay(t, r, "both clients to go", func(s relayState) bool { return !s.client })

	// Reopening the pty takes the console again, with nothing stale in it.
	c2, err := console.Dial(ctx, spec, console.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	waitRelay(t, r, "the pty again", func(s relayState) bool { return s.accepted >= 3 && s.client })
	_, _ = board.Write([]byte("=> "))
	if m := expectOn(t, c2, "=> "); m.Before != "" {
		t.Errorf("the reopened pty got %q before the prompt", m.Before)
	}
}
