package htmlreport

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// MaxLines bounds the console lines kept per sub-job; later lines are
// counted, not shown.
const MaxLines = 200000

// maxLogLine bounds one log.yaml line read (LAVA's record limit is 100 kB).
const maxLogLine = 1 << 20

// Line is one console line (or error record) of a sub-job's log.
type Line struct {
	T   time.Time
	Lvl string // target, input, feedback, error
	NS  string // feedback: the namespace it came from
	Msg string
}

// Action is one action's run: its start and end records.
type Action struct {
	Level, Name, NS string
	Depth           int // number of dots in Level
	Start, End      time.Time
	Timeout         time.Duration // from the start record
	Ended           bool          // an end record was logged
	Failed          bool          // an error was logged while it ran (not by a child that ended)
	From, To        int           // its console lines: Lines[From:To] of its sub-job
}

// Duration is how long the action ran.
func (a *Action) Duration() time.Duration { return a.End.Sub(a.Start) }

// MNEvent is one protocol call of a sub-job (a lava-send, lava-wait, ... with
// its message ID), from its request record to its reply record.
type MNEvent struct {
	Proto, Request, ID string
	Req, Rep           time.Time
	Answered           bool
	Response           string   // ack, nack, failed
	From               []string // the job ids whose messages the reply carried
}

// Result is one entry of results.yaml.
type Result struct {
	Suite, Name, Result, Measurement, Unit string
}

// ErrorItem is an error the sub-job logged, with the action it happened in.
type ErrorItem struct {
	Msg    string
	Action int // index in Actions, -1 outside any action
	Line   int // its index in Lines
}

// SubJob is what one (sub-)job's output directory holds.
type SubJob struct {
	Dir                 string // relative to the report's output directory ("." for a single job)
	Role                string
	SubID               int
	JobID, Device       string
	Health, Error, Type string
	Start, End          time.Time
	Actions             []Action
	Lines               []Line
	Dropped             int // console lines over MaxLines
	MN                  []MNEvent
	Results             []Result
	Errors              []ErrorItem
	SkippedRecords      int // log.yaml lines that did not parse
}

// Label names the sub-job in the report: "guest.0 (job 1001)".
func (s *SubJob) Label() string {
	if s.Role == "" {
		return "job " + s.JobID
	}
	return fmt.Sprintf("%s.%d (job %s)", s.Role, s.SubID, s.JobID)
}

// Short is the role and sub_id, or the job id of a single job.
func (s *SubJob) Short() string {
	if s.Role == "" {
		return "job " + s.JobID
	}
	return fmt.Sprintf("%s.%d", s.Role, s.SubID)
}

// Group is a whole run: its sub-jobs in job id order.
type Group struct {
	Name, Health string
	SubJobs      []*SubJob
	Start, End   time.Time
}

// Load reads a run's output directory: a single job's (log.yaml in dir) or a
// MultiNode group's (one sub-directory per sub-job, summary.yaml in dir).
func Load(dir string) (*Group, error) {
	g := &Group{}
	var summary struct {
		Job    string `yaml:"job_name"`
		Health string `yaml:"health"`
	}
	if b, err := os.ReadFile(filepath.Join(dir, "summary.yaml")); err == nil {
		if err := yaml.Unmarshal(b, &summary); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "summary.yaml"), err)
		}
		g.Name, g.Health = summary.Job, summary.Health
	}
	var subdirs []string
	if fileExists(filepath.Join(dir, "log.yaml")) {
		subdirs = []string{"."}
	} else {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("output directory: %w", err)
		}
		for _, e := range ents {
			if e.IsDir() && fileExists(filepath.Join(dir, e.Name(), "log.yaml")) {
				subdirs = append(subdirs, e.Name())
			}
		}
	}
	if len(subdirs) == 0 {
		return nil, fmt.Errorf("%s: no log.yaml, neither in it nor in a sub-directory: not a lavacore run's output directory", dir)
	}
	for _, sd := range subdirs {
		s, err := loadSubJob(filepath.Join(dir, sd))
		if err != nil {
			return nil, err
		}
		s.Dir = sd
		g.SubJobs = append(g.SubJobs, s)
	}
	sort.SliceStable(g.SubJobs, func(i, j int) bool {
		a, b := g.SubJobs[i], g.SubJobs[j]
		ai, aerr := strconv.Atoi(a.JobID)
		bi, berr := strconv.Atoi(b.JobID)
		if aerr == nil && berr == nil && ai != bi {
			return ai < bi
		}
		if a.Role != b.Role {
			return a.Role < b.Role
		}
		return a.SubID < b.SubID
	})
	for _, s := range g.SubJobs {
		if s.Start.IsZero() {
			continue
		}
		if g.Start.IsZero() || s.Start.Before(g.Start) {
			g.Start = s.Start
		}
		if s.End.After(g.End) {
			g.End = s.End
		}
	}
	if g.Health == "" {
		g.Health = "Complete"
		for _, s := range g.SubJobs {
			if s.Health != "Complete" {
				g.Health = s.Health
			}
		}
	}
	if g.Name == "" && len(g.SubJobs) > 0 {
		g.Name = g.SubJobs[0].JobID
	}
	return g, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func loadSubJob(dir string) (*SubJob, error) {
	s := &SubJob{SubID: -1}
	var res struct {
		Role   string `yaml:"role"`
		SubID  int    `yaml:"sub_id"`
		JobID  string `yaml:"job_id"`
		Device string `yaml:"device"`
		Health string `yaml:"health"`
		Error  string `yaml:"error"`
		Type   string `yaml:"error_type"`
	}
	if b, err := os.ReadFile(filepath.Join(dir, "result.yaml")); err == nil {
		if err := yaml.Unmarshal(b, &res); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "result.yaml"), err)
		}
		s.Role, s.SubID, s.JobID, s.Device = res.Role, res.SubID, res.JobID, res.Device
		s.Health, s.Error, s.Type = res.Health, res.Error, res.Type
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("result.yaml: %w", err)
	}
	if s.Health == "" {
		s.Health = "Unknown" // the run did not finish writing its output
	}
	if err := s.readLog(filepath.Join(dir, "log.yaml")); err != nil {
		return nil, err
	}
	if err := s.readResults(filepath.Join(dir, "results.yaml")); err != nil {
		return nil, err
	}
	return s, nil
}

var (
	startRE = regexp.MustCompile(`^start: (\S+) (\S+) \(timeout (\d+):(\d\d):(\d\d)\) \[([^\]]*)\]$`)
	endRE   = regexp.MustCompile(`^end: (\S+) (\S+) \(duration [0-9:]+\) \[([^\]]*)\]$`)
	// the protocol call records core/runner logs (see its protolog.go)
	protoRE = regexp.MustCompile(`^protocol (\S+): (\S+) (\S+): (request|ack|nack|wait|failed|\S+)(?: from (.*))?$`)
)

// readLog reads log.yaml one record (line) at a time, so that a log cut short
// by a killed run still shows what it holds.
func (s *SubJob) readLog(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("job log: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), maxLogLine)
	var stack []int // indexes of the running actions, innermost last
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) < 3 || line[0] != '-' || line[1] != ' ' {
			continue
		}
		var rec struct {
			DT  string `yaml:"dt"`
			Lvl string `yaml:"lvl"`
			Msg any    `yaml:"msg"`
			NS  string `yaml:"ns"`
		}
		if err := yaml.Unmarshal(line[2:], &rec); err != nil {
			s.SkippedRecords++
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, rec.DT)
		if err != nil {
			s.SkippedRecords++
			continue
		}
		if s.Start.IsZero() {
			s.Start = t
		}
		if t.After(s.End) {
			s.End = t
		}
		msg, isString := rec.Msg.(string)
		switch rec.Lvl {
		case "results":
			continue
		case "target", "input", "feedback", "error":
			if !isString {
				msg = fmt.Sprint(rec.Msg)
			}
			if rec.Lvl == "error" {
				act := -1
				if len(stack) > 0 {
					act = stack[len(stack)-1]
					s.Actions[act].Failed = true
				}
				s.Errors = append(s.Errors, ErrorItem{Msg: msg, Action: act, Line: len(s.Lines)})
			}
			if len(s.Lines) >= MaxLines {
				s.Dropped++
				continue
			}
			s.Lines = append(s.Lines, Line{T: t, Lvl: rec.Lvl, NS: rec.NS, Msg: msg})
			continue
		}
		if !isString {
			continue
		}
		if m := startRE.FindStringSubmatch(msg); m != nil {
			h, _ := strconv.Atoi(m[3])
			mi, _ := strconv.Atoi(m[4])
			se, _ := strconv.Atoi(m[5])
			s.Actions = append(s.Actions, Action{Level: m[1], Name: m[2], NS: m[6], Depth: strings.Count(m[1], "."),
				Start: t, End: t, Timeout: time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute + time.Duration(se)*time.Second,
				From: len(s.Lines), To: len(s.Lines)})
			stack = append(stack, len(s.Actions)-1)
			continue
		}
		if m := endRE.FindStringSubmatch(msg); m != nil {
			// close the innermost running action of that level (and any
			// inner one left open)
			for i := len(stack) - 1; i >= 0; i-- {
				a := &s.Actions[stack[i]]
				if a.Level == m[1] && a.Name == m[2] {
					for _, k := range stack[i:] {
						s.Actions[k].End, s.Actions[k].To = t, len(s.Lines)
					}
					a.Ended = true
					stack = stack[:i]
					break
				}
			}
			continue
		}
		if m := protoRE.FindStringSubmatch(msg); m != nil {
			s.protocolRecord(t, m)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	// actions still running when the log ends ran to its end
	for _, k := range stack {
		s.Actions[k].End, s.Actions[k].To = s.End, len(s.Lines)
	}
	for i := range s.MN {
		if !s.MN[i].Answered {
			s.MN[i].Rep = s.End
		}
	}
	return nil
}

func (s *SubJob) protocolRecord(t time.Time, m []string) {
	proto, req, id, what := m[1], m[2], m[3], m[4]
	if what == "request" {
		s.MN = append(s.MN, MNEvent{Proto: proto, Request: req, ID: id, Req: t})
		return
	}
	var from []string
	if m[5] != "" {
		from = strings.Split(m[5], ", ")
	}
	for i := len(s.MN) - 1; i >= 0; i-- {
		e := &s.MN[i]
		if !e.Answered && e.Proto == proto && e.Request == req && e.ID == id {
			e.Rep, e.Answered, e.Response, e.From = t, true, what, from
			return
		}
	}
	// a reply without its request record: an instant call
	s.MN = append(s.MN, MNEvent{Proto: proto, Request: req, ID: id, Req: t, Rep: t, Answered: true, Response: what, From: from})
}

func (s *SubJob) readResults(path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	var list []map[string]any
	if err := yaml.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	str := func(m map[string]any, k string) string {
		if v, ok := m[k]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	}
	for _, m := range list {
		s.Results = append(s.Results, Result{Suite: str(m, "suite"), Name: str(m, "name"), Result: str(m, "result"),
			Measurement: str(m, "measurement"), Unit: str(m, "unit")})
	}
	return nil
}
