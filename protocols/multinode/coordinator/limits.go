package coordinator

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits bound what the coordinator holds for its clients.
type Limits struct {
	MaxGroups     int           // groups held at once
	MaxGroupSize  int           // a group's group_size
	MaxMessages   int           // per group: stored (messageID, sender) pairs plus open sync IDs
	MaxGroupBytes int64         // per group: the size of its names and stored messages
	MaxTotalBytes int64         // every group together
	IdleGroup     time.Duration // a group with no request and no live watch for this long is collected
}

// DefaultLimits are a lab's: far above what LAVA's jobs use.
func DefaultLimits() Limits {
	return Limits{MaxGroups: 4096, MaxGroupSize: 512, MaxMessages: 4096, MaxGroupBytes: 16 << 20,
		MaxTotalBytes: 256 << 20, IdleGroup: 24 * time.Hour}
}

// Name limits: group and client names are identifiers (LAVA's are a uuid4
// and a job id), roles and message IDs are printable text.
const (
	maxName  = 128
	maxText  = 256
	nameRune = "letters, digits, spaces (LAVA's own tests use them) and . _ : @ + -"
)

func isNameRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_' || r == ':' || r == '@' || r == '+' || r == '-' || r == ' '
}

// checkName refuses a group or client name outside its charset or length.
func checkName(field, v string) error {
	if v == "" {
		return fmt.Errorf("missing %s", field)
	}
	if len(v) > maxName {
		return fmt.Errorf("%s %s is longer than %d bytes", field, quote(v), maxName)
	}
	for _, r := range v {
		if !isNameRune(r) {
			return fmt.Errorf("%s %s may hold only %s", field, quote(v), nameRune)
		}
	}
	return nil
}

// checkText refuses control characters and invalid UTF-8 in a role, a
// hostname or a message ID, and a text longer than max bytes.
func checkText(field, v string, max int) error {
	if len(v) > max {
		return fmt.Errorf("%s %s is longer than %d bytes", field, quote(v), max)
	}
	if !utf8.ValidString(v) {
		return fmt.Errorf("%s %s is not UTF-8", field, quote(v))
	}
	for _, r := range v {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return fmt.Errorf("%s %s holds a control character", field, quote(v))
		}
	}
	return nil
}

// quote makes a client's text safe for one log line: Go-quoted (control
// characters escaped) and at most 80 bytes of it.
func quote(s string) string {
	if len(s) > 80 {
		return strconv.QuoteToASCII(s[:80]) + "…"
	}
	return strconv.QuoteToASCII(s)
}

// Costs charged against the limits (bytes, roughly what Go holds).
const (
	groupCost  = 512
	clientCost = 256
	entryCost  = 96
	// syncEntryCost is one client's arrival at a sync.
	syncEntryCost = 48
)

func msgSize(v any) int64 {
	b, err := json.Marshal(v)
	if err != nil {
		return 1 << 30
	}
	return int64(len(b))
}

// charge adds n bytes (n < 0: frees) to the group and the total; with
// check, it refuses what would pass a limit and changes nothing.
func (c *Coordinator) charge(g *group, n int64, check bool) error {
	if check && n > 0 {
		if g.bytes+n > c.Limits.MaxGroupBytes {
			return fmt.Errorf("group %s is over its limit of %d bytes of messages", quote(g.name), c.Limits.MaxGroupBytes)
		}
		if c.bytes+n > c.Limits.MaxTotalBytes {
			return fmt.Errorf("the coordinator is over its limit of %d bytes for all groups", c.Limits.MaxTotalBytes)
		}
	}
	g.bytes += n
	if _, held := c.groups[g.name]; held {
		c.bytes += n
	}
	return nil
}

// addGroup holds a new group (its cost is charged with it).
func (c *Coordinator) addGroup(g *group) {
	c.groups[g.name] = g
	c.bytes += g.bytes
}

// dropGroup forgets a group and frees its bytes.
func (c *Coordinator) dropGroup(g *group, why string) {
	if c.groups[g.name] != g {
		return
	}
	delete(c.groups, g.name)
	c.bytes -= g.bytes
	g.bump()
	if why != "" && c.Logf != nil {
		c.Logf("group %s collected: %s", quote(g.name), why)
	}
}

// collect drops the groups idle for longer than Limits.IdleGroup (at most
// once a minute of the coordinator's clock).
func (c *Coordinator) collect(now time.Time) {
	if c.Limits.IdleGroup <= 0 || now.Sub(c.swept) < time.Minute && !c.swept.IsZero() {
		return
	}
	c.swept = now
	for _, g := range c.groups {
		if c.watchers[g.name] == 0 && now.Sub(g.used) > c.Limits.IdleGroup {
			c.dropGroup(g, fmt.Sprintf("no request for %s", now.Sub(g.used).Round(time.Second)))
		}
	}
}

// cost is what a group holds, computed from its contents (the invariant
// behind g.bytes).
func (g *group) cost() int64 {
	n := int64(groupCost + len(g.name))
	for cl, host := range g.clients {
		n += int64(clientCost + len(cl) + len(g.roleOf[cl]) + len(host))
	}
	for _, senders := range g.sizes {
		for _, sz := range senders {
			n += sz
		}
	}
	for id, s := range g.syncs {
		n += int64(entryCost + len(id) + syncEntryCost*len(s))
	}
	return n
}

// invariants checks what the limits promise (used by the fuzz target).
func (c *Coordinator) invariants() error {
	c.lock()
	defer c.unlock()
	if len(c.groups) > c.Limits.MaxGroups {
		return fmt.Errorf("%d groups, over the limit of %d", len(c.groups), c.Limits.MaxGroups)
	}
	var total int64
	for name, g := range c.groups {
		if len(g.clients) > g.count || g.count > c.Limits.MaxGroupSize {
			return fmt.Errorf("group %q: %d clients, size %d", name, len(g.clients), g.count)
		}
		if got := g.cost(); got != g.bytes {
			return fmt.Errorf("group %q: %d bytes counted, %d held", name, g.bytes, got)
		}
		if g.bytes > c.Limits.MaxGroupBytes {
			return fmt.Errorf("group %q: %d bytes, over its limit", name, g.bytes)
		}
		if n := g.messageCount(); n != g.msgs || n > c.Limits.MaxMessages {
			return fmt.Errorf("group %q: %d messages counted, %d held (limit %d)", name, g.msgs, n, c.Limits.MaxMessages)
		}
		total += g.bytes
	}
	if total != c.bytes || c.bytes > c.Limits.MaxTotalBytes {
		return fmt.Errorf("%d bytes counted, %d held (limit %d)", c.bytes, total, c.Limits.MaxTotalBytes)
	}
	return nil
}

// messageCount is what counts against Limits.MaxMessages.
func (g *group) messageCount() int {
	n := len(g.syncs)
	for _, s := range g.waits {
		n += len(s)
	}
	return n
}
