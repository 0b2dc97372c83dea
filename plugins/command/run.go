package command

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/shlex"
)

// userCommand is the method's one action: do in Run, undo in Cleanup.
type userCommand struct{}

// Run runs the command's do lines.
func (userCommand) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	c, err := Lookup(call.Request)
	if err != nil {
		return err
	}
	name, _ := call.Block.Params["name"].(string)
	if err := host.Log(sdk.LevelInfo, fmt.Sprintf("Running user command '%s'", name)); err != nil {
		return err
	}
	return runLines(ctx, name, c.Do, host)
}

// Cleanup runs the user command's undo lines (the host calls it only for an
// action whose Run was called, as LAVA runs undo only once do ran).
func (userCommand) Cleanup(ctx context.Context, call sdk.Call, host sdk.Host) error {
	c, err := Lookup(call.Request)
	if err != nil || len(c.Undo) == 0 {
		return nil
	}
	name, _ := call.Block.Params["name"].(string)
	if err := host.Log(sdk.LevelInfo, fmt.Sprintf("Running cleanup for user command '%s'", name)); err != nil {
		return err
	}
	return runLines(ctx, name, c.Undo, host)
}

// runLines runs each line in turn; the first failure stops them.
func runLines(ctx context.Context, name string, lines []string, host sdk.Host) error {
	for _, l := range lines {
		if err := runLine(ctx, name, l, host); err != nil {
			return err
		}
	}
	return nil
}

// runLine runs one command line without a shell (split like Python's shlex,
// as LAVA's run_cmd does) in its own process group (sdk.Command), which is
// killed when ctx ends. Its output goes to the job log line by line.
func runLine(ctx context.Context, name, line string, host sdk.Host) error {
	argv, err := shlex.Split(line)
	if err != nil {
		return sdk.ConfigErrorf("user command '%s': %q: %v", name, line, err)
	}
	if len(argv) == 0 {
		return sdk.ConfigErrorf("user command '%s': empty command line", name)
	}
	if err := host.Log(sdk.LevelDebug, fmt.Sprintf("Calling: '%s'", line)); err != nil {
		return err
	}
	w := &logWriter{host: host}
	cmd := sdk.Command(ctx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = w, w
	start := time.Now()
	err = cmd.Run()
	w.flush()
	if err == nil {
		return w.logErr() // output the job log did not get
	}
	took := time.Since(start).Round(time.Millisecond)
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return sdk.InfraErrorf("user command '%s': '%s' was killed at its timeout after %s (%v)%s", name, line, took, ctx.Err(), w.tail())
	case errors.As(err, &ee):
		return sdk.InfraErrorf("user command '%s': '%s' failed: %v%s", name, line, ee.ProcessState, w.tail())
	default:
		return sdk.InfraErrorf("user command '%s': Unable to run '%s': %v", name, line, err)
	}
}

// logWriter sends a command's output to the job log, a line at a time, and
// keeps the last lines for the error message. The command is not stopped
// when the log fails: its first failure is returned when it ends (logErr).
type logWriter struct {
	mu   sync.Mutex
	host sdk.Host
	buf  bytes.Buffer
	last []string
	err  error
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		i := bytes.IndexByte(w.buf.Bytes(), '\n')
		if i < 0 {
			break
		}
		w.line(string(w.buf.Next(i + 1)))
	}
	return len(p), nil
}

func (w *logWriter) line(l string) {
	l = strings.TrimRight(l, "\r\n")
	if l == "" {
		return
	}
	if err := w.host.Log(sdk.LevelDebug, "output: "+l); err != nil && w.err == nil {
		w.err = err
	}
	if w.last = append(w.last, l); len(w.last) > 5 {
		w.last = w.last[1:]
	}
}

func (w *logWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf.Len() > 0 {
		w.line(w.buf.String())
		w.buf.Reset()
	}
}

// logErr is the first output line the job log did not get.
func (w *logWriter) logErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// tail formats the last output lines as "; output: a | b".
func (w *logWriter) tail() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.last) == 0 {
		return ""
	}
	return "; output: " + strings.Join(w.last, " | ")
}
