package pipeline

import (
	"testing"
	"time"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/core/job"
)

func TestConnectionTimeout(t *testing.T) {
	j := &job.Job{Timeouts: job.Timeouts{Connection: &job.Timeout{Duration: 3 * time.Minute},
		Connections: map[string]job.Timeout{"lava-test-shell": {Duration: 7 * time.Second}}}}
	p := &Pipeline{Job: j, Device: &device.Device{ConnectionTimeouts: map[string]time.Duration{"bootloader-commands": 30 * time.Second, "lava-test-shell": 10 * time.Second}}}
	for name, want := range map[string]time.Duration{"login-action": 3 * time.Minute, "bootloader-commands": 30 * time.Second, "lava-test-shell": 7 * time.Second} {
		if got := p.connectionTimeout(name); got != want {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
}
