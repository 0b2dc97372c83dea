package pipelinetest

// A small LAVA job decoder for these tests only (core/job owns the real one):
// enough of the schema to build pipelines from LAVA's sample jobs and the
// seed job, including the MultiNode split of reference lava-multinode.md §1.2.

import (
	"fmt"
	"os"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/core/job"
)

func parseTimeout(v any) *job.Timeout {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	t := &job.Timeout{}
	units := map[string]time.Duration{"days": 24 * time.Hour, "hours": time.Hour, "minutes": time.Minute, "seconds": time.Second}
	for k, u := range units {
		if n, ok := m[k].(int); ok {
			t.Duration += time.Duration(n) * u
		}
	}
	t.Skip, _ = m["skip"].(bool)
	return t
}

func parseTimeoutMap(v any) map[string]job.Timeout {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	out := map[string]job.Timeout{}
	for k, x := range m {
		if t := parseTimeout(x); t != nil {
			out[k] = *t
		}
	}
	return out
}

func decodeJobBytes(t testing.TB, name string, src []byte) *job.Job {
	t.Helper()
	raw := yamlMap(t, name, src)
	j := &job.Job{File: name, Context: map[string]any{}}
	j.Name, _ = raw["job_name"].(string)
	j.DeviceType, _ = raw["device_type"].(string)
	if ts, ok := raw["timeouts"].(map[string]any); ok {
		j.Timeouts.Job = parseTimeout(ts["job"])
		j.Timeouts.Action = parseTimeout(ts["action"])
		j.Timeouts.Connection = parseTimeout(ts["connection"])
		j.Timeouts.Actions = parseTimeoutMap(ts["actions"])
		j.Timeouts.Connections = parseTimeoutMap(ts["connections"])
	}
	if p, ok := raw["protocols"].(map[string]any); ok {
		j.Protocols = p
		if mn, ok := p["lava-multinode"].(map[string]any); ok {
			j.Role, _ = mn["role"].(string)
			j.SubID, _ = mn["sub_id"].(int)
			j.GroupSize, _ = mn["group_size"].(int)
			j.TargetGroup, _ = mn["target_group"].(string)
		}
	}
	list, _ := raw["actions"].([]any)
	var doc yaml.Node
	_ = yaml.Unmarshal(src, &doc)
	var items []*yaml.Node
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "actions" {
			items = root.Content[i+1].Content
		}
	}
	for i, item := range list {
		m := item.(map[string]any)
		for section, body := range m {
			params := body.(map[string]any)
			b := job.ActionBlock{Index: i, Section: section, Params: params, Namespace: "common"}
			if i < len(items) {
				b.Node = items[i]
				b.Pos = job.Pos{File: name, Line: items[i].Line, Column: items[i].Column}
			}
			switch section {
			case "deploy":
				b.Method, _ = params["to"].(string)
			case "boot":
				b.Method, _ = params["method"].(string)
			case "test":
				for _, k := range []string{"definitions", "interactive", "monitors"} {
					if _, ok := params[k]; ok {
						b.Method = k
						break
					}
				}
			case "command":
				b.Method, _ = params["name"].(string)
			}
			if ns, ok := params["namespace"].(string); ok {
				b.Namespace = ns
			}
			switch r := params["role"].(type) {
			case string:
				b.Role = []string{r}
			case []any:
				for _, x := range r {
					b.Role = append(b.Role, x.(string))
				}
			}
			b.Timeout = parseTimeout(params["timeout"])
			b.Timeouts = parseTimeoutMap(params["timeouts"])
			b.FailureRetry, _ = params["failure_retry"].(int)
			b.Repeat, _ = params["repeat"].(int)
			if n, ok := params["failure_retry_interval"].(int); ok {
				b.FailureRetryInterval = time.Duration(n) * time.Second
			}
			j.Actions = append(j.Actions, b)
		}
	}
	return j
}

func decodeJob(t testing.TB, path string) *job.Job {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return decodeJobBytes(t, path, src)
}

// testSubJob is one role instance of a split MultiNode job.
type testSubJob struct {
	job        *job.Job
	connection string // "ssh" for guests
	hostRole   string
}

// splitJob splits a MultiNode job as LAVA's split_multinode_yaml does
// (roles in file order, sub_id across the group).
func splitJob(t testing.TB, path string) []testSubJob {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	raw := yamlMap(t, path, src)
	// role order as written
	var order []string
	root := doc.Content[0]
	for i := 0; i < len(root.Content); i += 2 {
		if root.Content[i].Value != "protocols" {
			continue
		}
		p := root.Content[i+1]
		for k := 0; k < len(p.Content); k += 2 {
			if p.Content[k].Value != "lava-multinode" {
				continue
			}
			mn := p.Content[k+1]
			for r := 0; r < len(mn.Content); r += 2 {
				if mn.Content[r].Value == "roles" {
					roles := mn.Content[r+1]
					for x := 0; x < len(roles.Content); x += 2 {
						order = append(order, roles.Content[x].Value)
					}
				}
			}
		}
	}
	roles := raw["protocols"].(map[string]any)["lava-multinode"].(map[string]any)["roles"].(map[string]any)
	size := 0
	for _, r := range roles {
		size += r.(map[string]any)["count"].(int)
	}
	var out []testSubJob
	sub := 0
	for _, name := range order {
		role := roles[name].(map[string]any)
		for c := 0; c < role["count"].(int); c++ {
			j := decodeJobBytes(t, path, src)
			j.Role, j.SubID, j.GroupSize, j.TargetGroup = name, sub, size, "00000000-0000-4000-8000-000000000000"
			j.DeviceType, _ = role["device_type"].(string)
			var kept []job.ActionBlock
			for _, b := range j.Actions {
				for _, r := range b.Role {
					if r == name {
						b.Role = []string{name}
						b.Index = len(kept)
						kept = append(kept, b)
						break
					}
				}
			}
			j.Actions = kept
			s := testSubJob{job: j}
			s.connection, _ = role["connection"].(string)
			s.hostRole, _ = role["host_role"].(string)
			out = append(out, s)
			sub++
		}
	}
	if len(out) == 0 {
		t.Fatal(fmt.Sprintf("%s: no roles", path))
	}
	return out
}

// yamlMap decodes a YAML mapping as PyYAML does: a repeated key keeps its
// last value (the seed job repeats `install:`).
func yamlMap(t testing.TB, name string, src []byte) map[string]any {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	m, ok := nodeValue(doc.Content[0]).(map[string]any)
	if !ok {
		t.Fatalf("%s: not a mapping", name)
	}
	return m
}

func nodeValue(n *yaml.Node) any {
	switch n.Kind {
	case yaml.DocumentNode:
		return nodeValue(n.Content[0])
	case yaml.AliasNode:
		return nodeValue(n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = nodeValue(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			l = append(l, nodeValue(c))
		}
		return l
	}
	var v any
	_ = n.Decode(&v)
	return v
}
