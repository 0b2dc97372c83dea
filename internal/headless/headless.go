// Package headless drives a headless Chromium for tests over the DevTools
// protocol on a pipe (--remote-debugging-pipe: commands on fd 3, replies and
// events on fd 4, NUL-terminated JSON): open a page, evaluate JavaScript,
// click like a user, and collect the JavaScript errors the page logs. No
// network port is opened and nothing but the standard library is needed.
package headless

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// ErrNoBrowser is returned by Start when no Chromium is installed.
var ErrNoBrowser = errors.New("no chromium found (apt-get install chromium)")

// Names are the executables Start looks for, in order.
var names = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// Find returns the path of an installed Chromium.
func Find() (string, error) {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", ErrNoBrowser
}

// Browser is a running headless Chromium.
type Browser struct {
	cmd     *exec.Cmd
	w       io.WriteCloser
	dataDir string

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan reply
	subs    []func(message)
	done    chan struct{}
	readErr error
	stderr  *tailBuffer
}

type message struct {
	ID        int64           `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *cdpError       `json:"error,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
}

type cdpError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type reply struct {
	result json.RawMessage
	err    error
}

// Start runs Chromium headless with a fresh profile in a temporary directory,
// no network services of its own (no sync, updates, QUIC or first-run
// fetches) and the DevTools protocol on a pipe.
func Start(ctx context.Context) (*Browser, error) {
	path, err := Find()
	if err != nil {
		return nil, err
	}
	dataDir, err := os.MkdirTemp("", "lavacore-chromium-")
	if err != nil {
		return nil, fmt.Errorf("chromium profile: %w", err)
	}
	// fd 3: what chromium reads (our commands); fd 4: what it writes
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		cmdR.Close()
		cmdW.Close()
		return nil, err
	}
	b := &Browser{w: cmdW, dataDir: dataDir, pending: map[int64]chan reply{}, done: make(chan struct{}), stderr: &tailBuffer{max: 8 << 10}}
	b.cmd = exec.Command(path, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--disable-extensions", "--disable-default-apps", "--mute-audio", "--no-default-browser-check",
		"--user-data-dir="+dataDir, "--remote-debugging-pipe", "about:blank")
	b.cmd.ExtraFiles = []*os.File{cmdR, outW}
	b.cmd.Stderr = b.stderr
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its helpers die with it (Close)
	if err := b.cmd.Start(); err != nil {
		cmdR.Close()
		cmdW.Close()
		outR.Close()
		outW.Close()
		os.RemoveAll(dataDir)
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	cmdR.Close()
	outW.Close()
	go b.read(outR)
	// the browser answers once it is up
	vctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := b.call(vctx, "", "Browser.getVersion", nil); err != nil {
		b.Close()
		return nil, fmt.Errorf("chromium did not answer on its DevTools pipe within 60 s: %w (stderr: %s)", err, b.stderr.String())
	}
	return b, nil
}

func (b *Browser) read(r io.ReadCloser) {
	defer r.Close()
	br := bufio.NewReaderSize(r, 1<<20)
	var err error
	for {
		var chunk []byte
		chunk, err = br.ReadBytes(0)
		if err != nil {
			break
		}
		var m message
		if json.Unmarshal(chunk[:len(chunk)-1], &m) != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			if ch, ok := b.pending[m.ID]; ok {
				delete(b.pending, m.ID)
				rep := reply{result: m.Result}
				if m.Error != nil {
					rep.err = fmt.Errorf("%s: %s (%d)", "devtools", m.Error.Message, m.Error.Code)
				}
				ch <- rep
			}
		}
		subs := append([]func(message){}, b.subs...)
		b.mu.Unlock()
		if m.Method != "" {
			for _, f := range subs {
				f(m)
			}
		}
	}
	b.mu.Lock()
	b.readErr = fmt.Errorf("chromium's DevTools pipe closed: %w", err)
	for id, ch := range b.pending {
		ch <- reply{err: b.readErr}
		delete(b.pending, id)
	}
	b.mu.Unlock()
	close(b.done)
}

func (b *Browser) subscribe(f func(message)) {
	b.mu.Lock()
	b.subs = append(b.subs, f)
	b.mu.Unlock()
}

// call sends one command (to the browser, or to a page's session) and waits
// for its reply.
func (b *Browser) call(ctx context.Context, session, method string, params any) (json.RawMessage, error) {
	b.mu.Lock()
	if b.readErr != nil {
		b.mu.Unlock()
		return nil, b.readErr
	}
	b.nextID++
	id := b.nextID
	ch := make(chan reply, 1)
	b.pending[id] = ch
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	data, err := json.Marshal(msg)
	if err == nil {
		_, err = b.w.Write(append(data, 0))
	}
	if err != nil {
		delete(b.pending, id)
		b.mu.Unlock()
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	b.mu.Unlock()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("%s: %w", method, r.err)
		}
		return r.result, nil
	case <-ctx.Done():
		b.mu.Lock()
		delete(b.pending, id)
		b.mu.Unlock()
		return nil, fmt.Errorf("waiting for the reply to %s: %w", method, ctx.Err())
	}
}

// Close closes the browser (Browser.close, then a kill of its process group
// after 10 s) and removes its profile.
func (b *Browser) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = b.call(ctx, "", "Browser.close", nil)
	b.w.Close()
	exited := make(chan struct{})
	go func() { _ = b.cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
	return os.RemoveAll(b.dataDir)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
