package console

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lavacore/lavacore/sdk"
)

func TestRunCommands(t *testing.T) {
	var sink logSink
	err := RunCommands(context.Background(), []string{`echo "power on" board1`, "true"}, sink.log)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(sink.get(), "\n")
	want := "debug: Calling: 'echo \"power on\" board1'\ndebug: output: power on board1\ndebug: Calling: 'true'"
	if got != want {
		t.Errorf("log:\n%s\nwant:\n%s", got, want)
	}
}

func TestRunCommandsErrors(t *testing.T) {
	tests := []struct {
		cmds []string
		typ  sdk.ErrorType
		want []string
	}{
		{[]string{`sh -c 'echo relay stuck >&2; exit 3'`, "touch /should-not-run"}, sdk.Infrastructure,
			[]string{`'sh -c 'echo relay stuck >&2; exit 3'' failed: exit status 3`, "relay stuck"}},
		{[]string{"no-such-power-tool on"}, sdk.Infrastructure, []string{"Unable to run 'no-such-power-tool on'"}},
		{[]string{"echo 'unterminated"}, sdk.Configuration, []string{"No closing quotation"}},
		{[]string{""}, sdk.Configuration, []string{"empty"}},
	}
	for _, tt := range tests {
		err := RunCommands(context.Background(), tt.cmds, nil)
		if sdk.TypeOf(err) != tt.typ {
			t.Errorf("%q: type %s, err %v", tt.cmds, sdk.TypeOf(err), err)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: %v lacks %q", tt.cmds, err, w)
			}
		}
	}
}

func TestRunCommandsDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	// The grandchild sleep holds the output pipe: the group kill must end it.
	err := RunCommands(ctx, []string{`sh -c 'sleep 100 & sleep 100'`}, nil)
	if err == nil || !strings.Contains(err.Error(), "did not finish within") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
}
