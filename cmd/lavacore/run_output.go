package main

import (
	"encoding/json"
	"io"
	"time"

	"github.com/lavacore/lavacore/core/runner"
	"github.com/lavacore/lavacore/sdk"
)

// outcomeStatus is run's exit status for a job that ran: 0 Complete, 3 when
// a sub-job is Incomplete with an InfrastructureError, else 1.
func outcomeStatus(out *runner.Outcome) int {
	if out.OK() {
		return exitOK
	}
	for _, s := range out.SubJobs {
		if s.Health != "Complete" && s.Type == string(sdk.Infrastructure) {
			return exitInfra
		}
	}
	return exitFailed
}

// runErrorStatus is run's exit status when the job could not start: 2 when
// the job, its devices or the lab are wrong (a Configuration error), else 1.
func runErrorStatus(err error) int {
	switch sdk.TypeOf(err) {
	case sdk.Configuration, sdk.Job:
		return exitInvalid
	case sdk.Infrastructure:
		return exitInfra
	}
	return exitFailed
}

// outcomeRecord is run --output json's last NDJSON record.
type outcomeRecord struct {
	Outcome outcomeJSON `json:"outcome"`
}

type outcomeJSON struct {
	JobName    string           `json:"job_name"`
	Health     string           `json:"health"`
	ExitStatus int              `json:"exit_status"`
	SubJobs    []subOutcomeJSON `json:"sub_jobs"`
}

type subOutcomeJSON struct {
	JobID     string  `json:"job_id"`
	Role      string  `json:"role"`
	SubID     int     `json:"sub_id"`
	Device    string  `json:"device"`
	OutputDir string  `json:"output_dir"`
	Health    string  `json:"health"`
	Error     string  `json:"error,omitempty"`
	ErrorType string  `json:"error_type,omitempty"`
	Duration  float64 `json:"duration"`
}

// seconds turns a Go duration string ("1m2.5s") into seconds (0 when empty).
func seconds(d string) float64 {
	v, err := time.ParseDuration(d)
	if err != nil {
		return 0
	}
	return v.Seconds()
}

// writeOutcome prints the outcome as one NDJSON line.
func writeOutcome(w io.Writer, out *runner.Outcome, code int) error {
	r := outcomeRecord{Outcome: outcomeJSON{JobName: out.Job, Health: out.Health, ExitStatus: code, SubJobs: []subOutcomeJSON{}}}
	for _, s := range out.SubJobs {
		r.Outcome.SubJobs = append(r.Outcome.SubJobs, subOutcomeJSON{
			JobID: s.JobID, Role: s.Role, SubID: s.SubID, Device: s.Device, OutputDir: s.Dir,
			Health: s.Health, Error: s.Error, ErrorType: s.Type, Duration: seconds(s.Took),
		})
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
