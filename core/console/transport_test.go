package console

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/lavacore/lavacore/sdk"
)

func TestCommandTransport(t *testing.T) {
	c, err := Dial(ctxT(t, 10*time.Second), sdk.ConsoleSpec{Command: `sh -c 'read x; echo got $x'`}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendLine(context.Background(), "hello"); err != nil {
		t.Fatal(err)
	}
	m, err := c.Expect(ctxT(t, 10*time.Second), []string{`got (\w+)`}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if m.Groups[0] != "hello" {
		t.Errorf("got %+v", m)
	}
	// The pty echoed what was typed before the answer.
	if !strings.Contains(m.Before, "hello") {
		t.Errorf("Before = %q", m.Before)
	}
	_, err = c.Expect(ctxT(t, 10*time.Second), []string{`never`}, 5*time.Second)
	if err == nil || err.Error() != "Connection closed" {
		t.Fatalf("after exit: %v", err)
	}
}

func TestCommandTransportErrors(t *testing.T) {
	for _, tc := range []struct{ cmd, want string }{
		{"no-such-command-xyz --a", "no-such-command-xyz"},
		{"telnet 'localhost", "No closing quotation"},
		{"   ", "empty"},
	} {
		_, err := OpenCommand(context.Background(), tc.cmd)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v", tc.cmd, err)
		}
	}
}

func TestCommandCloseKillsProcessGroup(t *testing.T) {
	c, err := Dial(ctxT(t, 10*time.Second), sdk.ConsoleSpec{Command: `sh -c 'sleep 1000 & echo child=$!; wait'`}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.Expect(ctxT(t, 10*time.Second), []string{`child=(\d+)`}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(m.Groups[0])
	c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("background child %d survived Close", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive reports whether pid runs (a zombie counts as dead).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

// serveLine accepts one connection, prints "login: ", reads a line and answers "hi <line>".
func serveLine(t *testing.T, l net.Listener) {
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.Write([]byte("login: "))
		line, _ := bufio.NewReader(conn).ReadString('\n')
		fmt.Fprintf(conn, "hi %s\r\n# ", strings.TrimSpace(line))
		io.Copy(io.Discard, conn)
	}()
}

func loginDialogue(t *testing.T, spec sdk.ConsoleSpec) {
	t.Helper()
	c, err := Dial(ctxT(t, 10*time.Second), spec, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := ctxT(t, 10*time.Second)
	if _, err := c.Expect(ctx, []string{"login: "}, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := c.SendLine(ctx, "root"); err != nil {
		t.Fatal(err)
	}
	m, err := c.Expect(ctx, []string{`# `}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if m.Before != "hi root\r\n" {
		t.Errorf("Before = %q", m.Before)
	}
}

func TestTCPTransport(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	serveLine(t, l)
	loginDialogue(t, sdk.ConsoleSpec{TCP: l.Addr().String()})
}

func TestTCPTransportRetriesUntilListening(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	go func() {
		time.Sleep(300 * time.Millisecond)
		l2, err := net.Listen("tcp", addr)
		if err != nil {
			return
		}
		t.Cleanup(func() { l2.Close() })
		serveLine(t, l2)
	}()
	loginDialogue(t, sdk.ConsoleSpec{TCP: addr})
}

func TestTCPTransportGivesUp(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	_, err := DialTCP(ctxT(t, 300*time.Millisecond), addr)
	if sdk.TypeOf(err) != sdk.Infrastructure || !strings.Contains(err.Error(), "could not connect to console tcp "+addr) {
		t.Fatalf("err = %v", err)
	}
}

func TestUnixTransport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "serial.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	serveLine(t, l)
	loginDialogue(t, sdk.ConsoleSpec{TCP: "unix:" + path})
}

func TestSerialTransport(t *testing.T) {
	socat, err := exec.LookPath("socat")
	if err != nil {
		t.Skip("socat not installed (scripts/deps.d/console.apt)")
	}
	dir := t.TempDir()
	a, b := filepath.Join(dir, "ttyA"), filepath.Join(dir, "ttyB")
	cmd := exec.Command(socat, "PTY,raw,echo=0,link="+a, "PTY,raw,echo=0,link="+b)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	for i := 0; ; i++ {
		if _, err := os.Stat(b); err == nil {
			break
		}
		if i > 500 {
			t.Fatal("socat made no pty pair")
		}
		time.Sleep(10 * time.Millisecond)
	}
	dev, err := os.OpenFile(b, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	go func() {
		dev.Write([]byte("login: "))
		line, _ := bufio.NewReader(dev).ReadString('\n')
		fmt.Fprintf(dev, "hi %s\r\n# ", strings.TrimSpace(line))
	}()
	loginDialogue(t, sdk.ConsoleSpec{Serial: a, Baud: 115200})
}

func TestOpenNothing(t *testing.T) {
	if _, err := Open(context.Background(), sdk.ConsoleSpec{}); sdk.TypeOf(err) != sdk.Configuration {
		t.Fatalf("err = %v", err)
	}
}

// sshServer is a minimal sshd: public-key auth for one key, a pty shell
// that prints "$ " and answers each line with "got <line>". Each keepalive
// it answers is sent on the returned channel (when there is room).
func sshServer(t *testing.T, authorized ssh.PublicKey) (string, <-chan struct{}) {
	t.Helper()
	_, hostPriv, _ := ed25519.GenerateKey(rand.Reader)
	hostSigner, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			if string(k.Marshal()) == string(authorized.Marshal()) {
				return nil, nil
			}
			return nil, fmt.Errorf("unknown key")
		},
	}
	cfg.AddHostKey(hostSigner)
	keepalives := make(chan struct{}, 16)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				_, chans, reqs, err := ssh.NewServerConn(nc, cfg)
				if err != nil {
					return
				}
				go func() {
					for r := range reqs {
						if r.WantReply {
							r.Reply(false, nil) // what ssh.DiscardRequests answers
						}
						if r.Type == "keepalive@openssh.com" {
							select {
							case keepalives <- struct{}{}:
							default:
							}
						}
					}
				}()
				for nch := range chans {
					ch, creqs, err := nch.Accept()
					if err != nil {
						return
					}
					go func() {
						for r := range creqs {
							r.Reply(r.Type == "pty-req" || r.Type == "shell", nil)
							if r.Type == "shell" {
								go func() {
									defer ch.Close()
									ch.Write([]byte("$ "))
									br := bufio.NewReader(ch)
									for {
										line, err := br.ReadString('\n')
										if err != nil {
											return
										}
										line = strings.TrimSpace(line)
										if line == "logout" {
											ch.SendRequest("exit-status", false, ssh.Marshal(struct{ C uint32 }{0}))
											return
										}
										fmt.Fprintf(ch, "got %s\r\n$ ", line)
									}
								}()
							}
						}
					}()
				}
			}()
		}
	}()
	return l.Addr().String(), keepalives
}

func TestSSHTransport(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	sshPub, _ := ssh.NewPublicKey(pub)
	addr, keepalives := sshServer(t, sshPub)
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(t.TempDir(), "id_ed25519")
	os.WriteFile(key, pem.EncodeToMemory(block), 0o600)
	host, portS, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portS)
	spec := &sdk.SSHSpec{Host: host, Port: port, User: "root", IdentityFile: key, Options: []string{"-o", "ServerAliveInterval=1"}}
	c, err := Dial(ctxT(t, 10*time.Second), sdk.ConsoleSpec{SSH: spec}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := ctxT(t, 10*time.Second)
	if _, err := c.Expect(ctx, []string{`\$ `}, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := c.SendLine(ctx, "uname"); err != nil {
		t.Fatal(err)
	}
	m, err := c.Expect(ctx, []string{`got (\w+)`}, 5*time.Second)
	if err != nil || m.Groups[0] != "uname" {
		t.Fatalf("m=%+v err=%v", m, err)
	}
	// A keepalive goes by and is answered (ServerAliveInterval=1).
	select {
	case <-keepalives:
	case <-time.After(10 * time.Second):
		t.Fatal("timed out after 10s waiting for the client's keepalive")
	}
	c.SendLine(ctx, "logout")
	if _, err := c.Expect(ctx, []string{`never`}, 5*time.Second); err == nil || err.Error() != "Connection closed" {
		t.Fatalf("after logout: %v", err)
	}

	// A wrong key is refused, and retried until the deadline.
	_, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	block, _ = ssh.MarshalPrivateKey(otherPriv, "")
	os.WriteFile(key, pem.EncodeToMemory(block), 0o600)
	_, err = DialSSH(ctxT(t, 500*time.Millisecond), *spec)
	if sdk.TypeOf(err) != sdk.Infrastructure || !strings.Contains(err.Error(), "could not open ssh root@"+addr) {
		t.Fatalf("wrong key: %v", err)
	}
}

func TestParseSSHOptions(t *testing.T) {
	got := parseSSHOptions([]string{"-o", "ServerAliveInterval=5", "-oConnectTimeout=3", "-p", "2222", "-q", "User root"})
	want := map[string]string{"serveraliveinterval": "5", "connecttimeout": "3", "port": "2222", "user": "root"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v", got)
	}
}
