package console

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/lavacore/lavacore/sdk"
)

// DefaultKeepalive is the interval of ssh keepalive requests unless the
// spec sets ServerAliveInterval.
const DefaultKeepalive = 15 * time.Second

type sshConn struct {
	desc    string
	client  *ssh.Client
	session *ssh.Session
	stdin   io.WriteCloser
	stdout  io.Reader
	stop    chan struct{}
	once    sync.Once
}

// DialSSH logs in over ssh and opens an interactive shell on a pty (vt100,
// 24x80), as LAVA's `ssh … user@host` console. Like LAVA (which passes
// `-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null`), the host
// key is NOT checked: any key is accepted.
//
// Authentication: the IdentityFile key if given, else an empty password
// (the lab's images allow it). Options understood (as `-o K=V` or `K=V`):
// ConnectTimeout (seconds per attempt), ServerAliveInterval (keepalive
// seconds, default 15), ServerAliveCountMax (missed keepalives before the
// connection is dropped, default 3), Port, User. Others are ignored.
// Connecting is retried until ctx's deadline (or DefaultConnectTimeout).
func DialSSH(ctx context.Context, spec sdk.SSHSpec) (Conn, error) {
	opts := parseSSHOptions(spec.Options)
	user := spec.User
	if user == "" {
		user = opts["user"]
	}
	if user == "" {
		user = "root"
	}
	port := spec.Port
	if port == 0 {
		if p, err := strconv.Atoi(opts["port"]); err == nil {
			port = p
		} else {
			port = 22
		}
	}
	var auth []ssh.AuthMethod
	if spec.IdentityFile != "" {
		pem, err := os.ReadFile(spec.IdentityFile)
		if err != nil {
			return nil, sdk.ConfigErrorf("ssh console: identity file: %v", err)
		}
		signer, err := ssh.ParsePrivateKey(pem)
		if err != nil {
			return nil, sdk.ConfigErrorf("ssh console: identity file %s: %v", spec.IdentityFile, err)
		}
		auth = append(auth, ssh.PublicKeys(signer))
	} else {
		auth = append(auth, ssh.Password(""))
	}
	perTry := 10 * time.Second
	if s, err := strconv.Atoi(opts["connecttimeout"]); err == nil && s > 0 {
		perTry = time.Duration(s) * time.Second
	}
	keepalive := DefaultKeepalive
	if s, err := strconv.Atoi(opts["serveraliveinterval"]); err == nil && s > 0 {
		keepalive = time.Duration(s) * time.Second
	}
	maxMissed := 3
	if s, err := strconv.Atoi(opts["serveralivecountmax"]); err == nil && s > 0 {
		maxMissed = s
	}
	cfg := &ssh.ClientConfig{
		User:            user,
		Auth:            auth,
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), // LAVA: StrictHostKeyChecking=no
		Timeout:         perTry,
	}
	addr := net.JoinHostPort(spec.Host, strconv.Itoa(port))
	desc := fmt.Sprintf("ssh %s@%s", user, addr)

	ctx, cancel := connectContext(ctx)
	defer cancel()
	start := time.Now()
	var client *ssh.Client
	var last error
	for {
		client, last = dialSSHOnce(ctx, addr, cfg)
		if last == nil {
			break
		}
		select {
		case <-ctx.Done():
			return nil, sdk.InfraErrorf("could not open %s within %s: %v", desc, time.Since(start).Round(time.Millisecond), last)
		case <-time.After(250 * time.Millisecond):
		}
	}
	sess, err := client.NewSession()
	if err != nil {
		client.Close()
		return nil, sdk.InfraErrorf("%s: session: %v", desc, err)
	}
	modes := ssh.TerminalModes{ssh.ECHO: 1, ssh.TTY_OP_ISPEED: 115200, ssh.TTY_OP_OSPEED: 115200}
	if err := sess.RequestPty("vt100", 24, 80, modes); err != nil {
		client.Close()
		return nil, sdk.InfraErrorf("%s: pty: %v", desc, err)
	}
	stdin, err := sess.StdinPipe()
	if err != nil {
		client.Close()
		return nil, sdk.InfraErrorf("%s: %v", desc, err)
	}
	// With a pty the remote merges stderr into stdout; a pipe keeps both.
	pr, pw := io.Pipe()
	sess.Stdout = pw
	sess.Stderr = pw
	if err := sess.Shell(); err != nil {
		client.Close()
		return nil, sdk.InfraErrorf("%s: shell: %v", desc, err)
	}
	c := &sshConn{desc: desc, client: client, session: sess, stdin: stdin, stdout: pr, stop: make(chan struct{})}
	go func() {
		_ = sess.Wait()
		pw.CloseWithError(io.EOF)
	}()
	go c.keepalive(keepalive, maxMissed, pw)
	return c, nil
}

func dialSSHOnce(ctx context.Context, addr string, cfg *ssh.ClientConfig) (*ssh.Client, error) {
	d := net.Dialer{Timeout: cfg.Timeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	// The handshake honours ctx too.
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	_ = nc.SetDeadline(time.Now().Add(cfg.Timeout))
	cc, chans, reqs, err := ssh.NewClientConn(nc, addr, cfg)
	if err != nil {
		nc.Close()
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	return ssh.NewClient(cc, chans, reqs), nil
}

func (c *sshConn) keepalive(every time.Duration, maxMissed int, pw *io.PipeWriter) {
	t := time.NewTicker(every)
	defer t.Stop()
	missed := 0
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		res := make(chan error, 1)
		go func() {
			_, _, err := c.client.SendRequest("keepalive@openssh.com", true, nil)
			res <- err
		}()
		select {
		case <-c.stop:
			return
		case err := <-res:
			if err != nil {
				pw.CloseWithError(io.EOF)
				return
			}
			missed = 0
		case <-time.After(every):
			missed++
			if missed >= maxMissed {
				pw.CloseWithError(io.EOF)
				c.client.Close()
				return
			}
		}
	}
}

func (c *sshConn) String() string              { return c.desc }
func (c *sshConn) Read(p []byte) (int, error)  { return c.stdout.Read(p) }
func (c *sshConn) Write(p []byte) (int, error) { return c.stdin.Write(p) }
func (c *sshConn) Close() error {
	c.once.Do(func() {
		close(c.stop)
		_ = c.session.Close()
		_ = c.client.Close()
	})
	return nil
}

// parseSSHOptions reads "-o", "K=V", "-oK=V" and "K V" forms, keys lower-cased.
func parseSSHOptions(args []string) map[string]string {
	m := map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-o":
			continue
		case strings.HasPrefix(a, "-o"):
			a = a[2:]
		case strings.HasPrefix(a, "-p") && len(a) > 2:
			m["port"] = a[2:]
			continue
		case a == "-p" && i+1 < len(args):
			m["port"] = args[i+1]
			i++
			continue
		case strings.HasPrefix(a, "-"):
			continue
		}
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			k, v, ok = strings.Cut(a, " ")
		}
		if ok {
			m[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
	return m
}
