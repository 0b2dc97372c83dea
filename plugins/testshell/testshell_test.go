package testshell

import (
	"context"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

func TestDescribe(t *testing.T) {
	req := sdk.Request{Block: sdk.Block{Params: map[string]any{"definitions": []any{}}}}
	s, _ := New().Describe(req)
	if s.Name != "lava-test-retry" || !s.Retry || s.Children[0].Name != "lava-test-shell" {
		t.Errorf("single node: %+v", s)
	}
	sdktest.CheckActions(t, New(), req)
	req.Job.Role = "guest"
	s, _ = New().Describe(req)
	if s.Name != "multinode-test" || s.Retry || len(s.Children) != 0 {
		t.Errorf("multinode: %+v", s)
	}
	sdktest.CheckActions(t, New(), req)
}

func TestValidate(t *testing.T) {
	defs := []any{
		map[string]any{"from": "git", "name": "smoke", "path": "a.yaml", "repository": "http://x"},
		map[string]any{"from": "git", "name": "smoke", "path": "a.yaml", "repository": "http://x"},
		map[string]any{"from": "bzr", "name": "bad name", "path": "a.yaml", "repository": "http://x"},
		map[string]any{"from": "inline", "name": "lava", "repository": map[string]any{}},
	}
	var got []string
	for _, d := range New().Validate(context.Background(), sdk.Request{Block: sdk.Block{Params: map[string]any{"definitions": defs}}}) {
		got = append(got, d.Path+": "+d.Summary)
	}
	want := []string{
		"definitions[1].name: Test definition names need to be unique.",
		"definitions[2].name: Invalid characters found in test definition name: bad name",
		"definitions[2].from: No testdef_repo handler is available for the given repository type 'bzr'.",
		"definitions[3].name: The name 'lava' is reserved for LAVA's own results",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
