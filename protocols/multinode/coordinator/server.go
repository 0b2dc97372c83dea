package coordinator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Server serves a Coordinator over TCP with LAVA's wire protocol. Requests
// with "push": true (lavacore clients) are held until their answer is not
// "wait" or "push_timeout" seconds pass (then the reply is "wait" with the
// reason), for at most HoldTimeout (then the reply is "wait" and "held" says
// what it waited for; the client asks again). "lavacore_watch" holds a
// connection for the life of a client, kept alive by the client's heartbeat:
// if it drops, or is silent for WatchTimeout, before the client cleared its
// group, the client is marked failed and its peers' waits fail at once.
//
// A request must carry a valid proof (Sign with Secret) unless the server
// AllowUnauthenticated (a listener for LAVA's dispatchers).
type Server struct {
	C *Coordinator
	// Secret is the lab's coordinator secret: requests signed with it are
	// authenticated (nil: no request is).
	Secret []byte
	// AllowUnauthenticated admits requests without a proof (LAVA's
	// dispatchers): each such client is bound to its IP address.
	AllowUnauthenticated bool
	// ReadTimeout bounds reading one request (a client that connects and
	// sends nothing cannot block anyone: every connection has its own goroutine).
	ReadTimeout time.Duration
	// HoldTimeout bounds how long a push request is held (default 5 min).
	HoldTimeout time.Duration
	// WatchTimeout is how long a watch connection may be silent (default
	// 90 s; lavacore's clients send a heartbeat every 20 s).
	WatchTimeout time.Duration
	// MaxConns bounds concurrent connections.
	MaxConns int

	ver   verifier
	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

// Listen listens on addr ("127.0.0.1:3079"; port 0 picks one).
func (s *Server) Listen(addr string) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.ln = ln
	s.conns = map[net.Conn]bool{}
	s.mu.Unlock()
	return ln.Addr(), nil
}

// Serve accepts connections until Close.
func (s *Server) Serve() error {
	if s.ReadTimeout == 0 {
		s.ReadTimeout = 30 * time.Second
	}
	if s.MaxConns == 0 {
		s.MaxConns = 8192
	}
	if s.HoldTimeout == 0 {
		s.HoldTimeout = 5 * time.Minute
	}
	if s.WatchTimeout == 0 {
		s.WatchTimeout = 90 * time.Second
	}
	sem := make(chan struct{}, s.MaxConns)
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		sem <- struct{}{}
		s.mu.Lock()
		s.conns[conn] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer func() {
				<-sem
				s.mu.Lock()
				delete(s.conns, conn)
				s.mu.Unlock()
				conn.Close()
				s.wg.Done()
			}()
			s.serveConn(conn)
		}()
	}
}

// ListenAndServe listens on addr and serves in the background; it returns the address.
func (s *Server) ListenAndServe(addr string) (net.Addr, error) {
	a, err := s.Listen(addr)
	if err != nil {
		return nil, err
	}
	go s.Serve()
	return a, nil
}

// Close stops the server and every connection.
func (s *Server) Close() error {
	s.mu.Lock()
	ln := s.ln
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	var err error
	if ln != nil {
		err = ln.Close()
	}
	s.wg.Wait()
	return err
}

func (s *Server) serveConn(conn net.Conn) {
	defer func() {
		if r := recover(); r != nil {
			_ = WriteFrame(conn, nack("internal error"))
		}
	}()
	// What serveConn keeps on its stack while a connection is held is small
	// (8,192 held connections): the request is read and answered in request.
	h := s.request(conn)
	switch {
	case h == nil:
	case h.watch:
		s.watch(conn, h.req, h.peer)
	default:
		s.push(conn, h.req, h.peer, h.timeout)
	}
}

// held is a request that holds its connection.
type held struct {
	req     Request
	peer    Peer
	watch   bool
	timeout time.Duration // push_timeout
}

// heldFields are the fields of a request the coordinator reads to answer
// it (HandleFrom, Missing, the log line); a held request keeps only these.
var heldFields = [...]string{"request", "group_name", "client_name", "role", "hostname", "group_size", "messageID", "waitrole",
	"message", "reason"}

// heldRequest is req with only heldFields: a small map (8,192 requests
// may be held at once).
func heldRequest(req Request) Request {
	r := make(Request, 8)
	for _, k := range heldFields {
		if v, ok := req[k]; ok {
			r[k] = v
		}
	}
	return r
}

// request reads, authenticates and answers one request; it returns the
// request if it holds the connection (push, watch).
func (s *Server) request(conn net.Conn) *held {
	_ = conn.SetReadDeadline(time.Now().Add(s.ReadTimeout))
	req, err := ReadFrame(conn)
	if err != nil {
		return nil // LAVA closes without a reply; clients read it as "wait"
	}
	_ = conn.SetReadDeadline(time.Time{})
	peer := Peer{Addr: conn.RemoteAddr().String()}
	if tcp, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
		peer.Addr = tcp.IP.String()
	}
	request := str(req, "request")
	if request == "lavacore_hello" {
		r := s.C.HandleFrom(peer, req)
		r["auth"] = "required"
		if s.AllowUnauthenticated {
			r["auth"] = "optional"
		}
		_ = WriteFrame(conn, r)
		return nil
	}
	if err := s.authenticate(&peer, req); err != nil {
		s.C.logf("refused %s of client %s, group %s, from %s: %v", quote(request), quote(str(req, "client_name")), quote(str(req, "group_name")), peer.Addr, err)
		_ = WriteFrame(conn, nack(err.Error()))
		return nil
	}
	delete(req, authField)
	switch {
	case request == "lavacore_watch":
		return &held{req: req, peer: peer, watch: true}
	case req["push"] == true:
		return &held{req: heldRequest(req), peer: peer, timeout: time.Duration(num(req, "push_timeout")) * time.Second}
	default:
		r, frame := s.C.answer(peer, req)
		s.reply(conn, r, frame)
		return nil
	}
}

// authenticate marks peer authenticated when req carries a valid proof; it
// refuses a wrong proof, and a request without one unless the server
// AllowUnauthenticated.
func (s *Server) authenticate(peer *Peer, req Request) error {
	if _, signed := req[authField]; signed && s.Secret != nil {
		if err := s.ver.verify(s.Secret, req, s.C.now()); err != nil {
			return err
		}
		peer.Authenticated = true
		return nil
	}
	if s.AllowUnauthenticated {
		return nil
	}
	if s.Secret == nil {
		return fmt.Errorf("%w: this listener has no secret to check proofs with (lavacore coordinator --secret-file)", ErrUnauthenticated)
	}
	return s.ver.verify(s.Secret, req, s.C.now()) // says what is missing
}

// push holds a request until its answer is not "wait", the client's
// push_timeout passes or HoldTimeout does. The held request is parked: the
// goroutine that changes its group answers it and writes the answer (see
// parked); this goroutine sleeps in a read, which also sees the client go,
// and wakes to close the connection, to write a large answer, or every few
// seconds to ask again itself.
func (s *Server) push(conn net.Conn, req Request, peer Peer, timeout time.Duration) {
	if timeout <= 0 {
		timeout = 10 * time.Minute
	}
	held := timeout > s.HoldTimeout
	if held {
		timeout = s.HoldTimeout
	}
	end := time.Now().Add(timeout)
	w := &parked{conn: conn, req: req, peer: peer, timeout: s.ReadTimeout}
	var b [1]byte
	for {
		// The deadline first: deliver may wake the read below.
		wake := time.Now().Add(5 * time.Second) // a periodic re-check
		if end.Before(wake) {
			wake = end
		}
		_ = conn.SetReadDeadline(wake)
		r, _, failed, again := s.C.step(peer, req, w)
		switch {
		case r["response"] != "wait":
			s.reply(conn, r, s.C.frameOf(req, r))
			return
		case len(failed) > 0:
			s.reply(conn, peerFailed(req, failed), nil)
			return
		case again:
			continue
		}
		_, err := conn.Read(b[:])
		if s.C.unpark(w) {
			w.finish()
			return
		}
		if !isTimeout(err) {
			return // the client went away, or broke the protocol (it sends nothing more)
		}
		if time.Now().After(end) {
			s.reply(conn, s.timedOut(req, peer, held, timeout), nil)
			return
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return err != nil && errors.As(err, &ne) && ne.Timeout()
}

// reply writes an answer (frame: r encoded, if the coordinator had it).
func (s *Server) reply(conn net.Conn, r Reply, frame []byte) {
	_ = conn.SetWriteDeadline(time.Now().Add(s.ReadTimeout))
	if frame != nil {
		_, _ = conn.Write(frame)
		return
	}
	_ = WriteFrame(conn, r)
}

func peerFailed(req Request, failed []string) Reply {
	err := &PeerError{Request: str(req, "request"), MessageID: str(req, "messageID"), Failed: failed}
	return Reply{"response": "nack", "error": err.Error()}
}

// timedOut is the answer to a push request whose time ran out: a last look,
// else "wait" saying who is missing (and, held, that the client should ask again).
func (s *Server) timedOut(req Request, peer Peer, held bool, timeout time.Duration) Reply {
	if r, _, _, _ := s.C.step(peer, req, nil); r["response"] != "wait" {
		return own(r)
	}
	te := &TimeoutError{Request: str(req, "request"), MessageID: str(req, "messageID"),
		Who: s.C.Missing(str(req, "group_name"), req), Err: context.DeadlineExceeded}
	if !held {
		return Reply{"response": "wait", "error": te.Error()}
	}
	what := fmt.Sprintf("%s held for %s (the coordinator's limit) without an answer; ask again. %s", te.What(), timeout, te.Who)
	s.C.logf("client %s of group %s: %s", quote(str(req, "client_name")), quote(str(req, "group_name")), what)
	return Reply{"response": "wait", "held": what}
}

// watch holds the connection; when it drops, or the client's heartbeat
// stops, the client is failed unless it cleared.
func (s *Server) watch(conn net.Conn, req Request, peer Peer) {
	group, client := str(req, "group_name"), str(req, "client_name")
	if err := checkName("group_name", group); err != nil {
		_ = WriteFrame(conn, nack(err.Error()))
		return
	}
	if err := checkName("client_name", client); err != nil {
		_ = WriteFrame(conn, nack(err.Error()))
		return
	}
	s.C.watch(group, 1)
	defer s.C.watch(group, -1)
	_ = WriteFrame(conn, Reply{"response": "ack"})
	why := "its connection to the coordinator was lost (the sub-job died)"
	var b [64]byte
	for {
		_ = conn.SetReadDeadline(time.Now().Add(s.WatchTimeout))
		_, err := conn.Read(b[:])
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			why = fmt.Sprintf("its connection to the coordinator was silent for %s (no heartbeat: the sub-job's host hung or lost the network)", s.WatchTimeout)
			_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
			_ = WriteFrame(conn, nack(fmt.Sprintf("watch of client %s, group %s: no heartbeat for %s; the coordinator counts the client lost", client, group, s.WatchTimeout)))
			s.C.logf("watch of client %s, group %s, from %s: no heartbeat for %s", quote(client), quote(group), peer.Addr, s.WatchTimeout)
			break
		}
		if err != nil {
			break
		}
	}
	s.C.dropped(group, client, peer, why)
}

// watch counts the open watch connections of a group (a watched group is
// not idle).
func (c *Coordinator) watch(group string, delta int) {
	c.lock()
	defer c.unlock()
	c.watchers[group] += delta
	if c.watchers[group] <= 0 {
		delete(c.watchers, group)
	}
}

// dropped marks a client failed if its group still exists, it registered
// from peer and it has not cleared.
func (c *Coordinator) dropped(group, client string, peer Peer, why string) {
	c.lock()
	defer c.unlock()
	g := c.groups[group]
	if g == nil {
		return
	}
	if _, ok := g.clients[client]; !ok || g.cleared[client] || g.origin[client] != peer.origin() {
		return
	}
	if _, ok := g.failed[client]; !ok {
		g.failed[client] = why
		g.bump()
	}
	if g.finished() {
		c.dropGroup(g, "every member cleared it or failed") // nobody is left to read it
	}
}
