package runner

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

// slowConsole answers every Expect after d.
type slowConsole struct {
	sdk.Console
	d time.Duration
}

func (s slowConsole) Expect(context.Context, []string, time.Duration) (sdk.Match, error) {
	time.Sleep(s.d)
	return sdk.Match{}, nil
}

type slowHost struct {
	sdk.Host
	d time.Duration
}

func (h slowHost) Protocol(context.Context, string, map[string]any) (map[string]any, error) {
	time.Sleep(h.d)
	return nil, nil
}

func TestTiming(t *testing.T) {
	c := &clock{}
	h := &timedHost{Host: slowHost{Host: sdktest.NewHost(""), d: 30 * time.Millisecond}, c: c}
	con := &delayConsole{Console: &timedConsole{Console: slowConsole{d: 20 * time.Millisecond}, c: c}}
	for i := 0; i < 3; i++ {
		if _, err := con.Expect(context.Background(), []string{"x"}, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.Protocol(context.Background(), "lava-multinode", nil); err != nil {
		t.Fatal(err)
	}
	c.actionEnd(pipeline.ActionEvent{Level: "1", Name: "tftp-deploy", Duration: 1500 * time.Millisecond})
	c.actionEnd(pipeline.ActionEvent{Level: "1.2", Name: "download-retry", Duration: time.Second})
	c.actionEnd(pipeline.ActionEvent{Level: "2", Name: "grub-main-action", Duration: 2 * time.Second})

	if b := time.Duration(c.board.Load()); b < 60*time.Millisecond {
		t.Errorf("board %s, want at least the three waits (60ms)", b)
	}
	if g := time.Duration(c.group.Load()); g < 30*time.Millisecond {
		t.Errorf("group %s, want at least 30ms", g)
	}
	tm := c.timing(time.Hour)
	if !strings.HasPrefix(tm.Lavacore, "59m59.") || tm.Wall != "1h0m0s" {
		t.Errorf("timing %+v: lavacore is the wall time less the waits", tm)
	}
	if got := strings.Join(tm.Actions, ", "); got != "1 tftp-deploy 1.5s, 2 grub-main-action 2s" {
		t.Errorf("actions %q: want the top-level ones", got)
	}
	// waits that overlap (two namespaces at once) never make lavacore's share negative
	if tm := c.timing(time.Millisecond); tm.Lavacore != "0s" {
		t.Errorf("lavacore %s, want 0s", tm.Lavacore)
	}
	// a console that cannot stream says so
	if _, err := con.Stream(context.Background()); err == nil || !strings.Contains(err.Error(), "cannot stream") {
		t.Errorf("Stream: %v", err)
	}
}
