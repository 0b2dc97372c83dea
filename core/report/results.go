package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/sdk"
)

// Results collects a job's test results in the order they were logged.
type Results struct {
	mu   sync.Mutex
	list []sdk.Result
}

// Add records r.
func (rs *Results) Add(r sdk.Result) {
	rs.mu.Lock()
	rs.list = append(rs.list, r)
	rs.mu.Unlock()
}

// All returns a copy of every result.
func (rs *Results) All() []sdk.Result {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]sdk.Result(nil), rs.list...)
}

// Map renders r as LAVA's results record (the msg of a "results" log record).
func Map(r sdk.Result) map[string]any {
	m := map[string]any{"definition": r.Definition, "case": r.Case, "result": r.Result}
	if r.Level != "" {
		m["level"] = r.Level
	}
	if r.Duration != "" {
		m["duration"] = r.Duration
	}
	if r.Measurement != "" {
		m["measurement"] = r.Measurement
	}
	if r.Units != "" {
		m["units"] = r.Units
	}
	if r.Set != "" {
		m["set"] = r.Set
	}
	if len(r.Extra) > 0 {
		m["extra"] = r.Extra
	}
	return m
}

type yamlResult struct {
	Suite       string         `yaml:"suite"`
	Name        string         `yaml:"name"`
	Result      string         `yaml:"result"`
	Set         string         `yaml:"set,omitempty"`
	Level       string         `yaml:"level,omitempty"`
	Duration    string         `yaml:"duration,omitempty"`
	Measurement string         `yaml:"measurement,omitempty"`
	Unit        string         `yaml:"unit,omitempty"`
	Metadata    map[string]any `yaml:"metadata,omitempty"`
}

// WriteYAML writes results.yaml: one entry per result, in LAVA's export shape
// (suite, name, result, set, level, duration, measurement, unit, metadata).
func (rs *Results) WriteYAML(w io.Writer) error {
	out := []yamlResult{}
	for _, r := range rs.All() {
		out = append(out, yamlResult{Suite: r.Definition, Name: r.Case, Result: r.Result, Set: r.Set,
			Level: r.Level, Duration: r.Duration, Measurement: r.Measurement, Unit: r.Units, Metadata: r.Extra})
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("results.yaml: %w", err)
	}
	return enc.Close()
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr,omitempty"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr,omitempty"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
}

// WriteJUnit writes junit.xml: a testsuite per LAVA suite (definition), a testcase per case.
// fail and unknown are failures; skip is skipped.
func (rs *Results) WriteJUnit(w io.Writer, jobName string) error {
	doc := junitSuites{Name: jobName}
	idx := map[string]int{}
	for _, r := range rs.All() {
		i, ok := idx[r.Definition]
		if !ok {
			i = len(doc.Suites)
			idx[r.Definition] = i
			doc.Suites = append(doc.Suites, junitSuite{Name: r.Definition})
		}
		s := &doc.Suites[i]
		name := r.Case
		if r.Set != "" {
			name = r.Set + "/" + r.Case
		}
		c := junitCase{Name: name, Classname: r.Definition, Time: r.Duration}
		var out []string
		if r.Measurement != "" {
			out = append(out, "measurement: "+r.Measurement+" "+r.Units)
		}
		keys := make([]string, 0, len(r.Extra))
		for k := range r.Extra {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, fmt.Sprintf("%s: %v", k, r.Extra[k]))
		}
		c.SystemOut = strings.Join(out, "\n")
		switch r.Result {
		case "fail", "unknown":
			msg := "result: " + r.Result
			if e, ok := r.Extra["error_msg"]; ok {
				msg = fmt.Sprint(e)
			}
			typ := ""
			if e, ok := r.Extra["error_type"]; ok {
				typ = fmt.Sprint(e)
			}
			c.Failure = &junitMessage{Message: msg, Type: typ}
			s.Failures++
			doc.Failures++
		case "skip":
			c.Skipped = &junitMessage{Message: "skip"}
			s.Skipped++
			doc.Skipped++
		}
		if d, err := strconv.ParseFloat(r.Duration, 64); err == nil {
			t, _ := strconv.ParseFloat(s.Time, 64)
			s.Time = strconv.FormatFloat(t+d, 'f', 2, 64)
		}
		s.Tests++
		doc.Tests++
		s.Cases = append(s.Cases, c)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("junit.xml: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("junit.xml: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// WriteFiles writes results.yaml and junit.xml into dir.
func (rs *Results) WriteFiles(dir, jobName string) error {
	for name, write := range map[string]func(io.Writer) error{
		"results.yaml": rs.WriteYAML,
		"junit.xml":    func(w io.Writer) error { return rs.WriteJUnit(w, jobName) },
	} {
		f, err := os.Create(dir + "/" + name)
		if err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		werr := write(f)
		cerr := f.Close()
		if werr != nil {
			return werr
		}
		if cerr != nil {
			return fmt.Errorf("write %s: %w", name, cerr)
		}
	}
	return nil
}
