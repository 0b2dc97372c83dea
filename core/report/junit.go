package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Hostname  string      `xml:"hostname,attr"`
	ID        int         `xml:"id,attr"`
	Cases     []junitCase `xml:"testcase"`
	seconds   float64
	names     map[string]int
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
}

// secs renders seconds as JUnit's time: a decimal with three places.
func secs(s float64) string { return strconv.FormatFloat(s, 'f', 3, 64) }

// WriteJUnit writes junit.xml (the schema Jenkins' xunit and GitLab read,
// testdata/junit.xsd): a testsuite per LAVA suite with its timestamp (its
// first result, UTC), the host name and errors; a testcase per result with a
// name unique in its suite (a repeated case gets " (2)", " (3)" …). A failed
// result of the lava suite — an action, the job — is an <error> (the
// dispatcher or the infrastructure failed), a failed test case a <failure>
// (so is unknown); skip is <skipped>.
func (rs *Results) WriteJUnit(w io.Writer, jobName string) error {
	host := rs.Hostname
	if host == "" {
		host, _ = os.Hostname()
	}
	if host == "" {
		host = "localhost"
	}
	doc := junitSuites{Name: jobName}
	idx := map[string]int{}
	var total float64
	for _, e := range rs.Entries() {
		r := e.Result
		i, ok := idx[r.Definition]
		if !ok {
			i = len(doc.Suites)
			idx[r.Definition] = i
			doc.Suites = append(doc.Suites, junitSuite{Name: r.Definition, ID: i, Hostname: host,
				Timestamp: e.Logged.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05"),
				names:     map[string]int{}})
		}
		s := &doc.Suites[i]
		name := r.Case
		if r.Set != "" {
			name = r.Set + "/" + r.Case
		}
		s.names[name]++
		if n := s.names[name]; n > 1 {
			name = fmt.Sprintf("%s (%d)", name, n)
		}
		c := junitCase{Name: name, Classname: r.Definition}
		if d, err := strconv.ParseFloat(r.Duration, 64); err == nil {
			c.Time = secs(d)
			s.seconds += d
			total += d
		}
		c.SystemOut = systemOut(e)
		switch r.Result {
		case "fail", "unknown":
			msg := "result: " + r.Result
			if v, ok := r.Extra["error_msg"]; ok {
				msg = fmt.Sprint(v)
			} else if v, ok := r.Extra["fail"]; ok {
				msg = fmt.Sprint(v)
			}
			typ := ""
			if v, ok := r.Extra["error_type"]; ok {
				typ = fmt.Sprint(v)
			}
			m := &junitMessage{Message: msg, Type: typ}
			if r.Definition == "lava" && r.Result == "fail" {
				c.Error = m
				s.Errors++
				doc.Errors++
			} else {
				c.Failure = m
				s.Failures++
				doc.Failures++
			}
		case "skip":
			c.Skipped = &junitMessage{Message: "skip"}
			s.Skipped++
			doc.Skipped++
		}
		s.Tests++
		doc.Tests++
		s.Cases = append(s.Cases, c)
	}
	for i := range doc.Suites {
		doc.Suites[i].Time = secs(doc.Suites[i].seconds)
	}
	doc.Time = secs(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("junit.xml: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("junit.xml: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("junit.xml: %w", err)
	}
	return nil
}

// systemOut lists a result's measurement and the rest of its record, one
// "key: value" a line.
func systemOut(e Entry) string {
	var out []string
	r := e.Result
	if r.Measurement != "" {
		out = append(out, strings.TrimSpace("measurement: "+r.Measurement+" "+r.Units))
	}
	keys := make([]string, 0, len(r.Extra))
	for k := range r.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%s: %v", k, normalizeValue(r.Extra[k])))
	}
	return strings.Join(out, "\n")
}
