package runner

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lavacore/lavacore/core/console"
	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/core/job"
	"github.com/lavacore/lavacore/core/report"
	"github.com/lavacore/lavacore/sdk"
)

// What a sub-job waits for, said to the live view (report.SubView) by the
// wrappers every console Expect, protocol call and power command of its
// actions goes through — plugins' calls too, since they reach the host's
// console and protocols over gRPC.

// waiter hears what a sub-job waits for; the returned func ends the wait.
type waiter interface {
	Waiting(what string, deadline time.Time) (done func())
}

// group is what a sub-job knows of its MultiNode group: the number of
// sub-jobs of each role and in all.
type group struct {
	size  int
	roles map[string]int
}

func groupOf(j *job.Job) group {
	g := group{roles: map[string]int{}}
	if j.MultiNode == nil {
		return g
	}
	for name, r := range j.MultiNode.Roles {
		g.roles[name] = r.Count
		g.size += r.Count
	}
	return g
}

// waiting announces a wait to the view (none: nothing); call the returned
// func when it ends.
func (c *clock) waiting(what string, deadline time.Time) func() {
	if c.view == nil {
		return func() {}
	}
	return c.view.Waiting(what, deadline)
}

// expectDeadline is when an Expect gives up: ctx's deadline or timeout
// from now, whichever comes first (zero: neither).
func expectDeadline(ctx context.Context, timeout time.Duration) time.Time {
	d, _ := ctx.Deadline()
	if timeout > 0 {
		if t := time.Now().Add(timeout); d.IsZero() || t.Before(d) {
			d = t
		}
	}
	return d
}

// A wait names at most maxPatterns patterns, each cut to maxPattern characters.
const (
	maxPatterns = 3
	maxPattern  = 40
)

// expectWait says what an Expect waits for:
// "waiting for 'login:' or 'Login incorrect' on the console".
func expectWait(patterns []string) string {
	var qs []string
	for i, p := range patterns {
		if i == maxPatterns {
			qs = append(qs, fmt.Sprintf("%d more patterns", len(patterns)-i))
			break
		}
		if utf8.RuneCountInString(p) > maxPattern {
			p = string([]rune(p)[:maxPattern-1]) + "…"
		}
		qs = append(qs, "'"+p+"'")
	}
	switch len(qs) {
	case 0:
		return "waiting for the console"
	case 1:
		return "waiting for " + qs[0] + " on the console"
	}
	return "waiting for " + strings.Join(qs[:len(qs)-1], ", ") + " or " + qs[len(qs)-1] + " on the console"
}

// protocolWait says what a protocol call waits for, e.g.
// "waiting for lava_start from host (lava-wait-all, 3 sub-jobs)".
func protocolWait(name string, req map[string]any, g group) string {
	r, _ := req["request"].(string)
	id, _ := req["messageID"].(string)
	if r == "" || id == "" {
		if r != "" {
			return fmt.Sprintf("waiting for %s %s", name, r)
		}
		return "waiting for " + name
	}
	switch r {
	case "lava-send":
		return fmt.Sprintf("sending %s to the group (%s)", id, r)
	case "lava-wait":
		return fmt.Sprintf("waiting for %s from another sub-job (%s)", id, r)
	case "lava-wait-all":
		if role, _ := req["waitrole"].(string); role != "" {
			return fmt.Sprintf("waiting for %s from %s (%s, %s)", id, role, r, subJobs(g.roles[role]))
		}
		return fmt.Sprintf("waiting for %s from the group (%s, %s)", id, r, subJobs(g.size))
	case "lava-sync":
		return fmt.Sprintf("waiting for the group to reach %s (%s, %s)", id, r, subJobs(g.size))
	}
	return fmt.Sprintf("waiting for %s %s %s", name, r, id)
}

func subJobs(n int) string {
	if n == 1 {
		return "1 sub-job"
	}
	return fmt.Sprintf("%d sub-jobs", n)
}

// powerWait says what a power command waits for.
func powerWait(cmd string) string { return "running power command: " + cmd }

// startView makes the run's live view on o.Stdout (nil when there is none)
// and ticks it until stop, which erases its status lines.
func startView(ctx context.Context, o Options) (view *report.View, stop func(), err error) {
	if o.Stdout == nil {
		return nil, func() {}, nil
	}
	mode, color, err := report.DetectMode(o.Progress, o.JSON, o.Stdout, os.Getenv)
	if err != nil {
		return nil, nil, fmt.Errorf("runner: %w", err)
	}
	view = report.NewView(o.Stdout, report.ViewOptions{Mode: mode, Color: color, Console: o.Console, Debug: o.Debug,
		Width: report.TerminalWidth(o.Stdout)})
	every := time.Second
	if mode == report.ModeTTY {
		every = 250 * time.Millisecond // a few redraws a second
	}
	ticker := time.NewTicker(every)
	vctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		view.Run(vctx, ticker.C)
	}()
	return view, func() {
		cancel()
		ticker.Stop()
		<-ended
		view.Close()
	}, nil
}

// devicePower runs the device's power commands one at a time, each said to
// the view while it runs.
func devicePower(dev *device.Device, clk *clock, log Logger) PowerRunner {
	return func(ctx context.Context, op string) error {
		cmds := powerCommands(dev, op)
		if len(cmds) == 0 {
			return sdk.ConfigErrorf("device %s has no %s command", dev.Name, op)
		}
		for _, c := range cmds {
			done := clk.waiting(powerWait(c), time.Time{})
			err := console.RunCommands(ctx, []string{c}, func(l sdk.LogLevel, m string) { log.Add(string(l), m) })
			done()
			if err != nil {
				return err
			}
		}
		return nil
	}
}
