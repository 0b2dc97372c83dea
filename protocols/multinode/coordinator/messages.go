package coordinator

import "fmt"

func (c *Coordinator) send(g *group, sender string, req Request) Reply {
	id := str(req, "messageID")
	if id == "" {
		return nack("missing messageID")
	}
	msg := req["message"]
	if msg == nil {
		msg = map[string]any{}
	}
	old, replaces := g.sizes[id][sender]
	if !replaces && g.msgs >= c.Limits.MaxMessages {
		return nack(fmt.Sprintf("group %s is at its limit of %d messages", quote(g.name), c.Limits.MaxMessages))
	}
	size := int64(entryCost+len(id)+len(sender)) + msgSize(msg) + int64(48*len(g.clients))
	if err := c.charge(g, size-old, true); err != nil {
		return nack(err.Error())
	}
	if !replaces {
		g.msgs++
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
		g.sizes[id] = map[string]int64{}
	}
	g.waits[id][sender] = msg
	g.sizes[id][sender] = size
	g.bump()
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
		if g.msgs >= c.Limits.MaxMessages {
			return nack(fmt.Sprintf("group %s is at its limit of %d messages", quote(g.name), c.Limits.MaxMessages))
		}
		if err := c.charge(g, int64(entryCost+len(id)), true); err != nil {
			return nack(err.Error())
		}
		g.msgs++
		s = map[string]int{}
		g.syncs[id] = s
	}
	if _, ok := s[me]; !ok {
		if err := c.charge(g, syncEntryCost, true); err != nil {
			return nack(err.Error())
		}
		s[me] = 1
		g.syncLeft[id]++
		if g.messages[me] == nil {
			g.messages[me] = map[string]map[string]any{}
		}
		if len(s) == g.count {
			g.bump() // the last arrival releases the others (only it: nobody waits for the others' arrivals)
		}
		return Reply{"response": "wait"}
	}
	if len(s) < g.count {
		return Reply{"response": "wait"}
	}
	if s[me] != 0 {
		s[me] = 0
		g.syncLeft[id]--
	}
	if g.syncLeft[id] == 0 { // every member has been released
		_ = c.charge(g, -int64(entryCost+len(id)+syncEntryCost*len(s)), false)
		g.msgs--
		delete(g.syncs, id)
		delete(g.syncLeft, id)
	}
	return Reply{"response": "ack", "message": id}
}
