package job

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// mnStep is one MultiNode call found in an inline test definition's run steps.
type mnStep struct {
	Role, API, ID, WaitRole string
	Keys                    []string
	Node                    *yaml.Node
	Path                    string
}

// LintMultiNode checks a MultiNode job's message flow as far as the job file
// shows it: every lava-wait / lava-wait-all ID in inline definitions has a
// sender, every role of the group reaches each lava-sync, and a guest's
// prepare-scp-overlay waits for a message its host role sends with the keys
// it substitutes. Definitions from git or url are not visible here: when a
// role has any, the checks that need the whole picture are skipped.
func LintMultiNode(j *Job) Diagnostics {
	mn := j.MultiNode
	if mn == nil {
		return nil
	}
	v := &validator{file: j.File}
	var steps []mnStep
	opaque := false // some definition's steps are not in the job file
	for _, b := range j.Actions {
		if b.Section != "test" {
			continue
		}
		defs := get(b.Node, "definitions")
		for i, d := range items(defs) {
			d = resolve(d)
			if strOf(get(d, "from")) != "inline" {
				opaque = true
				continue
			}
			st := get(get(get(d, "repository"), "run"), "steps")
			if !isSeq(st) {
				continue
			}
			for k, s := range items(st) {
				if !isScalar(s) {
					continue
				}
				path := fmt.Sprintf("actions[%d].test.definitions[%d].repository.run.steps[%d]", b.Index, i, k)
				for _, role := range b.Role {
					for _, cmd := range splitCommands(resolve(s).Value) {
						if m, ok := parseMN(cmd); ok {
							m.Role, m.Node, m.Path = role, s, path
							steps = append(steps, m)
						}
					}
				}
			}
		}
	}
	sent := map[string]map[string]bool{}     // ID → roles that send it
	sentKeys := map[string]map[string]bool{} // ID → keys sent
	synced := map[string]map[string]bool{}   // ID → roles that sync on it
	for _, s := range steps {
		switch s.API {
		case "lava-send":
			if sent[s.ID] == nil {
				sent[s.ID], sentKeys[s.ID] = map[string]bool{}, map[string]bool{}
			}
			sent[s.ID][s.Role] = true
			for _, k := range s.Keys {
				sentKeys[s.ID][k] = true
			}
		case "lava-sync":
			if synced[s.ID] == nil {
				synced[s.ID] = map[string]bool{}
			}
			synced[s.ID][s.Role] = true
		}
	}
	if !opaque {
		for _, s := range steps {
			switch s.API {
			case "lava-wait", "lava-wait-all":
				if len(sent[s.ID]) == 0 {
					v.errAt(s.Node, s.Path, "%s %s: no role sends the message %q (lava-send %s)", s.API, s.ID, s.ID, s.ID)
				}
				if s.WaitRole != "" && mn.Roles[s.WaitRole] == nil {
					v.errAt(s.Node, s.Path, "%s %s %s: the role %q does not exist", s.API, s.ID, s.WaitRole, s.WaitRole)
				}
			case "lava-sync":
				var missing []string
				for _, r := range mn.Order {
					if mn.Roles[r].Count > 0 && !synced[s.ID][r] {
						missing = append(missing, r)
					}
				}
				if len(missing) > 0 {
					sort.Strings(missing)
					v.errAt(s.Node, s.Path, "lava-sync %s: the role(s) %s never reach it, so it cannot complete", s.ID, strings.Join(missing, ", "))
				}
			}
		}
	}
	// prepare-scp-overlay calls of guests: their messageID must come from the host role.
	for _, b := range j.Actions {
		calls := get(get(b.Node, "protocols"), "lava-multinode")
		for i, c := range items(calls) {
			c = resolve(c)
			if strOf(get(c, "action")) != "prepare-scp-overlay" {
				continue
			}
			path := fmt.Sprintf("actions[%d].%s.protocols.lava-multinode[%d]", b.Index, b.Section, i)
			id := strOf(get(c, "messageID"))
			if id == "" {
				v.errAt(c, path, "required key not provided: messageID")
				continue
			}
			var hosts []string
			for _, r := range b.Role {
				if role := mn.Roles[r]; role != nil && role.HostRole != "" {
					hosts = append(hosts, role.HostRole)
				}
			}
			if opaque && len(sent[id]) == 0 {
				continue
			}
			found := false
			for _, h := range hosts {
				if sent[id][h] {
					found = true
				}
			}
			if !found {
				v.errAt(get(c, "messageID"), path+".messageID", "prepare-scp-overlay waits for %q but the host role (%s) never sends it (lava-send %s key=value)", id, strings.Join(hosts, ", "), id)
				continue
			}
			for _, p := range pairs(get(c, "message")) {
				if val := strOf(p.Value); strings.HasPrefix(val, "$") && !sentKeys[id][p.Key] {
					v.errAt(p.KNode, path+".message."+p.Key, "the host's lava-send %s has no key %q to substitute for %s", id, p.Key, val)
				}
			}
		}
	}
	v.diags.sort()
	return v.diags.dedupe()
}

// splitCommands splits a shell step on ; && || and | (roughly: enough to find lava-* calls).
func splitCommands(step string) []string {
	r := strings.NewReplacer("&&", ";", "||", ";", "|", ";", "\n", ";")
	return strings.Split(r.Replace(step), ";")
}

// parseMN recognises lava-send/-wait/-wait-all/-sync at the start of a command.
func parseMN(cmd string) (mnStep, bool) {
	f := strings.Fields(cmd)
	if len(f) < 2 {
		return mnStep{}, false
	}
	api := f[0]
	if i := strings.LastIndex(api, "/"); i >= 0 {
		api = api[i+1:]
	}
	switch api {
	case "lava-send", "lava-wait", "lava-wait-all", "lava-sync":
	default:
		return mnStep{}, false
	}
	s := mnStep{API: api, ID: f[1]}
	if strings.ContainsAny(s.ID, "$`") {
		return mnStep{}, false // a computed ID cannot be checked
	}
	for _, a := range f[2:] {
		if k, _, ok := strings.Cut(a, "="); ok && api == "lava-send" {
			s.Keys = append(s.Keys, k)
		} else if api == "lava-wait-all" && s.WaitRole == "" {
			s.WaitRole = a
		}
	}
	return s, true
}

// items returns a sequence's elements (nil for anything else).
func items(n *yaml.Node) []*yaml.Node {
	if !isSeq(n) {
		return nil
	}
	return resolve(n).Content
}
