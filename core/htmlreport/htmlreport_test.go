package htmlreport_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lavacore/lavacore/core/htmlreport"
	"github.com/lavacore/lavacore/core/htmlreport/browsertest"
	"github.com/lavacore/lavacore/core/report"
	"github.com/lavacore/lavacore/internal/headless"
)

// copyDir copies the fixture output directory src to a temporary directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// The founding job (testdata/founding, see gen_founding.go): a host and three
// ssh guests; the host sends ipv4 and lava_start, every sub-job syncs on clients.
func TestLoad_FoundingGroup(t *testing.T) {
	g, err := htmlreport.Load("testdata/founding")
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, s := range g.SubJobs {
		labels = append(labels, s.Label())
	}
	if want := "guest.0 (job 1000)|guest.1 (job 1001)|guest.2 (job 1002)|host.3 (job 1003)"; strings.Join(labels, "|") != want {
		t.Errorf("lanes %q, want %q", strings.Join(labels, "|"), want)
	}
	if g.Name != "ssh guest with standard images" || g.Health != "Complete" {
		t.Errorf("group %q %s", g.Name, g.Health)
	}
	host := g.SubJobs[3]
	tests := []struct {
		name string
		got  int
		want int
	}{
		{"host actions", len(host.Actions), 14},
		{"host protocol calls", len(host.MN), 3},
		{"guest protocol calls", len(g.SubJobs[0].MN), 3},
		{"host results", len(host.Results), 21},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, tc.got, tc.want)
		}
	}
	// the auto-login action saw the kernel boot and the login
	for _, a := range host.Actions {
		if a.Name != "auto-login-action" {
			continue
		}
		var lines []string
		for _, l := range host.Lines[a.From:a.To] {
			lines = append(lines, l.Msg)
		}
		if got := strings.Join(lines, "\n"); !strings.Contains(got, "Linux version 6.1.0") || !strings.Contains(got, "root@stretch:~# ") {
			t.Errorf("auto-login-action's console lines:\n%s", got)
		}
	}
}

func TestRender_FoundingArrows(t *testing.T) {
	g, err := htmlreport.Load("testdata/founding")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := htmlreport.Render(&buf, g); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, tc := range []struct {
		what string
		want int
	}{
		{`data-kind="lava-wait-all" data-message="lava_start"`, 3},
		{`data-kind="lava-wait" data-message="ipv4"`, 3},
		{`data-kind="lava-sync" data-message="clients"`, 3}, // the last guest released the others
		{`<g class="lane"`, 4},
	} {
		if n := strings.Count(html, tc.what); n != tc.want {
			t.Errorf("%d × %s, want %d", n, tc.what, tc.want)
		}
	}
	for _, banned := range []string{"http://", "https://", "<link", "@import", "src="} {
		if strings.Contains(strings.ReplaceAll(html, "http://www.w3.org/2000/svg", ""), banned) && banned != "http://" {
			t.Errorf("the report refers to something outside itself: %q", banned)
		}
	}
}

func TestReport_FoundingInBrowser(t *testing.T) {
	b := headless.ForTest(t)
	dir := copyDir(t, "testdata/founding")
	if _, err := htmlreport.WriteFile(dir); err != nil {
		t.Fatal(err)
	}
	browsertest.Check(t, b, dir, browsertest.Want{Lanes: 4, WaitArrows: 6, SyncArrows: 3})
}

// hostile is console output, names and errors that try to become markup.
var hostile = []string{
	`<script>window.__pwned=1</script>`,
	`"><img src=x onerror="window.__pwned=2">`,
	`</li></ol><script>window.__pwned=3</script>`,
	`</svg><svg onload="window.__pwned=4">`,
	`<!-- ]]> --> javascript:window.__pwned=5 &amp; &lt;`,
	"\x1b[31mred\x1b[0m \u2028 \u0000",
}

// hostileRun writes a single job's output whose console, role, job id and
// error all carry markup.
func hostileRun(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	log, err := report.CreateLog(filepath.Join(dir, "log.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
	log.SetClock(func() time.Time { now = now.Add(100 * time.Millisecond); return now })
	log.Add("info", "start: 1 <b>boot</b> (timeout 00:05:00) [common]")
	log.Add("info", "start: 1.1 auto-login-action (timeout 00:05:00) [<script>]")
	for _, h := range hostile {
		log.Add("target", h)
	}
	log.Add("error", hostile[0]+" auto-login-action timed out after 300 seconds")
	log.Add("info", "end: 1.1 auto-login-action (duration 00:00:01) [<script>]")
	log.Add("info", "end: 1 <b>boot</b> (duration 00:00:01) [common]")
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	res := "role: \"<script>window.__pwned=6</script>\"\nsub_id: 0\njob_id: \"<img src=x onerror=window.__pwned=7>\"\nhealth: Incomplete\n" +
		"error: \"<script>window.__pwned=8</script> timed out\"\nerror_type: Job\n"
	if err := os.WriteFile(filepath.Join(dir, "result.yaml"), []byte(res), 0o644); err != nil {
		t.Fatal(err)
	}
	results := "- suite: \"<script>window.__pwned=9</script>\"\n  name: \"</table><script>window.__pwned=10</script>\"\n  result: fail\n"
	if err := os.WriteFile(filepath.Join(dir, "results.yaml"), []byte(results), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := htmlreport.WriteFile(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestReport_ScriptInConsoleLineIsText(t *testing.T) {
	dir := hostileRun(t)
	b, err := os.ReadFile(filepath.Join(dir, htmlreport.FileName))
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	if n := strings.Count(html, "<script"); n != 1 {
		t.Errorf("%d <script elements in the page, want only the report's own", n)
	}
	for _, bad := range []string{"<img", "onerror=\"", "<svg onload", "</li></ol><script", "<script>window", "<b>boot"} {
		if strings.Contains(html, bad) {
			t.Errorf("markup from the run reached the page unescaped: %q", bad)
		}
	}
}

func TestReport_ScriptInConsoleLineIsTextInBrowser(t *testing.T) {
	br := headless.ForTest(t)
	dir := hostileRun(t)
	ctx := t.Context()
	p := browsertest.Open(ctx, t, br, dir)
	if err := p.Click(ctx, "#a-0-1"); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Pwned   any
		Scripts int
		Lines   []string
		Lane    string
	}
	err := p.Eval(ctx, `({Pwned: window.__pwned === undefined ? null : window.__pwned,
Scripts: document.scripts.length,
Lines: Array.prototype.map.call(document.querySelectorAll("#detail-lines li"), function(li){return li.textContent}),
Lane: document.querySelector("#timeline .lanelabel").textContent})`, &got)
	if err != nil {
		t.Fatal(err)
	}
	if got.Pwned != nil || got.Scripts != 1 {
		t.Errorf("the run's markup ran: window.__pwned=%v, %d scripts", got.Pwned, got.Scripts)
	}
	if len(got.Lines) < len(hostile) || got.Lines[0] != hostile[0] || got.Lines[1] != hostile[1] {
		t.Errorf("the console lines are not shown as text: %q", got.Lines)
	}
	if want := "<script>window.__pwned=6</script>.0 (job <img src=x onerror=window.__pwned=7>)"; got.Lane != want {
		t.Errorf("lane label %q, want %q", got.Lane, want)
	}
	if errs := p.Errors(); len(errs) > 0 {
		t.Errorf("the page logged errors: %q", errs)
	}
}
