package testshell

import (
	"slices"
	"testing"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

// TestDescribeDocker: definitions with docker: are LAVA's docker test shell,
// whose overlay is not compressed (the container mounts it).
func TestDescribeDocker(t *testing.T) {
	b := sdk.Block{Section: sdk.SectionTest, Method: "definitions", Namespace: "common", Params: map[string]any{
		"docker":      map[string]any{"image": "lavalabteam/adb-fastboot"},
		"definitions": []any{map[string]any{"from": "git", "name": "smoke", "repository": "http://x/y.git", "path": "a.yaml"}}}}
	req := sdk.Request{Job: sdk.JobInfo{Blocks: []sdk.Block{b}}, Block: b,
		Device: sdk.Device{Methods: map[string]map[string]any{"deploy/ssh": {}}}}
	m := New()
	top, err := m.Describe(req)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var walk func(s sdk.ActionSpec)
	walk = func(s sdk.ActionSpec) {
		got = append(got, s.Name)
		for _, c := range s.Children {
			walk(c)
		}
	}
	walk(top)
	want := []string{"lava-docker-test", "lava-docker-test-set-environment", "lava-create-overlay", "ssh-authorize",
		"lava-vland-overlay", "lava-multinode-overlay", "test-definition", "git-repo-action", "test-overlay",
		"test-install-overlay", "test-runscript-overlay", "lava-docker-test-shell", "read-feedback"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	sdktest.CheckActions(t, m, req)
}
