// Package htmlreport turns a run's output directory (a job's, or a MultiNode
// group's with one sub-directory per sub-job) into report.html: one
// self-contained page — inline CSS, JavaScript and SVG, nothing fetched —
// with the group's merged timeline (a lane per sub-job, a bar per action,
// MultiNode waits shaded and lava-send → lava-wait / lava-sync drawn as
// arrows between lanes), the console lines each action saw, the results per
// test definition and every error with the console lines before it.
//
// Everything read from the run (console output, job and role names, error
// messages) is untrusted: it reaches the page only through html/template's
// contextual escaping, and the page's script only copies text nodes.
package htmlreport

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
)

// FileName is the report's name in the output directory.
const FileName = "report.html"

var (
	//go:embed report.html.tmpl
	pageTemplate string
	//go:embed report.css
	pageCSS string
	//go:embed report.js
	pageJS string
)

// proofLines is how many console lines before an error are quoted with it.
const proofLines = 12

// WriteFile builds the report of the run in dir and writes dir/report.html.
func WriteFile(dir string) (string, error) {
	g, err := Load(dir)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := Render(&buf, g); err != nil {
		return "", err
	}
	path := filepath.Join(dir, FileName)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	return path, nil
}

type caseView struct {
	Name, Result, Class, Measurement, Unit string
}

type suiteView struct {
	Name                    string
	Pass, Fail, Skip, Other int
	Cases                   []caseView
}

type errorView struct {
	Msg                string
	Action, Label      string // the action it happened in ("" outside any)
	Sub, Act, From, To int
	Proof              []Line
	ProofStart         int
}

type subView struct {
	Index                      int
	Label, Device, Health, Dir string
	Error, Type, Took          string
	Lines, Dropped, Skipped    int
	Errors                     []errorView
	Suites                     []suiteView
	Console                    []Line
}

type page struct {
	Name, Health, Started, Took string
	CSS                         template.CSS
	JS                          template.JS
	TL                          timeline
	Subs                        []subView
}

// Render writes the report of g to w.
func Render(w io.Writer, g *Group) error {
	// the page's own script is allowed by its hash: no other script runs
	sum := sha256.Sum256([]byte(pageJS))
	csp := "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	t, err := template.New("report").Funcs(template.FuncMap{
		"f":   func(v float64) string { return fmt.Sprintf("%.1f", v) },
		"csp": func() string { return csp },
	}).Parse(pageTemplate)
	if err != nil {
		return fmt.Errorf("report template: %w", err)
	}
	p := page{Name: g.Name, Health: g.Health, CSS: template.CSS(pageCSS), JS: template.JS(pageJS), TL: layout(g)}
	if !g.Start.IsZero() {
		p.Started = g.Start.UTC().Format("2006-01-02 15:04:05 UTC")
		p.Took = seconds(g.End.Sub(g.Start))
	}
	for i, s := range g.SubJobs {
		p.Subs = append(p.Subs, newSubView(i, s))
	}
	if err := t.Execute(w, p); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

func newSubView(i int, s *SubJob) subView {
	v := subView{Index: i, Label: s.Label(), Device: s.Device, Health: s.Health, Dir: s.Dir,
		Error: s.Error, Type: s.Type, Lines: len(s.Lines), Dropped: s.Dropped, Skipped: s.SkippedRecords, Console: s.Lines}
	if !s.Start.IsZero() {
		v.Took = seconds(s.End.Sub(s.Start))
	}
	seen := map[string]bool{}
	for _, e := range s.Errors {
		if seen[e.Msg] {
			continue // a timeout is logged by the action and again by the job
		}
		seen[e.Msg] = true
		ev := errorView{Msg: e.Msg, Sub: i, Act: e.Action}
		if e.Action >= 0 {
			a := &s.Actions[e.Action]
			ev.Action = a.Level + " " + a.Name
			ev.Label, ev.From, ev.To = actionLabel(s, a), a.From, a.To
			from := max(a.From, e.Line-proofLines)
			for k := from; k < e.Line && k < len(s.Lines); k++ {
				ev.Proof = append(ev.Proof, s.Lines[k])
			}
			ev.ProofStart = from + 1
		}
		v.Errors = append(v.Errors, ev)
	}
	idx := map[string]int{}
	for _, r := range s.Results {
		k, ok := idx[r.Suite]
		if !ok {
			k = len(v.Suites)
			idx[r.Suite] = k
			v.Suites = append(v.Suites, suiteView{Name: r.Suite})
		}
		sv := &v.Suites[k]
		class := r.Result
		switch r.Result {
		case "pass":
			sv.Pass++
		case "fail":
			sv.Fail++
		case "skip":
			sv.Skip++
		default:
			sv.Other++
			class = "unknown"
		}
		sv.Cases = append(sv.Cases, caseView{Name: r.Name, Result: r.Result, Class: class, Measurement: r.Measurement, Unit: r.Unit})
	}
	return v
}
