package lavaservere2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// dispatcherRun is one job run under a worker by one lava-run (Debian's or lavacore's, chosen
// by the worker's PATH), and what the server and /proc saw of it.
type dispatcherRun struct {
	name, marker, path string // marker: a line only this lava-run logs
	js                 jobState
	log                string
	span               time.Duration // first → last log record
	lived              time.Duration // the lava-run process, seen in /proc
	toQ                time.Duration // lava-run's start → its QEMU child (0: none)
	qemuNice           int
	peakDisp, peakQEMU int           // kB
	setup, board, end  time.Duration // logPhases
	procs              []string
	lines              int
	cases              []string // suite/name=result, in the server's order
}

// bothDispatchers lists the runs of a comparison: Debian's lava-run then lavacore's (installed
// in prefix), alternating, LAVACORE_LAVA_SERVER_REPEAT times (default once: the machine's load
// varies).
func bothDispatchers(prefix string) []*dispatcherRun {
	reps, _ := strconv.Atoi(os.Getenv("LAVACORE_LAVA_SERVER_REPEAT"))
	var runs []*dispatcherRun
	for range max(reps, 1) {
		runs = append(runs,
			&dispatcherRun{name: "Debian lava-run 2023.01", marker: "lava-dispatcher, installed at version", path: "/usr/bin"},
			&dispatcherRun{name: "lavacore lava-run", marker: "lavacore: job", path: filepath.Join(prefix, "bin")})
	}
	return runs
}

// run submits definition with w's jobs finding r's lava-run first, waits up to timeout for it to
// finish and records the figures; the test fails unless the job is Complete, was run by r's
// lava-run, and left nothing of lavacore's (installed in prefix) running.
func (r *dispatcherRun) run(t *testing.T, s *server, w *worker, prefix, definition string, timeout time.Duration) {
	t.Helper()
	w.setPath(t, r.path)
	id := submitOnly(t, s, definition)
	smp := newSampler(id)
	r.js = wait(t, s, id, timeout)
	smp.finish()
	r.log = jobLog(t, s, id)
	saveJobLog(t, r.name, id, r.log)
	r.span, r.lived, r.peakDisp, r.peakQEMU = logSpan(r.log), smp.last.Sub(smp.first), smp.peakDisp, smp.peakQEMU
	if !smp.qemuAt.IsZero() {
		r.toQ = smp.qemuAt.Sub(smp.first)
	}
	r.qemuNice = smp.qemuNice
	r.setup, r.board, r.end = logPhases(r.log)
	for n := range smp.names {
		r.procs = append(r.procs, n)
	}
	sort.Strings(r.procs)
	r.lines = strings.Count(r.log, "\n- {")
	suites := jobSuites(t, s, id)
	for _, c := range jobTests(t, s, id) {
		r.cases = append(r.cases, suites[fmt.Sprint(c.Suite)]+"/"+c.Name+"="+c.Result)
	}
	if r.js.Health != "Complete" {
		t.Errorf("%s: job %d %s (%s)\nlog:\n%s", r.name, id, r.js.Health, r.js.FailureComment, tail(r.log, 40))
		return
	}
	if left := append(leftovers(prefix), smp.alive()...); len(left) > 0 {
		t.Errorf("%s: job %d is Finished but its processes still run: %v", r.name, id, left)
	}
	if !strings.Contains(r.log, r.marker) {
		t.Errorf("%s: job %d: the log lacks %q: another lava-run ran it:\n%s", r.name, id, r.marker, tail(r.log, 20))
	}
}

// summary is r's figures on one line.
func (r *dispatcherRun) summary() string {
	q := ""
	if r.peakQEMU > 0 {
		q = fmt.Sprintf(", QEMU started after ≈%s (nice %d); qemu's peak RSS %d MiB", r.toQ.Round(100*time.Millisecond), r.qemuNice, r.peakQEMU/1024)
	}
	if r.board > 0 {
		q += fmt.Sprintf("; log phases: before the power-on %s, power-on → tests done %s, then %s; overhead (lived − board) ≈%s",
			r.setup.Round(10*time.Millisecond), r.board.Round(10*time.Millisecond), r.end.Round(10*time.Millisecond), (r.lived - r.board).Round(100*time.Millisecond))
	}
	return fmt.Sprintf("%s: job %d %s on %s; server Running→End %s→%s; log first→last record %s; process lived ≈%s%s; peak RSS of the dispatcher's processes %d MiB (%v); %d log records; %d results %v",
		r.name, r.js.ID, r.js.Health, r.js.ActualDevice, r.js.StartTime, r.js.EndTime, r.span.Round(10*time.Millisecond),
		r.lived.Round(100*time.Millisecond), q, r.peakDisp/1024, r.procs, r.lines, len(r.cases), r.cases)
}

var (
	powerOnRE   = regexp.MustCompile(`(?m)^- \{"dt": "([0-9T:.-]+)[^"]*", "lvl": "[a-z]+", "msg": "start: [0-9.]+ (?:pdu-reboot|power-on) `)
	testsDoneRE = regexp.MustCompile(`(?m)^- \{"dt": "([0-9T:.-]+)[^"]*", "lvl": "[a-z]+", "msg": "end: [0-9]+ lava-test-retry `)
)

// logPhases splits a job log by its records' times: before the board's power-on (the first
// pdu-reboot or power-on action: validation, downloads, overlays), from there to the end of the
// last test action (the board boots and runs the tests), and after (finalize, power-off); zeros
// when the log has no such records.
func logPhases(log string) (setup, board, end time.Duration) {
	recs := dtRE.FindAllStringSubmatch(log, -1)
	on := powerOnRE.FindStringSubmatch(log)
	done := testsDoneRE.FindAllStringSubmatch(log, -1)
	if len(recs) < 2 || on == nil || len(done) == 0 {
		return 0, 0, 0
	}
	at := func(s string) time.Time {
		v, _ := time.Parse("2006-01-02T15:04:05.999999", s)
		return v
	}
	first, last := at(recs[0][1]), at(recs[len(recs)-1][1])
	t0, t1 := at(on[1]), at(done[len(done)-1][1])
	return t0.Sub(first), t1.Sub(t0), last.Sub(t1)
}

// sameResults fails t unless each lavacore run has the results (suite/name=result, in any
// order) of the Debian run before it, and logs what differs.
func sameResults(t *testing.T, runs []*dispatcherRun) {
	t.Helper()
	for i := 1; i < len(runs); i += 2 {
		deb, lc := runs[i-1], runs[i]
		if deb.js.Health != "Complete" || lc.js.Health != "Complete" {
			continue
		}
		onlyDebian, onlyLavacore := caseDiff(deb.cases, lc.cases)
		if len(onlyDebian)+len(onlyLavacore) > 0 {
			t.Errorf("jobs %d and %d: results only Debian's lava-run has: %v; only lavacore's: %v", deb.js.ID, lc.js.ID, onlyDebian, onlyLavacore)
		}
	}
}

// caseDiff lists the results one run has and the other lacks (suite/name=result).
func caseDiff(a, b []string) (onlyA, onlyB []string) {
	count := map[string]int{}
	for _, c := range a {
		count[c]++
	}
	for _, c := range b {
		if count[c] > 0 {
			count[c]--
			continue
		}
		onlyB = append(onlyB, c)
	}
	for _, c := range a {
		if count[c] > 0 {
			count[c]--
			onlyA = append(onlyA, c)
		}
	}
	return onlyA, onlyB
}

// jobSuites maps a job's suite ids to their names (/api/v0.2/jobs/ID/suites/).
func jobSuites(t *testing.T, s *server, id int) map[string]string {
	t.Helper()
	var page struct {
		Results []struct {
			ID   any    `json:"id"`
			Name string `json:"name"`
		} `json:"results"`
	}
	if err := s.api("GET", fmt.Sprintf("/api/v0.2/jobs/%d/suites/?limit=1000", id), nil, &page); err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, r := range page.Results {
		m[fmt.Sprint(r.ID)] = r.Name
	}
	return m
}

// saveJobLog writes a job's log as the server serves it to $LAVACORE_LAVA_SERVER_LOGS/ID.yaml,
// when that is set (for comparing the two dispatchers' logs).
func saveJobLog(t *testing.T, name string, id int, log string) {
	t.Helper()
	dir := os.Getenv("LAVACORE_LAVA_SERVER_LOGS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(dir, strconv.Itoa(id)+".yaml")
	if err := os.WriteFile(f, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: job %d's log: %s", name, id, f)
}
