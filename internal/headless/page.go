package headless

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Page is one tab of the browser.
type Page struct {
	b       *Browser
	session string

	mu     sync.Mutex
	errs   []string
	loaded chan struct{}
}

// Open opens url in a new tab and waits for its load event.
func (b *Browser) Open(ctx context.Context, url string) (*Page, error) {
	res, err := b.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"})
	if err != nil {
		return nil, err
	}
	var t struct {
		TargetID string `json:"targetId"`
	}
	if err := json.Unmarshal(res, &t); err != nil {
		return nil, fmt.Errorf("Target.createTarget: %w", err)
	}
	res, err = b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": t.TargetID, "flatten": true})
	if err != nil {
		return nil, err
	}
	var a struct {
		SessionID string `json:"sessionId"`
	}
	if err := json.Unmarshal(res, &a); err != nil {
		return nil, fmt.Errorf("Target.attachToTarget: %w", err)
	}
	p := &Page{b: b, session: a.SessionID, loaded: make(chan struct{}, 1)}
	b.subscribe(p.event)
	for _, m := range []string{"Runtime.enable", "Page.enable", "Log.enable"} {
		if _, err := b.call(ctx, p.session, m, nil); err != nil {
			return nil, err
		}
	}
	if _, err := b.call(ctx, p.session, "Page.navigate", map[string]any{"url": url}); err != nil {
		return nil, err
	}
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	select {
	case <-p.loaded:
	case <-lctx.Done():
		return nil, fmt.Errorf("waiting for %s to load: %w", url, lctx.Err())
	}
	return p, nil
}

func (p *Page) event(m message) {
	if m.SessionID != p.session {
		return
	}
	switch m.Method {
	case "Page.loadEventFired":
		select {
		case p.loaded <- struct{}{}:
		default:
		}
	case "Runtime.exceptionThrown":
		var e struct {
			Details struct {
				Text      string `json:"text"`
				Line      int    `json:"lineNumber"`
				Exception struct {
					Description string `json:"description"`
				} `json:"exception"`
			} `json:"exceptionDetails"`
		}
		_ = json.Unmarshal(m.Params, &e)
		p.addErr(fmt.Sprintf("exception at line %d: %s %s", e.Details.Line+1, e.Details.Text, e.Details.Exception.Description))
	case "Runtime.consoleAPICalled":
		var e struct {
			Type string `json:"type"`
			Args []struct {
				Value       any    `json:"value"`
				Description string `json:"description"`
			} `json:"args"`
		}
		_ = json.Unmarshal(m.Params, &e)
		if e.Type == "error" || e.Type == "assert" {
			var parts []string
			for _, a := range e.Args {
				parts = append(parts, fmt.Sprint(a.Value)+a.Description)
			}
			p.addErr("console." + e.Type + ": " + strings.Join(parts, " "))
		}
	case "Log.entryAdded":
		var e struct {
			Entry struct {
				Level  string `json:"level"`
				Source string `json:"source"`
				Text   string `json:"text"`
			} `json:"entry"`
		}
		_ = json.Unmarshal(m.Params, &e)
		if e.Entry.Level == "error" {
			p.addErr(e.Entry.Source + ": " + e.Entry.Text)
		}
	}
}

func (p *Page) addErr(s string) {
	p.mu.Lock()
	p.errs = append(p.errs, s)
	p.mu.Unlock()
}

// Errors are the JavaScript exceptions, console.error calls and error log
// entries (a blocked script, a failed load) the page produced so far.
func (p *Page) Errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errs...)
}

// Eval evaluates a JavaScript expression in the page and stores its JSON
// value in out (nil: discard it). A thrown exception is an error.
func (p *Page) Eval(ctx context.Context, expr string, out any) error {
	res, err := p.b.call(ctx, p.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true})
	if err != nil {
		return err
	}
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return fmt.Errorf("Runtime.evaluate: %w", err)
	}
	if r.Exception != nil {
		return fmt.Errorf("evaluating %.60q: %s %s", expr, r.Exception.Text, r.Exception.Exception.Description)
	}
	if out == nil || len(r.Result.Value) == 0 {
		return nil
	}
	return json.Unmarshal(r.Result.Value, out)
}

// Click scrolls the first element matching the CSS selector into view and
// clicks its centre with the mouse, as a user would.
func (p *Page) Click(ctx context.Context, selector string) error {
	sel, _ := json.Marshal(selector)
	var box struct {
		X, Y  float64
		Found bool
	}
	js := fmt.Sprintf(`(function(){var e=document.querySelector(%s); if(!e) return {Found:false};
e.scrollIntoView({block:"center", inline:"center"}); var r=e.getBoundingClientRect();
return {Found:true, X:r.left+r.width/2, Y:r.top+r.height/2};})()`, sel)
	if err := p.Eval(ctx, js, &box); err != nil {
		return err
	}
	if !box.Found {
		return fmt.Errorf("click: no element matches %s", selector)
	}
	for _, typ := range []string{"mouseMoved", "mousePressed", "mouseReleased"} {
		params := map[string]any{"type": typ, "x": box.X, "y": box.Y}
		if typ != "mouseMoved" {
			params["button"] = "left"
			params["clickCount"] = 1
		}
		if _, err := p.b.call(ctx, p.session, "Input.dispatchMouseEvent", params); err != nil {
			return err
		}
	}
	return nil
}
