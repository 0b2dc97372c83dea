package report

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/sdk"
)

// Entry is one result as the job log recorded it.
type Entry struct {
	Result sdk.Result
	Msg    Fields    // the msg of its "results" record (starttc/endtc included)
	Logged time.Time // the record's dt
}

// Results collects a job's test results in the order they were logged.
type Results struct {
	// JobID is the job's id, the "job" of every exported result.
	JobID string
	// Hostname is the dispatcher's host name (junit.xml).
	Hostname string
	mu       sync.Mutex
	list     []Entry
}

// Add records r as logged now.
func (rs *Results) Add(r sdk.Result) { rs.AddLogged(r, Map(r), time.Now()) }

// AddLogged records r with the msg and time of its log record (Log.Result).
func (rs *Results) AddLogged(r sdk.Result, msg Fields, at time.Time) {
	rs.mu.Lock()
	rs.list = append(rs.list, Entry{Result: r, Msg: msg, Logged: at})
	rs.mu.Unlock()
}

// All returns a copy of every result.
func (rs *Results) All() []sdk.Result {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	out := make([]sdk.Result, len(rs.list))
	for i, e := range rs.list {
		out[i] = e.Result
	}
	return out
}

// Entries returns a copy of every entry.
func (rs *Results) Entries() []Entry {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]Entry(nil), rs.list...)
}

// extraOrder is the order LAVA's actions add the keys of their results
// (keys not listed follow, sorted); caseOrder overrides it per action.
var extraOrder = []string{"label", "size", "md5sum", "sha256sum", "sha512sum", "success", "fail",
	"commit", "uuid", "filename", "name", "path", "from", "repository", "status", "commands",
	"kind", "message", "returncode", "output_len", "output"}

var caseOrder = map[string][]string{
	"git-repo-action":        {"commit", "repository", "path"},
	"test-overlay":           {"uuid", "name", "path", "from", "repository"},
	"test-runscript-overlay": {"uuid", "filename", "name", "path", "from", "repository"},
}

// topOrder is the order of the keys LAVA writes at the top of a result
// without a level, after definition, case, uuid, repository, path,
// duration, result, measurement and units.
var topOrder = []string{"revision", "namespace", "connection-namespace", "commit_id", "error_msg", "error_type"}

// Map renders r as LAVA's results record (the msg of a "results" log record),
// keys in LAVA's order. An action's result (it has a Level) is
// {definition, namespace, case, level, duration, result, extra: {…}}; any
// other result has its Extra at the top: a test case is {definition, case,
// result, measurement, units, set}, a test run {definition, case, uuid,
// repository, path, duration, result, revision, namespace, commit_id}, the
// job {definition, case, result, error_msg, error_type}. Integral numbers in
// Extra are integers; a measurement is a float. starttc and endtc are the
// job log's to add (Log.Result).
func Map(r sdk.Result) Fields {
	extra := normalize(r.Extra)
	delete(extra, "starttc")
	delete(extra, "endtc")
	pop := func(k string) (any, bool) {
		v, ok := extra[k]
		delete(extra, k)
		return v, ok
	}
	f := Fields{{"definition", r.Definition}}
	add := func(k string, v any) { f = append(f, Field{k, v}) }
	measure := func() {
		if r.Measurement != "" {
			if x, err := strconv.ParseFloat(r.Measurement, 64); err == nil {
				add("measurement", x)
			} else {
				add("measurement", r.Measurement)
			}
		}
		if r.Units != "" {
			add("units", r.Units)
		}
	}
	if r.Level != "" {
		if ns, ok := pop("namespace"); ok {
			add("namespace", ns)
		}
		add("case", r.Case)
		add("level", r.Level)
		if r.Duration != "" {
			add("duration", r.Duration)
		}
		add("result", r.Result)
		measure()
		if len(extra) > 0 {
			order := extraOrder
			if o, ok := caseOrder[r.Case]; ok {
				order = o
			}
			add("extra", ordered(extra, order))
		}
		return f
	}
	if ref, ok := pop("reference"); ok {
		// TESTREFERENCE: LAVA's own order
		f = Fields{{"case", r.Case}, {"definition", r.Definition}, {"result", r.Result}, {"reference", ref}}
		if r.Set != "" {
			add("set", r.Set)
		}
		return append(f, ordered(extra, nil)...)
	}
	add("case", r.Case)
	for _, k := range []string{"uuid", "repository", "path"} {
		if v, ok := pop(k); ok {
			add(k, v)
		}
	}
	if r.Duration != "" {
		add("duration", r.Duration)
	}
	add("result", r.Result)
	measure()
	f = append(f, ordered(extra, topOrder)...)
	if r.Set != "" {
		add("set", r.Set)
	}
	return f
}

// normalize copies m with integral floats as integers: a result's extra
// comes from a plugin through JSON, where sizes become floats.
func normalize(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = normalizeValue(v)
	}
	return out
}

func normalizeValue(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x)
		}
	case map[string]any:
		return normalize(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeValue(e)
		}
		return out
	}
	return v
}

// MarshalYAML writes the mapping with its keys in order; a string that
// PyYAML would read as something else (a number, a date, a boolean, null)
// is quoted.
func (fs Fields) MarshalYAML() (any, error) { return toNode(fs) }

func toNode(v any) (*yaml.Node, error) {
	switch x := v.(type) {
	case Fields:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, f := range x {
			k, err := toNode(f.Key)
			if err != nil {
				return nil, err
			}
			val, err := toNode(f.Value)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Key, err)
			}
			n.Content = append(n.Content, k, val)
		}
		return n, nil
	case map[string]any:
		return toNode(ordered(x, extraOrder))
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, e := range x {
			c, err := toNode(e)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, c)
		}
		return n, nil
	case string:
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: x}
		if pyImplicit.MatchString(x) {
			n.Style = yaml.SingleQuotedStyle
		}
		return n, nil
	}
	n := &yaml.Node{}
	if err := n.Encode(v); err != nil {
		return nil, err
	}
	return n, nil
}

// pyImplicit matches the plain scalars PyYAML's (YAML 1.1) resolver reads
// as booleans, null, integers, floats or timestamps.
var pyImplicit = regexp.MustCompile(`^(?:` +
	`yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|` +
	`~|null|Null|NULL|` +
	`[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+|` +
	`[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|` +
	`[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?` +
	`)$`)

// pyDatetime is Python's str() of an aware UTC datetime (LAVA's "logged").
func pyDatetime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02 15:04:05+00:00")
	}
	return t.Format("2006-01-02 15:04:05.000000+00:00")
}

// decimal is str() of the Decimal LAVA's database gives back for a
// measurement (ten decimal places); "None" without one.
func decimal(v any) string {
	var x float64
	switch m := v.(type) {
	case float64:
		x = m
	case int64:
		x = float64(m)
	case int:
		x = float64(m)
	case string:
		f, err := strconv.ParseFloat(m, 64)
		if err != nil {
			return "None"
		}
		x = f
	default:
		return "None"
	}
	return strconv.FormatFloat(x, 'f', 10, 64)
}

// export is LAVA's export_testcase of one entry (its results API and
// `lavacli results --yaml`): every value a string, the log record as metadata.
func (rs *Results) export(i int, e Entry) Fields {
	meta := Fields{}
	var start, end string
	for _, f := range e.Msg {
		switch f.Key {
		case "starttc":
			start = fmt.Sprint(f.Value)
		case "endtc":
			end = fmt.Sprint(f.Value)
		case "extra":
			// the server keeps extra in a file and exports it as a list of
			// one-key mappings
			list := []any{}
			if x, ok := f.Value.(Fields); ok {
				for _, kv := range x {
					list = append(list, Fields{kv})
				}
			}
			meta = append(meta, Field{"extra", list})
		default:
			meta = append(meta, f)
		}
	}
	r := e.Result
	measurement, unit := "None", ""
	if r.Definition == "lava" {
		if r.Duration != "" {
			measurement, unit = decimal(r.Duration), "seconds"
		}
	} else {
		if m, ok := e.Msg.Get("measurement"); ok {
			measurement = decimal(m)
		}
		unit = r.Units
	}
	level, _ := e.Msg.Get("level")
	lvl, _ := level.(string)
	return Fields{
		{"name", r.Case},
		{"job", rs.JobID},
		{"suite", r.Definition},
		{"result", r.Result},
		{"measurement", measurement},
		{"unit", unit},
		{"level", lvl},
		{"url", ""}, // no server: no page to link
		{"id", strconv.Itoa(i + 1)},
		{"logged", pyDatetime(e.Logged)},
		{"log_start_line", start},
		{"log_end_line", end},
		{"metadata", meta},
	}
}

// WriteYAML writes results.yaml: one entry per result in the shape of LAVA's
// results export (name, job, suite, result, measurement, unit, level, url,
// id, logged, log_start_line, log_end_line, metadata), so that scripts
// written for LAVA's results API read it unchanged.
func (rs *Results) WriteYAML(w io.Writer) error {
	out := []Fields{}
	for i, e := range rs.Entries() {
		out = append(out, rs.export(i, e))
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("results.yaml: %w", err)
	}
	return enc.Close()
}

// WriteFiles writes results.yaml and junit.xml into dir.
func (rs *Results) WriteFiles(dir, jobName string) error {
	for _, file := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{"results.yaml", rs.WriteYAML},
		{"junit.xml", func(w io.Writer) error { return rs.WriteJUnit(w, jobName) }},
	} {
		f, err := os.Create(filepath.Join(dir, file.name))
		if err != nil {
			return fmt.Errorf("write %s: %w", file.name, err)
		}
		werr := file.write(f)
		cerr := f.Close()
		if werr != nil {
			return werr
		}
		if cerr != nil {
			return fmt.Errorf("write %s: %w", file.name, cerr)
		}
	}
	return nil
}
