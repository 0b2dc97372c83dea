package ssh

import (
	"context"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

func guestReq(params map[string]any, test bool) sdk.Request {
	req := sdk.Request{Block: sdk.Block{Section: sdk.SectionDeploy, Method: "ssh", Namespace: "common", Params: params},
		Device: sdk.Device{Type: "mustang", Methods: map[string]map[string]any{"deploy/ssh": {"port": float64(22)}, "boot/ssh": {}}}}
	req.Job.Blocks = []sdk.Block{req.Block}
	if test {
		req.Job.Blocks = append(req.Job.Blocks, sdk.Block{Section: sdk.SectionTest, Method: "definitions", Namespace: "common",
			Params: map[string]any{"definitions": []any{map[string]any{"from": "inline", "name": "x"}}}})
	}
	return req
}

func diagStrings(ds sdk.Diagnostics) string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Path+": "+d.Summary)
	}
	return strings.Join(out, "\n")
}

func TestDeployValidate(t *testing.T) {
	call := func(c map[string]any) map[string]any {
		return map[string]any{"protocols": map[string]any{"lava-multinode": []any{c}}}
	}
	cases := []struct {
		params map[string]any
		test   bool
		want   string
	}{
		{call(map[string]any{"action": "prepare-scp-overlay", "messageID": "ipv4", "message": map[string]any{"ipaddr": "$ipaddr"}}), true, ""},
		{map[string]any{}, false, "to: Scp overlay needs a test action."},
		{call(map[string]any{"action": "prepare-scp-overlay", "messageID": "ipv4"}), true, "protocols.lava-multinode[0].message: Missing message block for scp deployment"},
		{map[string]any{"protocols": map[string]any{"lava-multinode": map[string]any{}}}, true, "protocols.lava-multinode: Invalid protocol action setting - needs to be a list."},
	}
	for _, c := range cases {
		if got := diagStrings(NewDeploy().Validate(context.Background(), guestReq(c.params, c.test))); got != c.want {
			t.Errorf("%v: got %q, want %q", c.params, got, c.want)
		}
	}
}

func TestDeployDescribe(t *testing.T) {
	s, err := NewDeploy().Describe(guestReq(map[string]any{}, true))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range s.Children {
		got = append(got, c.Name)
	}
	if strings.Join(got, " ") != "lava-overlay prepare-scp-overlay deploy-device-env" || len(s.Children[0].Children) != 5 ||
		s.Children[0].Children[4].Name != "compress-overlay" {
		t.Errorf("scp-overlay children %v; overlay %+v", got, s.Children[0].Children)
	}
	s, _ = NewDeploy().Describe(guestReq(map[string]any{}, false))
	if len(s.Children) != 1 || s.Children[0].Name != "prepare-scp-overlay" {
		t.Errorf("without a test: %+v", s.Children)
	}
}

func TestBootValidate(t *testing.T) {
	req := guestReq(map[string]any{"parameters": map[string]any{"hostID": "ipv4"}}, true)
	req.Device.Methods["deploy/ssh"]["port"] = "2x"
	want := "prompts: Unable to identify test image prompts from parameters.\nparameters: hostID and host_key must be used together\nto: Port was set but was not a digit"
	if got := diagStrings(NewBoot().Validate(context.Background(), req)); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// Every action the ssh methods declare has code.
func TestActionsHaveCode(t *testing.T) {
	for _, test := range []bool{true, false} {
		req := guestReq(map[string]any{}, test)
		req.Device.Methods["deploy/ssh"] = map[string]any{"port": float64(22), "host": "10.0.0.1"}
		sdktest.CheckActions(t, NewDeploy(), req)
		req.Block.Section, req.Block.Params = sdk.SectionBoot, map[string]any{"prompts": []any{"# "}}
		sdktest.CheckActions(t, NewBoot(), req)
	}
}
