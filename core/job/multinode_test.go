package job

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestMultiNodeBlockKind: a lava-multinode block with a target_group is a
// sub-job's when its roles map job ids to role names, a submission's (the
// target_group a placeholder, as in LAVA's docker-test-multinode sample)
// when every role maps to role parameters.
func TestMultiNodeBlockKind(t *testing.T) {
	head := "job_name: mn\ntimeouts: {job: {minutes: 30}}\nvisibility: public\n"
	actions := "actions:\n- test:\n    role: [server]\n    definitions:\n    - {from: git, repository: https://x/t.git, path: t.yaml, name: t}\n"
	cases := []struct {
		name, block string
		sub         bool
		diags       string
	}{
		{"submission", "    roles:\n      server: {count: 1, device_type: qemu}\n", false, ""},
		{"submission with placeholder group", "    target_group: arbitrary\n    roles:\n      server: {count: 1, device_type: qemu}\n", false, ""},
		{"sub-job", "    target_group: g\n    role: server\n    group_size: 1\n    roles: {'1': server}\n", true, ""},
		{"sub-job without roles", "    target_group: g\n    role: server\n    group_size: 1\n", true, ""},
		{"sub-job with a role's parameters in roles", "    target_group: g\n    role: server\n    group_size: 2\n    roles: {'1': server, server: {count: 1}}\n", true,
			"mn.yaml:9:34: protocols.lava-multinode.roles.server: expected str"},
		{"placeholder group not a string", "    target_group: [a]\n    roles:\n      server: {count: 1, device_type: qemu}\n", false,
			"mn.yaml:6:19: protocols.lava-multinode.target_group: expected str"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := head + "protocols:\n  lava-multinode:\n" + c.block + actions
			j, diags := Parse("mn.yaml", []byte(src))
			if got := diags.Error(); got != c.diags {
				t.Fatalf("diagnostics:\n got: %s\nwant: %s", got, c.diags)
			}
			if sub := j.TargetGroup != ""; sub != c.sub || (j.MultiNode == nil) != c.sub {
				t.Errorf("sub-job %v (target group %q, MultiNode %v), want %v", sub, j.TargetGroup, j.MultiNode != nil, c.sub)
			}
			placeholder := strings.Contains(c.block, "target_group") && !c.sub
			if placeholder != (len(j.Warnings) == 1) {
				t.Errorf("warnings %v", j.Warnings)
			}
		})
	}
}

// TestSplitLAVADockerMultinode splits LAVA's docker-test-multinode sample:
// a submission whose placeholder target_group gives way to the new group.
func TestSplitLAVADockerMultinode(t *testing.T) {
	lavaSampleJobs(t)
	j, diags := Load(filepath.Join(lavaSamples, "docker-test-multinode.yaml"))
	if len(diags) > 0 {
		t.Fatal(diags.Error())
	}
	subs, err := SplitGroup(j, "group-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 2 {
		t.Fatalf("%d sub-jobs, want 2", len(subs))
	}
	for i, want := range []string{"server", "client"} {
		s := subs[i]
		p := s.Protocols["lava-multinode"].(map[string]any)
		if s.Role != want || s.SubID != i || s.GroupSize != 2 || s.TargetGroup != "group-1" || p["target_group"] != "group-1" {
			t.Errorf("sub-job %d: role %s sub_id %d size %d group %s proto %v", i, s.Role, s.SubID, s.GroupSize, s.TargetGroup, p)
		}
		if s.DeviceType != "hi6220-hikey-r2" || len(s.Actions) != 1 || s.Actions[0].Method != "definitions" {
			t.Errorf("sub-job %d: device type %q, actions %v", i, s.DeviceType, s.Actions)
		}
		if s.RoleTimeout() == nil || s.RoleTimeout().Duration.Minutes() != 5 {
			t.Errorf("sub-job %d: role timeout %v", i, s.RoleTimeout())
		}
	}
}
