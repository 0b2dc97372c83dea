// Package coordinator is the lava-multinode coordinator: LAVA's group state
// machine (group_data, lava_send, lava_wait, lava_wait_all, lava_sync,
// clear_group, with lava-coordinator's exact replies), a TCP server speaking
// its wire protocol (8-hex length + JSON, one request per connection), and
// lavacore's push extension: a wait held open until it is satisfied, released
// the moment the last peer arrives, failed at once when a peer dies.
//
// # Groups belong to their jobs
//
// LAVA's coordinator trusts every client. This one does not:
//
//   - Membership is bound. A group admits exactly group_size clients; each
//     is bound to the origin it registered from (a lavacore client's proof,
//     or a LAVA client's IP address), so nobody else can act as it (send,
//     wait, sync, clear, fail). A group created by an authenticated client
//     admits only authenticated clients. Refusals are LAVA nacks with an
//     "error" saying why; a refused request creates nothing.
//   - lavacore's clients authenticate with a lab secret shared by the
//     coordinator (lavacore coordinator --secret-file) and every run process
//     (lavacore run --coordinator-secret-file). A request carries
//     "lavacore_auth": {t, n, mac}, where mac is HMAC-SHA256 over the
//     request's canonical JSON, t (unix seconds) and a random nonce n, keyed
//     with HMAC(HMAC(secret, group_name), client_name): a proof is valid for
//     one group and one client, within ProofWindow of the coordinator's
//     clock, once. Proofs authenticate; they do not encrypt: keep the
//     coordinator on the lab network. Every holder of the secret may act in
//     any group (the secret is the lab's, like its dispatchers' root).
//   - LAVA's dispatchers (Debian's lava-run) cannot prove anything; they are
//     served only by a Server with AllowUnauthenticated (lavacore
//     coordinator --lava-listen ADDR, or --allow-unauthenticated), where
//     each client is bound to its IP address.
//   - Resources are bounded (Limits): groups, group_size, messages and bytes
//     per group, bytes in all; a push wait is held at most HoldTimeout, a
//     watch connection silent for WatchTimeout counts its client lost;
//     finished groups (every member cleared or failed) are dropped, idle
//     ones collected.
//   - Names are checked (group and client names: letters, digits, spaces
//     and . _ : @ + -; roles, hostnames and message IDs: no control
//     characters) and every client-chosen value is quoted in log lines.
package coordinator

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
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

// Peer is who sent a request, as the transport established it.
type Peer struct {
	// Authenticated: the request carried a valid proof for its group_name
	// and client_name (or came from this process).
	Authenticated bool
	// Addr is the client's IP address; an unauthenticated client is bound to it.
	Addr string
}

// InProcess is the peer of an in-process client (the embedded coordinator's).
var InProcess = Peer{Authenticated: true}

func (p Peer) origin() string {
	if p.Authenticated {
		return "a lavacore client with the group's key"
	}
	return "address " + p.Addr
}

type group struct {
	name      string
	count     int
	clients   map[string]string   // client_name → hostname
	order     []string            // registration order
	roleOf    map[string]string   // client → role
	roles     map[string][]string // role → clients, in registration order
	origin    map[string]string   // client → Peer.origin() it registered from
	messages  map[string]map[string]map[string]any
	waits     map[string]map[string]any   // messageID → sender → message
	sizes     map[string]map[string]int64 // messageID → sender → bytes charged
	syncs     map[string]map[string]int   // messageID → client → 1 arrived, 0 released
	syncLeft  map[string]int              // messageID → arrived clients not yet released
	complete  int
	failed    map[string]string // client → why (lavacore extension)
	cleared   map[string]bool   // clients that sent clear_group
	changed   chan struct{}
	parked    map[*parked]struct{} // held push requests, asked again at the next change
	woken     *[]*parked           // the coordinator's: where bump puts them (settle asks them)
	data      Reply                // the group_data answer, once the group is full (never changed)
	dataFrame []byte               // data, encoded (what the server writes)

	authenticated bool      // created by an authenticated client: admits only those
	bytes         int64     // charged against Limits (g.cost())
	msgs          int       // (messageID, sender) pairs and open sync IDs
	used          time.Time // the last request
}

// bump wakes every wait on the group: it is called when something a wait
// can observe changed (a member joined, sent, failed, completed a sync, or
// the group went away), not on every request.
func (g *group) bump() {
	close(g.changed)
	g.changed = make(chan struct{})
	for w := range g.parked {
		w.g = nil
		*g.woken = append(*g.woken, w)
	}
	clear(g.parked)
}

// wakeNow is a read deadline in the past: it wakes a parked connection's goroutine.
var wakeNow = time.Unix(1, 0)

// Coordinator holds every group. It is safe for concurrent use.
type Coordinator struct {
	mu     sync.Mutex
	groups map[string]*group
	// Logf, if set, receives one line per handled request; every value a
	// client chose is quoted in it.
	Logf func(format string, a ...any)
	// Limits bound the groups (New sets DefaultLimits).
	Limits Limits
	// Now is the coordinator's clock (nil: time.Now).
	Now func() time.Time

	bytes    int64
	swept    time.Time
	watchers map[string]int // group → open watch connections
	woken    []*parked      // push requests whose group changed (bump), asked again before the lock is released
}

// New returns an empty coordinator with DefaultLimits.
func New() *Coordinator {
	return &Coordinator{groups: map[string]*group{}, Limits: DefaultLimits(), watchers: map[string]int{}}
}

func (c *Coordinator) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func nack(why string) Reply {
	r := Reply{"response": "nack"}
	if why != "" {
		r["error"] = why
	}
	return r
}

// logf logs one line; a line break that slipped into it is escaped.
func (c *Coordinator) logf(format string, a ...any) {
	if c.Logf == nil {
		return
	}
	line := fmt.Sprintf(format, a...)
	if strings.ContainsFunc(line, unicode.IsControl) {
		line = strconv.QuoteToASCII(line)
	}
	c.Logf("%s", line)
}

// Handle answers one request from an in-process client; see HandleFrom.
func (c *Coordinator) Handle(req Request) Reply { return c.HandleFrom(InProcess, req) }

// HandleFrom answers one request exactly as LAVA's lava-coordinator does
// (wait, ack, nack, group_data), without blocking, except where LAVA lets a
// client act for another: a group admits group_size members with fixed
// roles and origins, a client acts only as itself, a group created by an
// authenticated client admits only those, and Limits hold. Errors LAVA's
// coordinator would crash on (missing group_name, unknown waitrole) are
// nacks here. A refused request creates nothing.
func (c *Coordinator) HandleFrom(p Peer, req Request) Reply {
	c.lock()
	defer c.unlock()
	return own(c.handleLogged(p, req))
}

// own returns a reply its receiver may change: the group_data answer is
// shared by the group's members.
func own(r Reply) Reply {
	if roles, ok := r["roles"].(map[string]any); ok {
		r = copyAny(r)
		r["roles"] = copyAny(roles)
	}
	return r
}

// handleLogged is HandleFrom under the lock.
func (c *Coordinator) handleLogged(p Peer, req Request) Reply {
	r, _ := c.handle(p, req)
	if c.Logf == nil {
		return r
	}
	why := ""
	if e, ok := r["error"].(string); ok {
		why = " (" + e + ")"
	}
	c.logf("group %s client %s %s %s from %s -> %v%s", quote(str(req, "group_name")), quote(str(req, "client_name")),
		quote(str(req, "request")), quote(str(req, "messageID")), p.origin(), r["response"], why)
	return r
}

// requests are the requests a group answers (LAVA's and lavacore's).
var requests = map[string]bool{"group_data": true, "lava_send": true, "lava_wait": true, "lava_wait_all": true,
	"lava_sync": true, "clear_group": true, "lavacore_fail": true}

// handle is HandleFrom under the lock; it also returns the group it touched.
func (c *Coordinator) handle(p Peer, req Request) (Reply, *group) {
	now := c.now()
	c.collect(now)
	request := str(req, "request")
	name := str(req, "group_name")
	client := str(req, "client_name")
	if request == "" {
		return nack("missing request"), nil
	}
	if request == "lavacore_hello" {
		return Reply{"response": "ack", "server": "lavacore", "push": true}, nil
	}
	if !requests[request] {
		return nack("unknown request " + quote(request)), nil
	}
	if name == "" || client == "" {
		return nack("missing group_name or client_name"), nil
	}
	role, host := str(req, "role"), str(req, "hostname")
	for _, err := range []error{checkName("group_name", name), checkName("client_name", client), checkText("role", role, maxText),
		checkText("hostname", host, maxText), checkText("messageID", str(req, "messageID"), MaxFrame), // LAVA sends IDs up to 64 KiB
		checkText("waitrole", str(req, "waitrole"), maxText)} {
		if err != nil {
			return nack(err.Error()), nil
		}
	}
	g := c.groups[name]
	fresh := g == nil
	if fresh {
		size := num(req, "group_size")
		switch {
		case size <= 0:
			return nack(fmt.Sprintf("asked for a new group %s without specifying the size", quote(name))), nil
		case request == "clear_group":
			return Reply{"response": "ack"}, nil // LAVA creates, registers and deletes it at once
		case request == "lavacore_fail":
			return nack(fmt.Sprintf("group %s does not exist", quote(name))), nil
		case size > c.Limits.MaxGroupSize:
			return nack(fmt.Sprintf("group %s: group_size %d is over the limit of %d", quote(name), size, c.Limits.MaxGroupSize)), nil
		case len(c.groups) >= c.Limits.MaxGroups:
			return nack(fmt.Sprintf("the coordinator holds %d groups, its limit", len(c.groups))), nil
		}
		g = &group{name: name, count: size, clients: map[string]string{}, roleOf: map[string]string{},
			roles: map[string][]string{}, origin: map[string]string{}, messages: map[string]map[string]map[string]any{},
			waits: map[string]map[string]any{}, sizes: map[string]map[string]int64{}, syncs: map[string]map[string]int{},
			syncLeft: map[string]int{}, failed: map[string]string{}, cleared: map[string]bool{}, changed: make(chan struct{}), woken: &c.woken,
			authenticated: p.Authenticated, bytes: int64(groupCost + len(name))}
	}
	if r := c.join(g, p, client, role, host, fresh); r != nil {
		return r, nil
	}
	g.used = now
	r := c.dispatch(g, p, client, request, req)
	if fresh && r["response"] == "nack" {
		c.dropGroup(g, "") // a refused request creates nothing
		return r, nil
	}
	return r, g
}

// join registers client in g if it is new and g admits it, or checks that a
// registered client is the one that registered; it returns a refusal or nil.
func (c *Coordinator) join(g *group, p Peer, client, role, host string, fresh bool) Reply {
	if _, ok := g.clients[client]; ok {
		// LAVA never updates a registered client's role or hostname: neither do we.
		if g.origin[client] != p.origin() {
			return nack(fmt.Sprintf("client %s of group %s registered as %s; this request comes from %s: a client acts only as itself",
				quote(client), quote(g.name), g.origin[client], p.origin()))
		}
		return nil
	}
	if g.authenticated && !p.Authenticated {
		return nack(fmt.Sprintf("group %s admits only lavacore clients with the group's key", quote(g.name)))
	}
	if len(g.clients) >= g.count {
		return nack(fmt.Sprintf("group %s is full: its %d members have registered and %s is not one of them", quote(g.name), g.count, quote(client)))
	}
	cost := int64(clientCost + len(client) + len(role) + len(host))
	if fresh {
		if g.bytes+cost > c.Limits.MaxGroupBytes || c.bytes+g.bytes+cost > c.Limits.MaxTotalBytes {
			return nack(fmt.Sprintf("group %s: the coordinator is over its limit of %d bytes for all groups", quote(g.name), c.Limits.MaxTotalBytes))
		}
		c.addGroup(g)
	} else if err := c.charge(g, cost, true); err != nil {
		return nack(err.Error())
	}
	if fresh {
		_ = c.charge(g, cost, false)
	}
	g.clients[client] = host
	g.order = append(g.order, client)
	g.roleOf[client] = role
	g.roles[role] = append(g.roles[role], client)
	g.origin[client] = p.origin()
	if len(g.clients) == g.count || len(g.roles[role]) == 1 {
		g.bump() // what a wait can see of a join: the group is full (group_data), a role has its first member (lava_wait_all)
	}
	return nil
}

// dispatch answers a request of a registered client.
func (c *Coordinator) dispatch(g *group, p Peer, client, request string, req Request) Reply {
	switch request {
	case "group_data":
		if len(g.clients) != g.count {
			return Reply{"response": "wait"}
		}
		if g.data == nil { // a full group's roles never change: build and encode them once
			roles := make(map[string]any, len(g.roleOf))
			for cl, r := range g.roleOf {
				roles[cl] = r
			}
			g.data = Reply{"response": "group_data", "roles": roles}
			g.dataFrame, _ = encodeFrame(g.data)
		}
		return g.data // shared: HandleFrom and WaitFrom hand out copies (own)
	case "lava_send":
		return c.send(g, client, req)
	case "lava_wait":
		id := str(req, "messageID")
		if m, ok := g.messages[client][id]; ok {
			return Reply{"response": "ack", "message": copyAny(m)}
		}
		return Reply{"response": "wait"}
	case "lava_wait_all":
		return c.waitAll(g, client, req)
	case "lava_sync":
		return c.sync(g, client, req)
	case "clear_group":
		if !g.cleared[client] {
			g.cleared[client] = true
			g.complete++
		}
		if g.finished() {
			c.dropGroup(g, "")
		}
		return Reply{"response": "ack"}
	default: // lavacore_fail
		defer g.bump()
		why := clean(str(req, "reason"))
		if why == "" {
			why = "failed"
		}
		g.failed[client] = why
		return Reply{"response": "ack"}
	}
}

// finished: every registered client cleared the group or failed.
func (g *group) finished() bool {
	for cl := range g.clients {
		if _, failed := g.failed[cl]; !g.cleared[cl] && !failed {
			return false
		}
	}
	return true
}

// clean makes a client's free text (a failure reason) one short line.
func clean(s string) string {
	if len(s) > maxText {
		s = s[:maxText]
	}
	s = strings.ToValidUTF8(s, "?")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}

func copyAny(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Missing says who a wait is still waiting for: the group's clients (and,
// for a sync, those that have not arrived) that are not yet there.
func (c *Coordinator) Missing(groupName string, req Request) string {
	c.lock()
	defer c.unlock()
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
	c.lock()
	defer c.unlock()
	g := c.groups[name]
	if g == nil {
		return nil, nil, false
	}
	return g.changed, g.failedPeers(me), true
}
