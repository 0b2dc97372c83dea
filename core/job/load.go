package job

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Options tune how a job file is read; the zero value is what Load and
// Parse use.
// Load reads, decodes and validates the job file at path. The job is returned
// whenever it could be decoded, even with diagnostics.
func Load(path string) (*Job, Diagnostics) { return Options{}.Load(path) }

// LoadWith is Load with these options (the installed methods, strict keys).
func LoadWith(path string, o Options) (*Job, Diagnostics) { return o.Load(path) }

// Parse decodes and validates a job. file names the source in diagnostics.
// The job is measured against the limits of budget.go (size, nesting, alias
// expansion) before anything walks it.
func Parse(file string, data []byte) (*Job, Diagnostics) { return Options{}.Parse(file, data) }

// ParseWith is Parse with these options.
func ParseWith(file string, data []byte, o Options) (*Job, Diagnostics) { return o.Parse(file, data) }

// Load is Load with these options.
func (o Options) Load(path string) (*Job, Diagnostics) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Diagnostics{{Pos: Pos{File: path, Line: 1, Column: 1}, Msg: fmt.Sprintf("cannot read job: %v", errors.Unwrap(err))}}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxJobSize+1))
	if err != nil {
		return nil, Diagnostics{{Pos: Pos{File: path, Line: 1, Column: 1}, Msg: fmt.Sprintf("cannot read job: %v", err)}}
	}
	return o.Parse(path, data)
}

// Parse is Parse with these options.
func (o Options) Parse(file string, data []byte) (*Job, Diagnostics) {
	j, diags, _ := o.parse(file, data)
	return j, diags
}

// parse is Parse, with the budget's counters for the fuzz target.
func (o Options) parse(file string, data []byte) (*Job, Diagnostics, *budget) {
	b := &budget{file: file, strictKeys: o.StrictKeys}
	if len(data) > MaxJobSize {
		return nil, Diagnostics{{Pos: Pos{File: file, Line: 1, Column: 1}, Msg: fmt.Sprintf("job file is larger than %d bytes", MaxJobSize)}}, b
	}
	v := &validator{file: file, methods: o.methodSet()}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		line := 1
		msg := err.Error()
		if errors.Is(err, io.EOF) {
			msg = "the job file is empty"
		}
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			fmt.Sscanf(strings.TrimPrefix(msg, "yaml: line "), "%d:", &line)
		}
		return nil, Diagnostics{{Pos: Pos{File: file, Line: line, Column: 1}, Msg: "invalid YAML: " + msg}}, b
	}
	if !b.check(&doc) {
		return nil, b.diags, b
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		v.errAt(&extra, "", "the job file holds more than one YAML document")
	}
	if len(doc.Content) == 0 {
		return nil, Diagnostics{{Pos: Pos{File: file, Line: 1, Column: 1}, Msg: "the job file is empty"}}, b
	}
	v.diags = append(v.diags, b.diags...) // duplicate keys with StrictKeys
	root := resolve(doc.Content[0])
	if !isMap(root) {
		v.errAt(root, "", "expected a dictionary")
		return nil, v.diags, b
	}
	top := topSchema()
	sub := isSubJob(root)
	if sub {
		// A sub-job file after LAVA's split (what lava-run reads): the role's
		// device_type/connection/host_role/context were lifted to the top.
		top["connection"] = opt(nonEmptyStr)
		top["host_role"] = opt(nonEmptyStr)
		top["target"] = opt(anyValue) // LAVA's unit-test sub-job files carry it
	}
	v.mapping(root, "", top)
	j := decode(file, root)
	crossChecks(v, j, root)
	j.Warnings = append(b.warnings, v.warns...)
	j.Warnings.sort()
	v.diags.sort()
	return j, v.diags.dedupe(), b
}

func parseTimeout(file string, n *yaml.Node) *Timeout {
	n = resolve(n)
	if !isMap(n) {
		return nil
	}
	t := &Timeout{Pos: Pos{File: file, Line: n.Line, Column: n.Column}}
	for _, p := range pairs(n) {
		i, _ := intOf(p.Value)
		switch p.Key {
		case "days", "hours", "minutes", "seconds":
			// Validation refuses a value above MaxTimeout; clamp here so that
			// no sum or product can overflow time.Duration.
			i = max(0, min(i, maxUnits(p.Key)))
			t.Duration = min(t.Duration+time.Duration(i)*timeoutUnits[p.Key], MaxTimeout)
		case "skip":
			t.Skip, _ = plain(p.Value).(bool)
		}
	}
	if t.Duration <= 0 {
		t.Duration = 30 * time.Second // LAVA: a total of 0 gives the 30 s default
	}
	return t
}

func parseTimeoutMap(file string, n *yaml.Node) map[string]Timeout {
	if !isMap(n) {
		return nil
	}
	m := map[string]Timeout{}
	for _, p := range pairs(n) {
		if t := parseTimeout(file, p.Value); t != nil {
			m[p.Key] = *t
		}
	}
	return m
}

func strOf(n *yaml.Node) string {
	if isScalar(n) && !isNull(n) {
		return resolve(n).Value
	}
	return ""
}

// decode fills a Job from the root mapping; it tolerates invalid input
// (validation reports it).
func decode(file string, root *yaml.Node) *Job {
	j := &Job{File: file, Root: root}
	j.Name = strOf(get(root, "job_name"))
	j.DeviceType = strOf(get(root, "device_type"))
	j.Device = strOf(get(root, "device"))
	j.Worker = strOf(get(root, "worker"))
	j.Priority = plain(get(root, "priority"))
	j.Visibility = plain(get(root, "visibility"))
	if t := get(root, "timeouts"); isMap(t) {
		j.Timeouts = Timeouts{
			Job:         parseTimeout(file, get(t, "job")),
			Action:      parseTimeout(file, get(t, "action")),
			Connection:  parseTimeout(file, get(t, "connection")),
			Queue:       parseTimeout(file, get(t, "queue")),
			Actions:     parseTimeoutMap(file, get(t, "actions")),
			Connections: parseTimeoutMap(file, get(t, "connections")),
		}
	}
	j.Context, _ = plain(get(root, "context")).(map[string]any)
	j.Metadata, _ = plain(get(root, "metadata")).(map[string]any)
	j.Tags = strList(get(root, "tags"))
	if s, ok := plain(get(root, "secrets")).(map[string]any); ok {
		j.Secrets = map[string]string{}
		for k, v := range s {
			j.Secrets[k] = fmt.Sprint(v)
		}
	}
	j.Protocols, _ = plain(get(root, "protocols")).(map[string]any)
	if mn := get(get(root, "protocols"), "lava-multinode"); isMap(mn) {
		if isSubJob(root) {
			j.Role = strOf(get(mn, "role"))
			j.SubID, _ = intOf(get(mn, "sub_id"))
			j.GroupSize, _ = intOf(get(mn, "group_size"))
			j.TargetGroup = strOf(get(mn, "target_group"))
		} else {
			j.MultiNode = decodeMultiNode(file, mn)
		}
	}
	if acts := get(root, "actions"); isSeq(acts) {
		for i, item := range resolve(acts).Content {
			item = resolve(item)
			ps := pairs(item)
			if len(ps) != 1 || !isMap(ps[0].Value) {
				continue
			}
			j.Actions = append(j.Actions, decodeBlock(file, i, ps[0].Key, ps[0].Value, ps[0].KNode))
		}
	}
	return j
}

// isSubJob reports whether the job is one sub-job of a split MultiNode job.
func isSubJob(root *yaml.Node) bool {
	return subJobBlock(get(get(root, "protocols"), "lava-multinode"))
}

func decodeMultiNode(file string, n *yaml.Node) *MultiNode {
	mn := &MultiNode{Roles: map[string]*Role{}, Timeout: parseTimeout(file, get(n, "timeout")),
		Pos: Pos{File: file, Line: n.Line, Column: n.Column}}
	for _, p := range pairs(get(n, "roles")) {
		r := &Role{Name: p.Key, Pos: Pos{File: file, Line: p.KNode.Line, Column: p.KNode.Column}}
		r.Count, _ = intOf(get(p.Value, "count"))
		r.DeviceType = strOf(get(p.Value, "device_type"))
		r.Connection = strOf(get(p.Value, "connection"))
		r.HostRole = strOf(get(p.Value, "host_role"))
		r.ExpectRole = strOf(get(p.Value, "expect_role"))
		r.Request = strOf(get(p.Value, "request"))
		r.Timeout = parseTimeout(file, get(p.Value, "timeout"))
		r.Context, _ = plain(get(p.Value, "context")).(map[string]any)
		r.Tags = strList(get(p.Value, "tags"))
		mn.Roles[p.Key] = r
		mn.Order = append(mn.Order, p.Key)
	}
	return mn
}

func decodeBlock(file string, index int, section string, body, key *yaml.Node) ActionBlock {
	b := ActionBlock{Index: index, Section: section, Node: body, Namespace: "common",
		Pos: Pos{File: file, Line: key.Line, Column: key.Column}}
	b.Params, _ = plain(body).(map[string]any)
	switch section {
	case "deploy":
		b.Method = strOf(get(body, "to"))
	case "boot":
		b.Method = strOf(get(body, "method"))
	case "test":
		b.Method = blockKind(body)
	case "command":
		b.Method = strOf(get(body, "name"))
	}
	if ns := strOf(get(body, "namespace")); ns != "" {
		b.Namespace = ns
	}
	b.Role = strList(get(body, "role"))
	b.Timeout = parseTimeout(file, get(body, "timeout"))
	b.Timeouts = parseTimeoutMap(file, get(body, "timeouts"))
	b.FailureRetry, _ = intOf(get(body, "failure_retry"))
	b.Repeat, _ = intOf(get(body, "repeat"))
	if i, ok := intOf(get(body, "failure_retry_interval")); ok {
		b.FailureRetryInterval = time.Duration(max(0, min(i, maxUnits("seconds")))) * time.Second
	}
	b.Protocols, _ = plain(get(body, "protocols")).(map[string]any)
	return b
}

// crossChecks are LAVA's checks across fields (§1.6 and the MultiNode submission checks).
func crossChecks(v *validator, j *Job, root *yaml.Node) {
	mn := j.MultiNode
	protoNode := get(get(root, "protocols"), "lava-multinode")
	if mn == nil && j.TargetGroup == "" && j.DeviceType == "" && get(root, "device_type") == nil {
		v.errAt(root, "", "\"device_type\" or multinode should be defined")
	}
	if mn != nil {
		for _, k := range []string{"device_type", "environment", "context", "tags"} {
			if kn := getKey(root, k); kn != nil {
				v.errAt(kn, k, "%q should not be used with multinode", k)
			}
		}
	}
	// Timeouts against the job timeout.
	if t := get(root, "timeouts"); isMap(t) && j.Timeouts.Job != nil {
		jobT := j.Timeouts.Job.Duration
		for _, k := range []string{"action", "connection"} {
			if x := parseTimeout(v.file, get(t, k)); x != nil && x.Duration > jobT {
				v.errAt(getKey(t, k), "timeouts."+k, "Global timeout is larger than job timeout")
			}
		}
		for _, k := range []string{"actions", "connections"} {
			for _, p := range pairs(get(t, k)) {
				if x := parseTimeout(v.file, p.Value); x != nil && x.Duration > jobT {
					v.errAt(p.KNode, "timeouts."+k+"."+p.Key, "Global timeout is larger than job timeout")
				}
			}
		}
		for _, b := range j.Actions {
			if b.Timeout != nil && b.Timeout.Duration > jobT {
				v.errAt(getKey(b.Node, "timeout"), fmt.Sprintf("actions[%d].%s.timeout", b.Index, b.Section), "Action timeout is larger than job timeout")
			}
		}
	}
	// Namespaces: all or none.
	withNS := 0
	for _, b := range j.Actions {
		if get(b.Node, "namespace") != nil {
			withNS++
		}
	}
	if withNS > 0 && withNS < len(j.Actions) {
		for _, b := range j.Actions {
			if get(b.Node, "namespace") == nil {
				v.errAt(b.Node, fmt.Sprintf("actions[%d].%s", b.Index, b.Section), "When using namespaces, every action should have a namespace")
			}
		}
	}
	for _, b := range j.Actions {
		if b.Repeat > 0 && b.FailureRetry > 0 {
			v.errAt(getKey(b.Node, "repeat"), fmt.Sprintf("actions[%d].%s.repeat", b.Index, b.Section), "Unable to use repeat and failure_retry, use a repeat block")
		}
	}
	if j.TargetGroup != "" {
		for _, b := range j.Actions {
			path := fmt.Sprintf("actions[%d].%s", b.Index, b.Section)
			for _, r := range b.Role {
				if r != j.Role {
					v.errAt(get(b.Node, "role"), path+".role", "'role' '%s' is not this sub-job's role '%s'", r, j.Role)
				}
			}
		}
		return
	}
	if mn == nil {
		for _, b := range j.Actions {
			if kn := getKey(b.Node, "role"); kn != nil {
				v.errAt(kn, fmt.Sprintf("actions[%d].%s.role", b.Index, b.Section), "'role' is only valid in a MultiNode job (protocols: lava-multinode)")
			}
		}
		return
	}
	multinodeChecks(v, j, protoNode)
	groupSize(v, j, get(protoNode, "roles"))
}

func multinodeChecks(v *validator, j *Job, protoNode *yaml.Node) {
	mn := j.MultiNode
	rolesNode := get(protoNode, "roles")
	for _, name := range mn.Order {
		r := mn.Roles[name]
		rn := get(rolesNode, name)
		path := "protocols.lava-multinode.roles." + name
		if r.Connection != "" {
			if r.DeviceType != "" {
				v.errAt(rn, path, "lava-multinode protocol cannot support device_type and connection for a single role.")
			}
			for _, k := range []string{"device", "worker"} {
				if kn := getKey(rn, k); kn != nil {
					v.errAt(kn, path+"."+k, "lava-multinode connection roles cannot specify device or worker.")
				}
			}
			if r.HostRole == "" {
				v.errAt(rn, path, "connection specified without a host_role")
			}
		} else {
			if r.DeviceType == "" && getKey(rn, "device_type") == nil && isMap(rn) {
				v.errAt(rn, path, "required key not provided: device_type (or connection)")
			}
			for _, k := range []string{"device", "worker"} {
				if kn := getKey(rn, k); kn != nil && r.DeviceType == "" {
					v.errAt(kn, path+"."+k, "'%s' requires 'device_type'", k)
				}
			}
			if kn := getKey(rn, "device"); kn != nil && r.Count != 1 {
				v.errAt(kn, path+".device", "lava-multinode roles using a specific device must set count to 1.")
			}
		}
		if r.HostRole != "" {
			if mn.Roles[r.HostRole] == nil {
				v.errAt(get(rn, "host_role"), path+".host_role", "'host_role' '%s' does not exist", r.HostRole)
			} else if mn.Roles[r.HostRole].Count != 1 {
				v.errAt(get(rn, "host_role"), path+".host_role", "The count for a role designated as a host_role must be 1.")
			}
			if r.ExpectRole == "" {
				v.errAt(rn, path, "'expect_role' is required when 'host_role' is used")
			}
		}
		if r.ExpectRole != "" {
			if mn.Roles[r.ExpectRole] == nil {
				v.errAt(get(rn, "expect_role"), path+".expect_role", "'expect_role' '%s' does not exist", r.ExpectRole)
			}
			if r.HostRole == "" {
				v.errAt(get(rn, "expect_role"), path+".expect_role", "'expect_role' without 'host_role'")
			}
		}
	}
	used := map[string]bool{}
	for _, b := range j.Actions {
		path := fmt.Sprintf("actions[%d].%s", b.Index, b.Section)
		if len(b.Role) == 0 {
			v.errAt(b.Node, path, "Invalid YAML - Did not find a role in action '%s', check for consistent use of whitespace indents.", b.Section)
			continue
		}
		for _, r := range b.Role {
			used[r] = true
			if mn.Roles[r] == nil {
				names := append([]string(nil), mn.Order...)
				sort.Strings(names)
				v.errAt(get(b.Node, "role"), path+".role", "'role' '%s' does not exist (roles: %s)", r, strings.Join(names, ", "))
			}
		}
	}
	for _, name := range mn.Order {
		if !used[name] && mn.Roles[name].Count > 0 {
			v.errAt(getKey(rolesNode, name), "protocols.lava-multinode.roles."+name, "role '%s' has no actions", name)
		}
	}
}
