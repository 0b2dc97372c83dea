package lavarun

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lavacore/lavacore/core/report"
)

// LAVA's log sender (lava_common/log.py) limits.
const (
	// MaxRecords is the most records one POST carries.
	MaxRecords = 1000
	// MaxBatchBytes bounds one POST's records (Django's default request
	// limit, DATA_UPLOAD_MAX_MEMORY_SIZE, is 2.5 MiB once form-encoded).
	MaxBatchBytes = 1 << 20
	// PostTimeout is LAVA HEAD's timeout of one POST.
	PostTimeout = 120 * time.Second
	// FailureSleep is LAVA HEAD's pause after a failed POST.
	FailureSleep = 5 * time.Second
)

// Clock is the streamer's time (a fake in tests).
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// StreamConfig configures a Streamer.
type StreamConfig struct {
	// URL is where records are POSTed: <server>/scheduler/internal/v1/jobs/<id>/logs/.
	URL   string
	Token string // the job's token, sent as LAVA-Token
	JobID string // for the server's "Unknown job 'ID'" answer
	// Interval is the time between two POSTs (--job-log-interval); 0 sends
	// as soon as records are there.
	Interval time.Duration
	// Spool is the file records wait in until the server has them (created,
	// removed by Close): memory stays bounded whatever the server does.
	Spool  string
	Client *http.Client // nil: http.DefaultClient
	Clock  Clock        // nil: the real clock
	// FailureSleep is the pause after a failed POST (0: FailureSleep).
	FailureSleep time.Duration
	// Stderr receives the sender's errors (lava-worker posts lava-run's
	// stderr to the server as the job's errors); nil discards them.
	Stderr io.Writer
	// OnJobGone is called once when the server says the job does not exist
	// any more (LAVA HEAD then cancels the job); later records are dropped.
	OnJobGone func()
	// UserAgent is sent with every POST.
	UserAgent string
}

// Streamer sends job log records to LAVA's server as lava-run's HTTP
// handler does: form fields `lines` (the records as YAML list items, byte
// for byte the lines of log.yaml) and `index` (records the server has), the
// LAVA-Token header, one POST per interval or per 1000 records, the server's
// line_count deciding what was taken, failed POSTs retried with the same
// records and index, and a final flush at Close. It is a report.Sink.
type Streamer struct {
	cfg StreamConfig

	mu      sync.Mutex
	spool   *os.File
	written int  // records in the spool
	acked   int  // records the server has (or dropped: gone)
	closing bool // Close has been called
	gone    bool // the server does not know the job
	werr    error
	lost    int // records the spool could not take

	wake  chan struct{}
	abort chan struct{}
	done  chan struct{}
	err   error // the sender's end
	// sender's state
	reader    *os.File
	ackOff    int64
	max       int
	failures  int
	lastError string
	// substitute: the first pending record is too large for the server
	// even alone; LAVA HEAD sends a log-upload failure result instead.
	substitute bool
}

// NewStreamer creates the spool and starts the sender.
func NewStreamer(cfg StreamConfig) (*Streamer, error) {
	if cfg.Client == nil {
		cfg.Client = http.DefaultClient
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.FailureSleep <= 0 {
		cfg.FailureSleep = FailureSleep
	}
	if cfg.Interval < 0 {
		cfg.Interval = 0
	}
	if cfg.Stderr == nil {
		cfg.Stderr = io.Discard
	}
	w, err := os.OpenFile(cfg.Spool, os.O_CREATE|os.O_TRUNC|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("log spool: %w", err)
	}
	r, err := os.Open(cfg.Spool)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("log spool: %w", err)
	}
	s := &Streamer{cfg: cfg, spool: w, reader: r, max: MaxRecords,
		wake: make(chan struct{}, 1), abort: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s, nil
}

// Write queues one record (report.Sink).
func (s *Streamer) Write(r report.Record) { s.WriteLine(r.YAML()) }

// WriteLine queues one record already rendered as log.yaml renders it
// (without the "- " and the newline).
func (s *Streamer) WriteLine(line string) {
	if line == "" {
		return
	}
	line = strings.ReplaceAll(line, "\n", " ") // a record is one line
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing || s.gone {
		return
	}
	if s.werr != nil {
		s.lost++
		return
	}
	if _, err := s.spool.WriteString(line + "\n"); err != nil {
		s.werr = err
		s.lost++
		return
	}
	s.written++
	if p := s.written - s.acked; p == 1 || p >= MaxRecords {
		s.signal()
	}
}

func (s *Streamer) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Pending is the number of records the server does not have yet.
func (s *Streamer) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.written - s.acked
}

// Close sends what is left and stops the sender. ctx bounds the final
// flush: when it ends first, the records not sent are reported in the error
// (they are still in the job's log.yaml). The spool is removed.
func (s *Streamer) Close(ctx context.Context) error {
	s.mu.Lock()
	already := s.closing
	s.closing = true
	s.mu.Unlock()
	if !already {
		s.signal()
	}
	select {
	case <-s.done:
	case <-ctx.Done():
		close(s.abort)
		<-s.done
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spool.Close()
	s.reader.Close()
	os.Remove(s.cfg.Spool)
	var errs []error
	if n := s.written - s.acked; n > 0 {
		errs = append(errs, fmt.Errorf("%d log records not sent to %s (waited for the server until %v)", n, s.cfg.URL, context.Cause(ctx)))
	}
	if s.lost > 0 {
		errs = append(errs, fmt.Errorf("%d log records lost: log spool %s: %v", s.lost, s.cfg.Spool, s.werr))
	}
	return errors.Join(errs...)
}

// run is the sender.
func (s *Streamer) run() {
	defer close(s.done)
	clk := s.cfg.Clock
	last := clk.Now()
	for {
		s.mu.Lock()
		pending, closing := s.written-s.acked, s.closing
		s.mu.Unlock()
		if pending == 0 {
			if closing {
				return
			}
			if !s.wait(nil) {
				return
			}
			continue
		}
		elapsed := clk.Now().Sub(last)
		if !closing && pending < MaxRecords && elapsed < s.cfg.Interval {
			if !s.wait(clk.After(s.cfg.Interval - elapsed)) {
				return
			}
			continue
		}
		last = clk.Now()
		if !s.post(pending) {
			select {
			case <-clk.After(s.cfg.FailureSleep):
			case <-s.abort:
				return
			}
		}
	}
}

// wait waits for a record, the timer t (nil: none) or the abort; false on abort.
func (s *Streamer) wait(t <-chan time.Time) bool {
	select {
	case <-s.wake:
	case <-t:
	case <-s.abort:
		return false
	}
	return true
}

// post sends up to s.max of the pending records; false when the server did
// not take any (the caller waits before trying again).
func (s *Streamer) post(pending int) bool {
	lines, ends, err := s.readBatch(min(pending, s.max))
	if err != nil {
		s.failed("spool: " + err.Error())
		return false
	}
	if s.substitute {
		fmt.Fprintf(s.cfg.Stderr, "%s ERROR [LOGGER] POST: Log post request body exceeds server settings param.\nLog line length: %d\nTruncated log line: %.1024s ...\n",
			stamp(), len(lines[0]), lines[0])
		lines[0] = report.Record{DT: s.cfg.Clock.Now().UTC(), Lvl: "results",
			Msg: report.Fields{{Key: "definition", Value: "lava"}, {Key: "case", Value: "log-upload"}, {Key: "result", Value: "fail"}}}.YAML()
	}
	body := url.Values{"lines": {"- " + strings.Join(lines, "\n- ")}, "index": {strconv.Itoa(s.ackedCount())}}
	ctx, cancel := context.WithTimeout(context.Background(), PostTimeout)
	defer cancel()
	go func() {
		select {
		case <-s.abort:
			cancel()
		case <-ctx.Done():
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.URL, strings.NewReader(body.Encode()))
	if err != nil {
		s.failed(err.Error())
		return false
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("LAVA-Token", s.cfg.Token)
	req.Header.Set("Accept", "application/json")
	if s.cfg.UserAgent != "" {
		req.Header.Set("User-Agent", s.cfg.UserAgent)
	}
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		s.failed("POST: " + err.Error())
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch resp.StatusCode {
	case http.StatusOK:
		var r struct {
			LineCount *int `json:"line_count"`
		}
		if json.Unmarshal(b, &r) != nil || r.LineCount == nil || *r.LineCount <= 0 {
			s.failed(fmt.Sprintf("POST: 200 - unexpected answer %s", clip(b)))
			return false
		}
		n := min(*r.LineCount, len(lines))
		s.advance(n, ends[n-1])
		if s.substitute {
			s.substitute, s.max = false, MaxRecords
		}
		s.recovered()
		return true
	case http.StatusNotFound:
		var r struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &r) == nil && r.Error == fmt.Sprintf("Unknown job '%s'", s.cfg.JobID) {
			s.jobGone()
			return true
		}
	case http.StatusRequestEntityTooLarge:
		if len(lines) > 1 {
			s.max = max(1, len(lines)/2)
		} else {
			s.substitute = true
		}
		return true
	}
	s.failed(fmt.Sprintf("POST: %d - %s", resp.StatusCode, clip(b)))
	return false
}

func (s *Streamer) ackedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acked
}

func (s *Streamer) advance(n int, end int64) {
	s.mu.Lock()
	s.acked += n
	s.mu.Unlock()
	s.ackOff = end
}

// jobGone drops every record: the server will not take them.
func (s *Streamer) jobGone() {
	s.mu.Lock()
	first := !s.gone
	s.gone = true
	s.acked = s.written
	s.mu.Unlock()
	fmt.Fprintf(s.cfg.Stderr, "%s ERROR [LOGGER] POST: the server does not know job %s: dropping the log\n", stamp(), s.cfg.JobID)
	if first && s.cfg.OnJobGone != nil {
		s.cfg.OnJobGone()
	}
}

// readBatch reads up to n records from the first one the server does not
// have, at most MaxBatchBytes (at least one record); ends[i] is the spool
// offset after record i.
func (s *Streamer) readBatch(n int) (lines []string, ends []int64, err error) {
	if _, err := s.reader.Seek(s.ackOff, io.SeekStart); err != nil {
		return nil, nil, err
	}
	br := bufio.NewReaderSize(s.reader, 64<<10)
	off, size := s.ackOff, 0
	for len(lines) < n {
		l, err := br.ReadString('\n')
		if err != nil {
			return nil, nil, fmt.Errorf("record %d: %w", s.ackedCount()+len(lines), err)
		}
		if len(lines) > 0 && size+len(l) > MaxBatchBytes {
			break
		}
		off += int64(len(l))
		size += len(l)
		lines = append(lines, strings.TrimSuffix(l, "\n"))
		ends = append(ends, off)
	}
	return lines, ends, nil
}

// failed reports a failed POST on stderr, once per streak of the same error.
func (s *Streamer) failed(msg string) {
	if msg == s.lastError {
		s.failures++
		return
	}
	s.recovered()
	s.lastError = msg
	fmt.Fprintf(s.cfg.Stderr, "%s ERROR [LOGGER] %s\n", stamp(), msg)
}

func (s *Streamer) recovered() {
	if s.failures > 0 {
		fmt.Fprintf(s.cfg.Stderr, "%s ERROR [LOGGER] POST: <%d consecutive errors skipped>\n", stamp(), s.failures)
	}
	s.failures, s.lastError = 0, ""
}

func stamp() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000000") }

func clip(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
