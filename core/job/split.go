package job

import (
	"crypto/rand"
	"fmt"
)

// NewTargetGroup returns a random UUID4 for a MultiNode group (LAVA's target_group).
func NewTargetGroup() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Split turns a MultiNode job into one sub-job per role instance, as LAVA's
// split_multinode_yaml does: roles in file order, `count` copies each, sub_id
// 0, 1, 2 … across the whole group, each with only the actions naming its
// role, the role's device_type/connection/host_role/context lifted to the top
// and the rest of the role in its protocols.lava-multinode block together with
// target_group, role, group_size and sub_id. A single-node job (or a sub-job
// file) is returned as it is. The group's target_group is NewTargetGroup().
func Split(j *Job) ([]*Job, error) { return SplitGroup(j, NewTargetGroup()) }

// SplitGroup is Split with the group's target_group given.
func SplitGroup(j *Job, group string) ([]*Job, error) {
	if j.MultiNode == nil {
		return []*Job{j}, nil
	}
	mn := j.MultiNode
	size := 0
	for _, name := range mn.Order {
		size += max(0, min(mn.Roles[name].Count, MaxGroupSize+1))
	}
	if size > MaxGroupSize {
		return nil, fmt.Errorf("%s: lava-multinode: the group has more than %d sub-jobs", j.File, MaxGroupSize)
	}
	if size == 0 {
		return nil, fmt.Errorf("%s: lava-multinode: every role has count 0", j.File)
	}
	rawMN, _ := j.Protocols["lava-multinode"].(map[string]any)
	rawRoles, _ := rawMN["roles"].(map[string]any)
	var subs []*Job
	subID := 0
	for _, name := range mn.Order {
		r := mn.Roles[name]
		for c := 0; c < r.Count; c++ {
			s := *j
			s.MultiNode = nil
			s.Role, s.SubID, s.GroupSize, s.TargetGroup = name, subID, size, group
			s.DeviceType = r.DeviceType
			if r.Connection != "" && mn.Roles[r.HostRole] != nil {
				// A dynamic connection runs with its host's device configuration.
				s.DeviceType = mn.Roles[r.HostRole].DeviceType
			}
			s.Context = copyMap(r.Context)
			s.Tags = r.Tags
			proto := map[string]any{}
			roleParams, _ := rawRoles[name].(map[string]any)
			for k, v := range roleParams {
				switch k {
				case "count", "device_type", "connection", "host_role", "context":
				default:
					proto[k] = v
				}
			}
			for k, v := range rawMN {
				if k != "roles" && k != "role" {
					proto[k] = v // the top-level timeout overrides the role's
				}
			}
			proto["target_group"] = group
			proto["role"] = name
			proto["group_size"] = size
			proto["sub_id"] = subID
			if r.Connection != "" {
				proto["connection"] = r.Connection
				proto["host_role"] = r.HostRole
			}
			if mn.Timeout != nil {
				t := *mn.Timeout
				s.roleTimeout = &t
			} else if r.Timeout != nil {
				t := *r.Timeout
				s.roleTimeout = &t
			}
			s.Protocols = copyMap(j.Protocols)
			s.Protocols["lava-multinode"] = proto
			s.Actions = nil
			for _, b := range j.Actions {
				for _, br := range b.Role {
					if br == name {
						nb := b
						nb.Role = []string{name}
						nb.Params = copyMap(b.Params)
						nb.Params["role"] = []any{name}
						s.Actions = append(s.Actions, nb)
						break
					}
				}
			}
			subs = append(subs, &s)
			subID++
		}
	}
	// LAVA's scheduler adds roles: {<job id>: <role>} for the device jobs; the
	// runner knows the ids. Until then, a sub_id map of every sub-job.
	roles := map[string]any{}
	for _, s := range subs {
		roles[fmt.Sprint(s.SubID)] = s.Role
	}
	for _, s := range subs {
		s.Protocols["lava-multinode"].(map[string]any)["roles"] = roles
	}
	return subs, nil
}

// RoleTimeout is the sub-job's lava-multinode timeout (the role's, or the
// protocol block's, which overrides it); nil for single-node jobs.
func (j *Job) RoleTimeout() *Timeout { return j.roleTimeout }

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
