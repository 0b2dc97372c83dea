// Package coordinator is the lava-multinode coordinator: LAVA's group state
// machine (group_data, lava_send, lava_wait, lava_wait_all, lava_sync,
// clear_group, with lava-coordinator's exact replies), a TCP server speaking
// its wire protocol (8-hex length + JSON, one request per connection), and
// lavacore's push extension: a wait held open until it is satisfied, released
// the moment the last peer arrives, failed at once when a peer dies.
package coordinator

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Request is one coordinator request (the JSON object a client sends).
type Request = map[string]any

// Reply is the coordinator's answer.
type Reply = map[string]any

func str(m map[string]any, k string) string {
	switch v := m[k].(type) {
	case string:
		return v
	case nil:
		return ""
	case float64:
		if v == float64(int64(v)) {
			return fmt.Sprint(int64(v))
		}
		return fmt.Sprint(v)
	default:
		return fmt.Sprint(v)
	}
}

func num(m map[string]any, k string) int {
	switch v := m[k].(type) {
	case float64:
		return int(v)
	case int:
		return v
	case int64:
		return int(v)
	case string:
		var n int
		fmt.Sscan(v, &n)
		return n
	}
	return 0
}

type group struct {
	name     string
	count    int
	clients  map[string]string   // client_name → hostname
	order    []string            // registration order
	roleOf   map[string]string   // client → role
	roles    map[string][]string // role → clients, in registration order
	messages map[string]map[string]map[string]any
	waits    map[string]map[string]any // messageID → sender → message
	syncs    map[string]map[string]int
	complete int
	failed   map[string]string // client → why (lavacore extension)
	cleared  map[string]bool   // clients that sent clear_group
	changed  chan struct{}
}

func (g *group) bump() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// Coordinator holds every group. It is safe for concurrent use.
type Coordinator struct {
	mu     sync.Mutex
	groups map[string]*group
	// Logf, if set, receives one line per handled request.
	Logf func(format string, a ...any)
}

// New returns an empty coordinator.
func New() *Coordinator { return &Coordinator{groups: map[string]*group{}} }

func nack(why string) Reply {
	r := Reply{"response": "nack"}
	if why != "" {
		r["error"] = why
	}
	return r
}

// Handle answers one request exactly as LAVA's lava-coordinator does (wait,
// ack, nack, group_data), without blocking. Errors LAVA's coordinator would
// crash on (missing group_name, unknown waitrole) are nacks here.
func (c *Coordinator) Handle(req Request) Reply {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, g := c.handle(req)
	if g != nil && r["response"] != "wait" {
		g.bump()
	}
	if c.Logf != nil {
		c.Logf("%s %s %s %s -> %v", str(req, "group_name"), str(req, "client_name"), str(req, "request"), str(req, "messageID"), r["response"])
	}
	return r
}

// handle is Handle under the lock; it also returns the group it touched.
func (c *Coordinator) handle(req Request) (Reply, *group) {
	request := str(req, "request")
	name := str(req, "group_name")
	client := str(req, "client_name")
	if request == "" {
		return nack("missing request"), nil
	}
	if request == "lavacore_hello" {
		return Reply{"response": "ack", "server": "lavacore", "push": true}, nil
	}
	if name == "" || client == "" {
		return nack("missing group_name or client_name"), nil
	}
	g := c.groups[name]
	if g == nil {
		size := num(req, "group_size")
		if size <= 0 {
			return nack(fmt.Sprintf("asked for a new group %s without specifying the size", name)), nil
		}
		g = &group{name: name, count: size, clients: map[string]string{}, roleOf: map[string]string{},
			roles: map[string][]string{}, messages: map[string]map[string]map[string]any{},
			waits: map[string]map[string]any{}, syncs: map[string]map[string]int{}, failed: map[string]string{}, cleared: map[string]bool{},
			changed: make(chan struct{})}
		c.groups[name] = g
	}
	if _, ok := g.clients[client]; !ok {
		role := str(req, "role")
		g.clients[client] = str(req, "hostname")
		g.order = append(g.order, client)
		g.roleOf[client] = role
		g.roles[role] = append(g.roles[role], client)
		g.bump()
	}
	switch request {
	case "group_data":
		if len(g.clients) != g.count {
			return Reply{"response": "wait"}, g
		}
		roles := map[string]any{}
		for cl, r := range g.roleOf {
			roles[cl] = r
		}
		return Reply{"response": "group_data", "roles": roles}, g
	case "lava_send":
		return c.send(g, client, req), g
	case "lava_wait":
		id := str(req, "messageID")
		if m, ok := g.messages[client][id]; ok {
			return Reply{"response": "ack", "message": copyAny(m)}, g
		}
		return Reply{"response": "wait"}, g
	case "lava_wait_all":
		return c.waitAll(g, client, req), g
	case "lava_sync":
		return c.sync(g, client, req), g
	case "clear_group":
		g.complete++
		g.cleared[client] = true
		if g.complete >= len(g.clients) {
			delete(c.groups, name)
		}
		return Reply{"response": "ack"}, g
	case "lavacore_fail":
		why := str(req, "reason")
		if why == "" {
			why = "failed"
		}
		g.failed[client] = why
		return Reply{"response": "ack"}, g
	}
	return nack("unknown request " + request), nil
}

func copyAny(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (c *Coordinator) send(g *group, sender string, req Request) Reply {
	id := str(req, "messageID")
	if id == "" {
		return nack("missing messageID")
	}
	msg := req["message"]
	if msg == nil {
		msg = map[string]any{}
	}
	for cl := range g.clients {
		if g.messages[cl] == nil {
			g.messages[cl] = map[string]map[string]any{}
		}
		if g.messages[cl][id] == nil {
			g.messages[cl][id] = map[string]any{}
		}
		g.messages[cl][id][sender] = msg
	}
	if g.waits[id] == nil {
		g.waits[id] = map[string]any{}
	}
	g.waits[id][sender] = msg
	return Reply{"response": "ack"}
}

func (c *Coordinator) waitAll(g *group, me string, req Request) Reply {
	id := str(req, "messageID")
	data, sent := g.waits[id]
	role := str(req, "waitrole")
	if role == "" {
		if !sent {
			return nack("") // LAVA: wait-all on an ID nobody sent is refused
		}
		for _, cl := range g.order {
			if _, ok := data[cl]; !ok {
				return Reply{"response": "wait"}
			}
		}
		return Reply{"response": "ack", "message": copyAny(data)}
	}
	members := g.roles[role]
	if len(members) == 0 {
		if len(g.clients) < g.count {
			return Reply{"response": "wait"} // the role's clients have not registered yet
		}
		return nack(fmt.Sprintf("no client has the role %q", role))
	}
	if !sent {
		return Reply{"response": "wait"}
	}
	expected := members[0]
	for _, cl := range g.roles[g.roleOf[me]] {
		if _, ok := data[expected]; ok {
			return Reply{"response": "ack", "message": copyAny(g.messages[me][id])}
		}
		if _, ok := data[cl]; !ok {
			return Reply{"response": "wait"}
		}
	}
	return Reply{"response": "ack", "message": copyAny(data)}
}

func (c *Coordinator) sync(g *group, me string, req Request) Reply {
	id := str(req, "messageID")
	if id == "" {
		return nack("missing messageID")
	}
	s := g.syncs[id]
	if s == nil {
		s = map[string]int{}
		g.syncs[id] = s
	}
	if _, ok := s[me]; !ok {
		s[me] = 1
		if g.messages[me] == nil {
			g.messages[me] = map[string]map[string]any{}
		}
		g.bump()
		return Reply{"response": "wait"}
	}
	if len(s) < g.count {
		return Reply{"response": "wait"}
	}
	s[me] = 0
	done := true
	for _, v := range s {
		if v != 0 {
			done = false
		}
	}
	if done {
		delete(g.syncs, id)
	}
	return Reply{"response": "ack", "message": id}
}

// Missing says who a wait is still waiting for: the group's clients (and,
// for a sync, those that have not arrived) that are not yet there.
func (c *Coordinator) Missing(groupName string, req Request) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.groups[groupName]
	if g == nil {
		return "the group does not exist (yet, or any more)"
	}
	id := str(req, "messageID")
	var have, miss []string
	switch str(req, "request") {
	case "lava_sync":
		for _, cl := range g.order {
			if _, ok := g.syncs[id][cl]; ok {
				have = append(have, g.label(cl))
			} else {
				miss = append(miss, g.label(cl))
			}
		}
	case "group_data":
		for _, cl := range g.order {
			have = append(have, g.label(cl))
		}
	default:
		for _, cl := range g.order {
			if _, ok := g.waits[id][cl]; ok {
				have = append(have, g.label(cl))
			} else {
				miss = append(miss, g.label(cl))
			}
		}
	}
	if n := g.count - len(g.clients); n > 0 {
		miss = append(miss, fmt.Sprintf("%d sub-job(s) not registered yet", n))
	}
	sort.Strings(have)
	return fmt.Sprintf("arrived: [%s]; not arrived: [%s]", strings.Join(have, ", "), strings.Join(miss, ", "))
}

func (g *group) label(cl string) string { return fmt.Sprintf("%s (%s)", cl, g.roleOf[cl]) }

// failedPeers returns "client (role): why" for every failed peer of the group.
func (g *group) failedPeers(me string) []string {
	var out []string
	for cl, why := range g.failed {
		if cl != me {
			out = append(out, fmt.Sprintf("%s: %s", g.label(cl), why))
		}
	}
	sort.Strings(out)
	return out
}

// changedCh returns the channel closed at the group's next change, and the
// group's failed peers now (nil group: the group does not exist).
func (c *Coordinator) changedCh(name, me string) (<-chan struct{}, []string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.groups[name]
	if g == nil {
		return nil, nil, false
	}
	return g.changed, g.failedPeers(me), true
}
