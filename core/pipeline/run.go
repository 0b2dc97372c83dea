package pipeline

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/lavacore/lavacore/sdk"
)

// ErrTimeout is wrapped by every timeout error Run returns (an action's
// "<name> timed out after N seconds" and "job timed out after N seconds"):
// errors.Is(err, ErrTimeout).
var ErrTimeout = errors.New("timeout")

// CleanupTimeout bounds the whole cleanup phase (LAVA's job-cleanup, 300 s).
const CleanupTimeout = 300 * time.Second

// ActionEvent is what the terminal view hears about an action.
type ActionEvent struct {
	Level, Name, Namespace string
	Start                  time.Time
	Deadline               time.Time
	// Set on ActionEnd only.
	Duration time.Duration
	Err      error
}

// RunEnv is what the runner supplies to Run.
type RunEnv interface {
	// Host lends a method the namespace's console, log, results, data and protocols.
	Host(ns string, call sdk.Call) sdk.Host
	// Log writes a job log record.
	Log(level sdk.LogLevel, msg string)
	// Result records a result in the job's results.
	Result(r sdk.Result)
	// ActionStart and ActionEnd feed the terminal view.
	ActionStart(ev ActionEvent)
	ActionEnd(ev ActionEvent)
}

type started struct {
	n    *Node
	call sdk.Call
}

type runner struct {
	p       *Pipeline
	env     RunEnv
	started []started
}

func (p *Pipeline) now() time.Time { return time.Now() }

func (p *Pipeline) grace() time.Duration {
	if p.Grace > 0 {
		return p.Grace
	}
	return 5 * time.Second
}

// FormatDuration prints d, rounded to the second, as LAVA does in start/end
// lines: HH:MM:SS.
func FormatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d.Round(time.Second) / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, (s/60)%60, s%60)
}

// Run runs the tree: every top-level action in order (a method's Run for the
// node, then its children), retries, nested deadlines under the job's
// timeout, then finalize (always), then the Cleanup of every started action
// in reverse order (always: after an error, a timeout, a panic or a cancel).
// The error is typed (sdk.TypeOf); JobResult turns it into LAVA's job result.
func (p *Pipeline) Run(ctx context.Context, env RunEnv) (err error) {
	r := &runner{p: p, env: env}
	jobCtx, cancel := ctx, context.CancelFunc(func() {})
	if p.JobTimeout > 0 {
		jobCtx, cancel = context.WithDeadline(ctx, p.now().Add(p.JobTimeout))
	}
	defer cancel()
	n := len(p.Actions)
	if n == 0 {
		return nil
	}
	err = r.runTop(ctx, jobCtx, p.Actions[:n-1])
	if err != nil {
		env.Log(sdk.LevelError, err.Error())
	}

	// finalize runs whatever happened, under its own deadline.
	free := context.WithoutCancel(ctx)
	if ferr := r.runNode(free, p.Actions[n-1], 1, true); ferr != nil {
		if err == nil {
			err = ferr
		} else {
			env.Log(sdk.LevelError, "finalize: "+ferr.Error())
		}
	}

	cctx, ccancel := context.WithTimeout(free, CleanupTimeout)
	defer ccancel()
	if cerr := r.cleanup(cctx, 0); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

func (r *runner) runTop(ctx, jobCtx context.Context, nodes []*Node) error {
	for _, n := range nodes {
		if err := r.stopped(ctx, jobCtx); err != nil {
			return err
		}
		err := r.runNode(jobCtx, n, 1, true)
		if serr := r.stopped(ctx, jobCtx); serr != nil {
			return serr
		}
		if err == nil {
			continue
		}
		if n.Section == sdk.SectionTest && n.SkipTimeout && errors.Is(err, ErrTimeout) {
			r.env.Log(sdk.LevelInfo, fmt.Sprintf("skip_timeout is set for %s - continuing to next action block.", n.Name))
			continue
		}
		return err
	}
	return nil
}

// stopped returns the job's own error once ctx is canceled or the job's
// deadline has passed.
func (r *runner) stopped(ctx, jobCtx context.Context) error {
	if ctx.Err() != nil {
		return canceled()
	}
	if d, ok := jobCtx.Deadline(); jobCtx.Err() != nil || (ok && !time.Now().Before(d)) {
		return &sdk.Error{Type: sdk.Job, Msg: fmt.Sprintf("job timed out after %d seconds", int64(r.p.JobTimeout/time.Second)), Err: ErrTimeout}
	}
	return nil
}

func canceled() error {
	return &sdk.Error{Type: sdk.Canceled, Msg: "The job was canceled", Err: context.Canceled}
}

func (r *runner) call(n *Node, attempt int) sdk.Call {
	return sdk.Call{Request: *n.Request, Action: n.Name, Level: n.Level, ConnectionTimeout: n.ConnectionTimeout, Attempt: attempt}
}

// runNode runs one node under its own deadline: min(parent's, start+timeout).
func (r *runner) runNode(ctx context.Context, n *Node, attempt int, top bool) error {
	start := r.p.now()
	deadline := start.Add(n.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	nctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	lvl := sdk.LevelDebug
	if top {
		lvl = sdk.LevelInfo
	}
	r.env.Log(lvl, fmt.Sprintf("start: %s %s (timeout %s) [%s]", n.Level, n.Name, FormatDuration(deadline.Sub(start)), n.Namespace))
	r.env.ActionStart(ActionEvent{Level: n.Level, Name: n.Name, Namespace: n.Namespace, Start: start, Deadline: deadline})

	var err error
	if n.Retry {
		err = r.runRetry(nctx, n, deadline)
	} else {
		err = r.runOnce(nctx, n, attempt)
	}
	if nctx.Err() != nil || !time.Now().Before(deadline) {
		switch {
		case errors.Is(ctx.Err(), context.Canceled):
			err = canceled()
		case errors.Is(err, ErrTimeout):
			// A child's timeout at the same deadline already says which
			// action timed out and what it waited for: it is not wrapped
			// again by every parent ("a timed out: b timed out: c …").
		default:
			// This node's deadline (its own or a parent's) has passed: as in
			// LAVA, the node raises its own timeout error.
			msg := fmt.Sprintf("%s timed out after %d seconds", n.Name, int64(r.p.now().Sub(start)/time.Second))
			// what the method was waiting for, and the console lines that
			// prove it; an error that only wraps the deadline says nothing more
			var wait *sdk.TimeoutError
			if err != nil && (errors.As(err, &wait) || !errors.Is(err, context.DeadlineExceeded)) {
				msg += ": " + err.Error()
			}
			err = &sdk.Error{Type: n.TimeoutError, Err: ErrTimeout, Msg: msg}
			r.env.Log(sdk.LevelError, err.Error())
		}
	}
	dur := r.p.now().Sub(start)
	r.env.Log(lvl, fmt.Sprintf("end: %s %s (duration %s) [%s]", n.Level, n.Name, FormatDuration(dur), n.Namespace))
	r.env.ActionEnd(ActionEvent{Level: n.Level, Name: n.Name, Namespace: n.Namespace, Start: start, Deadline: deadline, Duration: dur, Err: err})
	return err
}

// runOnce runs the node's method, then its children, parents first.
func (r *runner) runOnce(ctx context.Context, n *Node, attempt int) error {
	call := r.call(n, attempt)
	host := r.env.Host(n.Namespace, call)
	r.started = append(r.started, started{n, call})
	if err := r.invoke(ctx, n, call, host, n.Method.Run); err != nil {
		if ctx.Err() == nil {
			r.env.Log(sdk.LevelError, err.Error())
		}
		return err
	}
	for _, c := range n.Children {
		if err := r.runNode(ctx, c, attempt, false); err != nil {
			return err
		}
	}
	return nil
}

func retryable(err error) bool {
	switch sdk.TypeOf(err) {
	case sdk.Infrastructure, sdk.Job, sdk.Test:
		return true
	}
	return false
}

// runRetry is LAVA's RetryAction loop (reference §2.5).
func (r *runner) runRetry(ctx context.Context, n *Node, deadline time.Time) error {
	failures := 0
	for i := 1; i <= n.MaxRetries; i++ {
		mark := len(r.started)
		err := r.runOnce(ctx, n, i)
		if err == nil {
			if !n.Repeat {
				return nil
			}
			continue
		}
		if !retryable(err) || errors.Is(ctx.Err(), context.Canceled) {
			return err
		}
		failures++
		r.env.Log(sdk.LevelError, fmt.Sprintf("%s failed: %d of %d attempts. '%s'", n.Name, failures, n.MaxRetries, err))
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CleanupTimeout)
		_ = r.cleanup(cctx, mark)
		cancel()
		if failures == n.MaxRetries {
			r.env.Log(sdk.LevelError, fmt.Sprintf("%d retries failed for %s", failures, n.Name))
			return err
		}
		if i == n.MaxRetries {
			break
		}
		if r.p.now().Add(n.RetryInterval).After(deadline) {
			return &sdk.Error{Type: sdk.TypeOf(err), Err: err, Msg: fmt.Sprintf(
				"No time left for remaining %d retries. You should either increase block timeout or decrease named action timeout. %d retries out of %d failed for %s",
				n.MaxRetries-i, failures, n.MaxRetries, n.Name)}
		}
		if err := r.sleep(ctx, n.RetryInterval); err != nil {
			return err
		}
		r.env.Log(sdk.LevelWarning, fmt.Sprintf("Retrying: %s %s (timeout %s)", n.Level, n.Name, FormatDuration(deadline.Sub(r.p.now()))))
	}
	if failures > 0 {
		return sdk.JobErrorf("%d retries out of %d failed for %s", failures, n.MaxRetries, n.Name)
	}
	return nil
}

func (r *runner) sleep(ctx context.Context, d time.Duration) error {
	if r.p.Sleep != nil {
		r.p.Sleep(d)
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type methodFunc func(ctx context.Context, call sdk.Call, host sdk.Host) error

// invoke calls a method function in its own goroutine: a panic becomes a Bug
// error, and a method that ignores its deadline is given up on after Grace.
func (r *runner) invoke(ctx context.Context, n *Node, call sdk.Call, host sdk.Host, fn methodFunc) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if rec := recover(); rec != nil {
				r.env.Log(sdk.LevelDebug, fmt.Sprintf("%s %s: panic: %v\n%s", n.Level, n.Name, rec, debug.Stack()))
				done <- &sdk.Error{Type: sdk.Bug, Msg: fmt.Sprintf("%s: panic: %v", n.Name, rec)}
			}
		}()
		done <- fn(ctx, call, host)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	t := time.NewTimer(r.p.grace())
	defer t.Stop()
	select {
	case err := <-done:
		if err == nil {
			err = ctx.Err()
		}
		return err
	case <-t.C:
		r.env.Log(sdk.LevelWarning, fmt.Sprintf("%s %s did not return within %s of its deadline", n.Level, n.Name, r.p.grace()))
		return ctx.Err()
	}
}

// cleanup calls Cleanup on every action started since mark, newest first,
// and forgets them.
func (r *runner) cleanup(ctx context.Context, mark int) error {
	var failed bool
	for i := len(r.started) - 1; i >= mark; i-- {
		s := r.started[i]
		cctx, cancel := context.WithTimeout(ctx, s.n.Timeout)
		host := r.env.Host(s.n.Namespace, s.call)
		if err := r.invoke(cctx, s.n, s.call, host, s.n.Method.Cleanup); err != nil {
			failed = true
			r.env.Log(sdk.LevelError, fmt.Sprintf("cleanup: %s %s: %v", s.n.Level, s.n.Name, err))
		}
		cancel()
	}
	r.started = r.started[:mark]
	if failed {
		return sdk.InfraErrorf("Failed to clean after job")
	}
	return nil
}

// JobResult is LAVA's final result of a job: {definition: lava, case: job,
// result: pass} or {…, result: fail, error_msg, error_type} (in Extra).
func JobResult(err error) sdk.Result {
	if err == nil {
		return sdk.Result{Definition: "lava", Case: "job", Result: "pass"}
	}
	return sdk.Result{Definition: "lava", Case: "job", Result: "fail",
		Extra: map[string]any{"error_msg": err.Error(), "error_type": string(sdk.TypeOf(err))}}
}
