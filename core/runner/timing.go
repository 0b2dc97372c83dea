package runner

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/sdk"
)

// Timing splits a sub-job's wall time into the time spent waiting on the
// board (console waits: firmware, bootloader, kernel, login, test output;
// power commands), waiting on the group's other sub-jobs (MultiNode
// protocol calls), and the rest, which is lavacore's own work (downloads,
// overlays, plugins, scp) — in result.yaml and summary.yaml.
type Timing struct {
	Wall     string   `yaml:"wall"`
	Board    string   `yaml:"board"`
	Group    string   `yaml:"group,omitempty"`
	Lavacore string   `yaml:"lavacore"`
	Actions  []string `yaml:"actions,omitempty"` // top-level actions: "level name duration"
}

// clock accumulates a sub-job's waits, and says each to the view as it
// starts and ends; every console and protocol call of its actions goes
// through the hosts it hands out.
type clock struct {
	board, group atomic.Int64 // nanoseconds
	mu           sync.Mutex
	actions      []string
	view         waiter // nil: no view
	peers        group  // the MultiNode group, for the protocol waits
}

func (c *clock) since(d *atomic.Int64, start time.Time) { d.Add(int64(time.Since(start))) }

func (c *clock) actionEnd(ev pipeline.ActionEvent) {
	if strings.Contains(ev.Level, ".") {
		return // only top-level actions
	}
	c.mu.Lock()
	c.actions = append(c.actions, fmt.Sprintf("%s %s %s", ev.Level, ev.Name, ev.Duration.Round(time.Millisecond)))
	c.mu.Unlock()
}

func (c *clock) timing(wall time.Duration) *Timing {
	board, group := time.Duration(c.board.Load()), time.Duration(c.group.Load())
	own := wall - board - group
	if own < 0 { // overlapping waits (several namespaces at once)
		own = 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &Timing{Wall: wall.Round(time.Millisecond).String(), Board: board.Round(time.Millisecond).String(),
		Lavacore: own.Round(time.Millisecond).String(), Actions: append([]string(nil), c.actions...)}
	if group > 0 {
		t.Group = group.Round(time.Millisecond).String()
	}
	return t
}

// timedHost counts the host's board and group waits.
type timedHost struct {
	sdk.Host
	c *clock
}

func (h *timedHost) Power(ctx context.Context, op string) error {
	defer h.c.since(&h.c.board, time.Now())
	return h.Host.Power(ctx, op)
}

func (h *timedHost) Protocol(ctx context.Context, name string, req map[string]any) (map[string]any, error) {
	defer h.c.since(&h.c.group, time.Now())
	defer h.c.waiting(protocolWait(name, req, h.c.peers), time.Time{})()
	return h.Host.Protocol(ctx, name, req)
}

// timedConsole counts the time spent waiting for the board's output.
type timedConsole struct {
	sdk.Console
	c *clock
}

func (t *timedConsole) Expect(ctx context.Context, patterns []string, timeout time.Duration) (sdk.Match, error) {
	defer t.c.since(&t.c.board, time.Now())
	defer t.c.waiting(expectWait(patterns), expectDeadline(ctx, timeout))()
	return t.Console.Expect(ctx, patterns, timeout)
}

// Stream passes the console's raw output through (sdk.Streamer).
func (t *timedConsole) Stream(ctx context.Context) (io.ReadCloser, error) {
	return stream(ctx, t.Console)
}

// stream is c's raw output when c can stream it.
func stream(ctx context.Context, c sdk.Console) (io.ReadCloser, error) {
	if s, ok := c.(sdk.Streamer); ok {
		return s.Stream(ctx)
	}
	return nil, sdk.InfraErrorf("the console (%T) cannot stream its raw output", c)
}
