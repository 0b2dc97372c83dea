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

// readFor reads what arrives on c within d.
func readFor(c net.Conn, d time.Duration) string {
	var b bytes.Buffer
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, _ = io.Copy(&b, c)
	return b.String()
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
	_, _ = board.Write([]byte("UEFI firmware\r\n"))
	time.Sleep(100 * time.Millisecond)
	c1 := dialRelay(t, addr)
	if got := readFor(c1, 300*time.Millisecond); got != "UEFI firmware\r\n" {
		t.Errorf("first client got %q, want the early output", got)
	}
	// Both ways while connected.
	_, _ = board.Write([]byte("grub> "))
	if got := readFor(c1, 300*time.Millisecond); got != "grub> " {
		t.Errorf("client got %q", got)
	}
	_, _ = c1.Write([]byte("c"))
	b := make([]byte, 1)
	_ = board.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.ReadFull(board, b); err != nil || b[0] != 'c' {
		t.Errorf("board got %q, %v", b, err)
	}
	// After a client has gone, output is dropped (no stale prompts later).
	c1.Close()
	time.Sleep(100 * time.Millisecond)
	_, _ = board.Write([]byte("Press enter to boot the selected OS"))
	time.Sleep(100 * time.Millisecond)
	c2 := dialRelay(t, addr)
	if got := readFor(c2, 300*time.Millisecond); got != "" {
		t.Errorf("a later client got the old boot's output %q", got)
	}
	c2.Close()
	// A power cycle starts afresh: its output is kept for the next client.
	board.Close()
	board = powerOn(t, sock)
	defer board.Close()
	_, _ = board.Write([]byte("second boot\r\n"))
	time.Sleep(100 * time.Millisecond)
	c3 := dialRelay(t, addr)
	defer c3.Close()
	if got := readFor(c3, 300*time.Millisecond); got != "second boot\r\n" {
		t.Errorf("after a power cycle the client got %q", got)
	}
	// A new client takes over from the old one.
	c4 := dialRelay(t, addr)
	defer c4.Close()
	time.Sleep(100 * time.Millisecond)
	_, _ = board.Write([]byte("login:"))
	if got := readFor(c4, 300*time.Millisecond); got != "login:" {
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
