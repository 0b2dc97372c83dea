package coordinator

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

// testSecret is the lab secret of the tests' lavacore coordinators.
var testSecret = []byte("test-secret-test-secret-test-secret")

// attackLab is one coordinator behind two listeners, as `lavacore coordinator
// --secret-file F --lava-listen A` serves it: "auth" requires lavacore's
// proof, "lava" admits unauthenticated LAVA clients.
type attackLab struct {
	auth, lava string
	secret     []byte
	c          *Coordinator
	mu         sync.Mutex
	logs       []string // one entry per Logf call
}

// labOptions tune the lab's limits and timeouts (zero: the defaults).
type labOptions struct {
	maxMessages   int
	maxGroupBytes int64
	holdTimeout   time.Duration
	watchTimeout  time.Duration
}

func newAttackLab(t *testing.T, o labOptions) *attackLab {
	t.Helper()
	l := &attackLab{secret: []byte("0123456789abcdef0123456789abcdef")}
	c := New()
	if o.maxMessages > 0 {
		c.Limits.MaxMessages = o.maxMessages
	}
	if o.maxGroupBytes > 0 {
		c.Limits.MaxGroupBytes = o.maxGroupBytes
	}
	c.Logf = l.logf
	l.c = c
	auth := &Server{C: c, Secret: l.secret, HoldTimeout: o.holdTimeout, WatchTimeout: o.watchTimeout}
	lava := &Server{C: c, AllowUnauthenticated: true, HoldTimeout: o.holdTimeout, WatchTimeout: o.watchTimeout}
	for _, s := range []*Server{auth, lava} {
		a, err := s.ListenAndServe("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if s == auth {
			l.auth = a.String()
		} else {
			l.lava = a.String()
		}
	}
	return l
}

func (l *attackLab) logf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.logs = append(l.logs, fmtLine(format, a...))
}

// sign adds lavacore's proof to a request.
func sign(t *testing.T, secret []byte, r Request) Request {
	t.Helper()
	s, err := Sign(secret, r, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// dialFrom connects to addr from the loopback address ip (127.0.0.x).
func dialFrom(t *testing.T, ip, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

func fmtLine(format string, a ...any) string { return fmt.Sprintf(format, a...) }
