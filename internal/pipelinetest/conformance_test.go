package pipelinetest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"

	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/core/device/lavayaml"
	"github.com/lavacore/lavacore/core/job"
	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

// fixtures is LAVA's own test data (GPL, read-only, outside the repository).
const fixtures = "../../../shared/lava-fixtures"

// conformanceVersion is the LAVA release the pipeline refs were built by.
const conformanceVersion = "2026.08"

// conformanceFloor holds the number of refs lavacore last described
// identically: the test fails when the count drops below it. Raise it when
// the count rises.
const conformanceFloor = "testdata/conformance-count"

var testDisp = sdk.Dispatcher{IP: "192.168.0.2", TFTPRoot: "/srv/tftp", NFSRoot: "/var/lib/lava/dispatcher/tmp"}

// fixturesDir is the LAVA fixtures directory; without it the test is skipped,
// except in CI (CI=true), which always has it: there it fails.
func fixturesDir(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(fixtures, "refs.tsv")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("LAVA fixtures absent under CI: %v", err)
		}
		t.Skipf("LAVA fixtures absent: %v", err)
	}
	return fixtures
}

func loadTestLab(t testing.TB) *device.Lab {
	t.Helper()
	lab, diags := device.LoadLab("testdata/lab", device.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("testdata/lab: %v", diags)
	}
	return lab
}

func labDevice(t testing.TB, lab *device.Lab, name string) *device.Device {
	t.Helper()
	d, diags := lab.Device(name, nil)
	if diags.HasErrors() {
		t.Fatalf("%s: %v", name, diags)
	}
	return d
}

func loadRef(t testing.TB, name string) []pipeline.Description {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(fixturesDir(t), "pipeline_refs", name))
	if err != nil {
		t.Fatal(err)
	}
	var ref []pipeline.Description
	if err := yaml.Unmarshal(src, &ref); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ref
}

// refRow is one row of refs.tsv.
type refRow struct {
	Ref, Device, DeviceType, Job, Context string
}

func readRefs(t testing.TB) []refRow {
	t.Helper()
	f, err := os.Open(filepath.Join(fixturesDir(t), "refs.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []refRow
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		if first || strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		c := append(strings.Split(sc.Text(), "\t"), "", "", "", "")
		rows = append(rows, refRow{Ref: c[0], Device: c[1], DeviceType: c[2], Job: c[3], Context: c[4]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// step is what conformance compares of one action.
type step struct {
	Level, Name string
	Timeout     float64
	Retries     int
}

func (s step) String() string {
	return fmt.Sprintf("%s %s (timeout %gs, max_retries %d)", s.Level, s.Name, s.Timeout, s.Retries)
}

func steps(ds []pipeline.Description, out []step) []step {
	for _, d := range ds {
		out = append(out, step{d.Level, d.Name, d.Timeout, d.MaxRetries})
		out = steps(d.Pipeline, out)
	}
	return out
}

// firstDifference compares two pipelines action by action, in order: "" when
// every action's name, level, timeout and retries agree.
func firstDifference(want, got []pipeline.Description) string {
	w, g := steps(want, nil), steps(got, nil)
	for i := 0; i < len(w) || i < len(g); i++ {
		switch {
		case i >= len(g):
			return fmt.Sprintf("missing %s", w[i])
		case i >= len(w):
			return fmt.Sprintf("extra %s", g[i])
		case w[i] != g[i]:
			return fmt.Sprintf("want %s, got %s", w[i], g[i])
		}
	}
	return ""
}

// outcome is one ref's comparison: Diff is "" when identical.
type outcome struct {
	Ref, Diff string
	// Tree is false when no pipeline was built (Diff says why).
	Tree bool
}

// missingMethod names the first block no registered method is named for.
func missingMethod(reg pipeline.Registry, j *job.Job) string {
	for _, b := range j.Actions {
		if b.Section == "command" {
			continue
		}
		if len(reg.Methods(sdk.Section(b.Section), b.Method)) == 0 {
			return fmt.Sprintf("no method for %s %s", b.Section, b.Method)
		}
	}
	return ""
}

// oneLine is the first line of an error, without the job file's position.
func oneLine(err error) string {
	s := strings.SplitN(err.Error(), "\n", 2)[0]
	if i := strings.Index(s, ": actions["); i >= 0 {
		s = s[i+2:]
	}
	const max = 160
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// buildRef builds a ref's job on its rendered device, in process, as
// `lavacore describe JOB --lava-device DEV --lava-version 2026.08` does: one
// pipeline per sub-job.
func buildRef(t testing.TB, reg *sdktest.Registry, row refRow) ([]*pipeline.Pipeline, error) {
	dir := fixturesDir(t)
	if row.Job == "" {
		return nil, errors.New("no LAVA test builds this ref (no sample job)")
	}
	j, diags := job.LoadWith(filepath.Join(dir, "sample_jobs", row.Job), job.Options{Methods: reg.Infos()})
	if len(diags) > 0 {
		return nil, fmt.Errorf("job: %s", diags[0].String())
	}
	if miss := missingMethod(reg, j); miss != "" {
		return nil, errors.New(miss)
	}
	spec := pipeline.SpecFunc(reg)
	d, probs := lavayaml.LoadFile(filepath.Join(dir, "ref-devices", row.Ref), lavayaml.Options{Type: j.DeviceType, Spec: spec})
	if probs.HasErrors() {
		return nil, fmt.Errorf("device: %s", probs[0].String())
	}
	lab, ldiags := device.NewLab("", device.LoadOptions{Spec: spec})
	if ldiags.HasErrors() {
		return nil, fmt.Errorf("lab: %v", ldiags)
	}
	if err := lab.AddDevice(d); err != nil {
		return nil, err
	}
	lab.LavaVersion = conformanceVersion
	subs, err := job.Split(j)
	if err != nil {
		return nil, err
	}
	var roles map[string]*job.Role
	if j.MultiNode != nil {
		roles = j.MultiNode.Roles
	}
	assigned, err := pipeline.AssignDevices(subs, roles, lab, d.Name)
	if err != nil {
		return nil, err
	}
	var out []*pipeline.Pipeline
	for _, s := range assigned {
		p, err := pipeline.Build(s.Job, s.Device, reg, pipeline.DispatcherOf(lab))
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// describeRef is the first sub-job's description of buildRef.
func describeRef(t testing.TB, reg *sdktest.Registry, row refRow) ([]pipeline.Description, error) {
	ps, err := buildRef(t, reg, row)
	if err != nil {
		return nil, err
	}
	return ps[0].Describe(), nil
}

func compareRef(t testing.TB, reg *sdktest.Registry, row refRow) outcome {
	got, err := describeRef(t, reg, row)
	if err != nil {
		return outcome{Ref: row.Ref, Diff: oneLine(err)}
	}
	o := outcome{Ref: row.Ref, Tree: true, Diff: firstDifference(loadRef(t, row.Ref), got)}
	return o
}

func readFloor(t testing.TB) int {
	t.Helper()
	b, err := os.ReadFile(conformanceFloor)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("%s: %v", conformanceFloor, err)
	}
	return n
}

// TestConformance builds every pipeline ref of LAVA's tests (refs.tsv) with
// the methods registered in builtinRegistry, on the device LAVA built it
// with, as LAVA 2026.08 would, and compares every action's name, level,
// timeout and max_retries, in order. It prints the table and the count, and
// fails when the count drops below the committed floor.
func TestConformance(t *testing.T) {
	rows := readRefs(t)
	reg := builtinRegistry(t)
	var outs []outcome
	same := 0
	for _, row := range rows {
		o := compareRef(t, reg, row)
		if o.Diff == "" {
			same++
		}
		outs = append(outs, o)
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, o := range outs {
		d := o.Diff
		if d == "" {
			d = "identical"
		}
		fmt.Fprintf(tw, "%s\t%s\n", o.Ref, d)
	}
	tw.Flush()
	floor := readFloor(t)
	t.Logf("LAVA %s pipeline refs described identically: %d of %d (floor %d)\n%s", conformanceVersion, same, len(rows), floor, b.String())
	switch {
	case same < floor:
		t.Errorf("%d of %d refs identical: fewer than the %d of %s", same, len(rows), floor, conformanceFloor)
	case same > floor:
		t.Logf("%d refs identical, more than %s's %d: raise it", same, conformanceFloor, floor)
	}
}

// TestConformanceOverlayLevel: the founding document's guest overlay is
// /<job_id>-overlay-1.1.5.tar.gz with the default LAVA release and 1.1.4
// with LAVA after the VLANd drop (the refs').
func TestSeedGuestOverlayLevel(t *testing.T) {
	for _, c := range []struct{ version, level string }{{"", "1.1.5"}, {"2023.01", "1.1.5"}, {conformanceVersion, "1.1.4"}} {
		subs := seedSubJobs(t)
		if len(subs) != 4 {
			t.Fatalf("%d sub-jobs, want 4", len(subs))
		}
		disp := testDisp
		disp.LavaVersion = c.version
		guests := 0
		for _, s := range subs {
			p, err := pipeline.Build(s.Job, s.Device, builtinRegistry(t), disp)
			if err != nil {
				t.Fatal(err)
			}
			if s.Job.Role == "guest" {
				guests++
				if n := p.Find(c.level); n == nil || n.Name != "compress-overlay" {
					t.Errorf("LAVA %q, guest sub_id %d: level %s is %v, want compress-overlay", c.version, s.Job.SubID, c.level, n)
				}
			}
			if !strings.HasPrefix(p.Actions[len(p.Actions)-1].Name, "finalize") {
				t.Errorf("last action is not finalize")
			}
		}
		if guests != 3 {
			t.Errorf("%d guests, want 3", guests)
		}
	}
}
