package sdk

import (
	"context"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Command is exec.CommandContext for a plugin's own children (telnet, ssh,
// qemu …): the child runs in its own process group, and the whole group is
// killed when ctx ends. Call KillGroup from Cleanup for children that outlive
// their action. When the plugin exits (the host stops it, or the host died)
// the SDK kills the group of every Command still running.
//
// Leave the child's Stdout/Stderr nil or give it its own pipes: a child that
// inherits the plugin's stderr keeps go-plugin's log pipe open.
func Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return KillGroup(cmd) }
	cmd.WaitDelay = 5 * time.Second
	children.add(cmd)
	return cmd
}

// KillGroup kills the process group of a command started by Command.
func KillGroup(cmd *exec.Cmd) error {
	if cmd == nil || cmd.Process == nil {
		return nil
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil && err != syscall.ESRCH {
		return err
	}
	return nil
}

// children remembers the Commands of this process, so that none outlives it.
var children childSet

type childSet struct {
	mu   sync.Mutex
	cmds []*exec.Cmd
}

func (s *childSet) add(cmd *exec.Cmd) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cmds = append(s.cmds, cmd)
}

// killChildren kills the process group of every started Command not yet waited for.
func killChildren() {
	children.mu.Lock()
	defer children.mu.Unlock()
	for _, c := range children.cmds {
		if c.Process != nil && c.ProcessState == nil {
			_ = KillGroup(c)
		}
	}
}
