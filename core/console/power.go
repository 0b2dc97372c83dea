package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/lavacore/lavacore/sdk/shlex"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/lavacore/lavacore/sdk"
)

// LogFunc receives log records (level, message); the runner routes them to log.yaml.
type LogFunc func(level sdk.LogLevel, msg string)

// RunCommands runs device commands (power_on, power_off, hard_reset lists)
// one after the other, each split like Python's shlex and run without a
// shell, in its own process group, until ctx's deadline. Each command is
// logged at debug ("Calling: '<cmd>'") and so is its output, line by line.
// The first failure stops the list: an Infrastructure error naming the
// command, its exit status and the tail of its output.
func RunCommands(ctx context.Context, cmds []string, log LogFunc) error {
	if log == nil {
		log = func(sdk.LogLevel, string) {}
	}
	for _, c := range cmds {
		if err := runCommand(ctx, c, log); err != nil {
			return err
		}
	}
	return nil
}

func runCommand(ctx context.Context, line string, log LogFunc) error {
	argv, err := shlex.Split(line)
	if err != nil {
		return sdk.ConfigErrorf("device command %q: %v", line, err)
	}
	if len(argv) == 0 {
		return sdk.ConfigErrorf("device command %q is empty", line)
	}
	log(sdk.LevelDebug, fmt.Sprintf("Calling: '%s'", line))
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 2 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	start := time.Now()
	err = cmd.Run()
	for _, l := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		if l != "" {
			log(sdk.LevelDebug, "output: "+l)
		}
	}
	if err == nil {
		return nil
	}
	tail := tailLines(out.String(), 5)
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return sdk.InfraErrorf("'%s' did not finish within %s (%v)%s", line, time.Since(start).Round(time.Millisecond), ctx.Err(), tail)
	case errors.As(err, &ee):
		return sdk.InfraErrorf("'%s' failed: %v%s", line, ee.ProcessState, tail)
	default:
		return sdk.InfraErrorf("Unable to run '%s': %v", line, err)
	}
}

// tailLines formats the last n non-empty lines of s as "; output: a | b".
func tailLines(s string, n int) string {
	var ls []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimRight(l, "\r"); l != "" {
			ls = append(ls, l)
		}
	}
	if len(ls) == 0 {
		return ""
	}
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return "; output: " + strings.Join(ls, " | ")
}
