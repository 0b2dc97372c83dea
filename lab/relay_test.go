package lab

import (
	"bytes"
	"context"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"
)

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// readFor reads what arrives on c within d (to check that nothing arrives).
func readFor(c net.Conn, d time.Duration) string {
	var b bytes.Buffer
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, _ = io.Copy(&b, c)
	return b.String()
}

// readWant reads until len(want) bytes have arrived, or 10 s have passed.
func readWant(c net.Conn, want string) string {
	b := make([]byte, len(want))
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _ := io.ReadFull(c, b)
	return string(b[:n])
}

// waitRelay waits until the relay's state satisfies ok: the test follows the
// relay's own view of clients and boards, not sleeps, so a loaded machine
// does not make it flaky.
func waitRelay(t *testing.T, r *Relay, what string, ok func(relayState) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok(r.state()) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 10s waiting for the relay: %s (state %+v)", what, r.state())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func dialRelay(t *testing.T, addr string) net.Conn {
	t.Helper()
	for i := 0; i < 100; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			return c
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("relay %s does not listen", addr)
	return nil
}

// powerOn plays QEMU with wait=on: a unix socket server that waits for the relay.
func powerOn(t *testing.T, sock string) net.Conn {
	t.Helper()
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_ = ln.(*net.UnixListener).SetDeadline(time.Now().Add(5 * time.Second))
	c, err := ln.Accept()
	if err != nil {
		t.Fatalf("the relay did not attach to the board's socket: %v", err)
	}
	return c
}

func TestRelay(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "board.sock")
	addr := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &Relay{Socket: sock, Listen: addr}
	go func() { _ = r.Run(ctx) }()

	// Output of a power-on before any client is kept for the first client.
	board := powerOn(t, sock)
	waitRelay(t, r, "the first board", func(s relayState) bool { return s.boards == 1 && s.board })
	early := "UEFI firmware\r\n"
	_, _ = board.Write([]byte(early))
	waitRelay(t, r, "the early output", func(s relayState) bool { return s.read == len(early) })
	c1 := dialRelay(t, addr)
	if got := readWant(c1, early); got != early {
		t.Errorf("first client got %q, want the early output", got)
	}
	// Both ways while connected.
	_, _ = board.Write([]byte("grub> "))
	if got := readWant(c1, "grub> "); got != "grub> " {
		t.Errorf("client got %q", got)
	}
	_, _ = c1.Write([]byte("c"))
	b := make([]byte, 1)
	_ = board.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(board, b); err != nil || b[0] != 'c' {
		t.Errorf("board got %q, %v", b, err)
	}
	// After a client has gone, output is dropped (no stale prompts later).
	c1.Close()
	waitRelay(t, r, "the first client to go", func(s relayState) bool { return !s.client })
	before := r.state().read
	stale := "Press enter to boot the selected OS"
	_, _ = board.Write([]byte(stale))
	waitRelay(t, r, "the stale output", func(s relayState) bool { return s.read == before+len(stale) })
	c2 := dialRelay(t, addr)
	waitRelay(t, r, "the second client", func(s relayState) bool { return s.accepted == 2 })
	if got := readFor(c2, 300*time.Millisecond); got != "" {
		t.Errorf("a later client got the old boot's output %q", got)
	}
	c2.Close()
	waitRelay(t, r, "the second client to go", func(s relayState) bool { return !s.client })
	// A power cycle starts afresh: its output is kept for the next client.
	board.Close()
	waitRelay(t, r, "the board to go", func(s relayState) bool { return !s.board })
	board = powerOn(t, sock)
	defer board.Close()
	waitRelay(t, r, "the second board", func(s relayState) bool { return s.boards == 2 && s.board })
	second := "second boot\r\n"
	_, _ = board.Write([]byte(second))
	c3 := dialRelay(t, addr)
	defer c3.Close()
	if got := readWant(c3, second); got != second {
		t.Errorf("after a power cycle the client got %q", got)
	}
	// A new client takes over from the old one.
	c4 := dialRelay(t, addr)
	defer c4.Close()
	waitRelay(t, r, "the fourth client", func(s relayState) bool { return s.accepted == 4 })
	_, _ = board.Write([]byte("login:"))
	if got := readWant(c4, "login:"); got != "login:" {
		t.Errorf("the new client got %q", got)
	}
}

// BenchmarkRelay measures console throughput through the relay (board → client).
func BenchmarkRelay(b *testing.B) {
	sock := filepath.Join(b.TempDir(), "board.sock")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = (&Relay{Socket: sock, Listen: addr}).Run(ctx) }()
	ul, err := net.Listen("unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	var c net.Conn
	for i := 0; i < 100 && c == nil; i++ {
		c, _ = net.Dial("tcp", addr)
		time.Sleep(10 * time.Millisecond)
	}
	board, err := ul.Accept()
	if err != nil {
		b.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("[    1.234567] a kernel line of console output\r\n"), 1000)
	b.SetBytes(int64(len(chunk)))
	b.ResetTimer()
	go func() {
		for i := 0; i < b.N; i++ {
			_, _ = board.Write(chunk)
		}
	}()
	if _, err := io.CopyN(io.Discard, c, int64(len(chunk)*b.N)); err != nil {
		b.Fatal(err)
	}
}
