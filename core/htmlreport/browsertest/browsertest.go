// Package browsertest checks a run's report.html in a headless Chromium:
// its lanes and MultiNode arrows are drawn, clicking an action shows the
// console lines it saw, and the page logs no JavaScript error. The report's
// unit tests and the virtual lab's end-to-end test share it.
package browsertest

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/lavacore/lavacore/core/htmlreport"
	"github.com/lavacore/lavacore/internal/headless"
)

// Want is what the report of a run must show.
type Want struct {
	Lanes int // sub-jobs
	// WaitArrows is the least number of lava-send → lava-wait(-all) arrows.
	WaitArrows int
	// SyncArrows is the least number of lava-sync arrows.
	SyncArrows int
}

// Open loads dir's report.html (already written) in a new page of b.
func Open(ctx context.Context, t testing.TB, b *headless.Browser, dir string) *headless.Page {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join(dir, htmlreport.FileName))
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.Open(ctx, "file://"+abs)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Check loads dir's report.html in b and checks it against want.
func Check(t *testing.T, b *headless.Browser, dir string, want Want) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p := Open(ctx, t, b, dir)
	eval := func(expr string, out any) {
		t.Helper()
		if err := p.Eval(ctx, expr, out); err != nil {
			t.Fatal(err)
		}
	}
	var lanes int
	eval(`document.querySelectorAll("#timeline g.lane").length`, &lanes)
	if lanes != want.Lanes {
		t.Errorf("%d lanes drawn, want %d", lanes, want.Lanes)
	}
	// every arrow is drawn: a line of some length between two lanes
	var arrows struct{ Wait, Sync, Empty int }
	eval(`(function(){var r={Wait:0,Sync:0,Empty:0};
document.querySelectorAll("#timeline g.arrow").forEach(function(g){
  var l=g.querySelector("line"); if(!l || !(l.getTotalLength()>0)){r.Empty++; return;}
  var k=g.getAttribute("data-kind"); if(k==="lava-sync"){r.Sync++} else if(k==="lava-wait"||k==="lava-wait-all"){r.Wait++}});
return r;})()`, &arrows)
	if arrows.Wait < want.WaitArrows || arrows.Sync < want.SyncArrows || arrows.Empty > 0 {
		t.Errorf("arrows drawn: %d lava-send → lava-wait (want at least %d), %d lava-sync (want at least %d), %d of no length",
			arrows.Wait, want.WaitArrows, arrows.Sync, want.SyncArrows, arrows.Empty)
	}
	// click the action that saw the most console lines (where the mouse
	// reaches it: not under an arrow)
	var bar struct {
		ID       string
		From, To int
		Label    string
		Lines    []string
	}
	eval(`(function(){var bars=Array.prototype.slice.call(document.querySelectorAll("#timeline .act"));
bars.sort(function(a,b){return (b.dataset.to-b.dataset.from)-(a.dataset.to-a.dataset.from)});
for(var i=0;i<bars.length;i++){var g=bars[i]; if(g.dataset.to-g.dataset.from<1) break;
  g.scrollIntoView({block:"center",inline:"center"}); var r=g.querySelector("rect").getBoundingClientRect();
  var hit=document.elementFromPoint(r.left+r.width/2, r.top+r.height/2);
  if(hit && hit.closest("[data-act]")===g){
    var src=document.getElementById("con-"+g.dataset.sub).children, lines=[];
    for(var k=+g.dataset.from;k<+g.dataset.to;k++){lines.push(src[k].textContent)}
    return {ID:g.id, From:+g.dataset.from, To:+g.dataset.to, Label:g.dataset.label, Lines:lines};}}
return {};})()`, &bar)
	if bar.ID == "" {
		t.Fatal("no action with console lines can be clicked on the timeline")
	}
	if err := p.Click(ctx, "#"+bar.ID); err != nil {
		t.Fatal(err)
	}
	var shown struct {
		Head  string
		Lines []string
	}
	eval(`({Head: document.querySelector("#detail .head").textContent,
Lines: Array.prototype.map.call(document.querySelectorAll("#detail-lines li"), function(li){return li.textContent})})`, &shown)
	if shown.Head != bar.Label {
		t.Errorf("after clicking %s the panel says %q, want %q", bar.ID, shown.Head, bar.Label)
	}
	if fmt.Sprint(shown.Lines) != fmt.Sprint(bar.Lines) || len(shown.Lines) == 0 {
		t.Errorf("after clicking %s the panel shows %d console lines, want its %d:\n got %q\nwant %q",
			bar.ID, len(shown.Lines), len(bar.Lines), shown.Lines, bar.Lines)
	}
	// the zoom buttons work (and raise nothing)
	for _, id := range []string{"#zoom-in", "#zoom-in", "#zoom-out", "#zoom-fit"} {
		if err := p.Click(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if errs := p.Errors(); len(errs) > 0 {
		t.Errorf("the page logged JavaScript errors:\n%q", errs)
	}
}
