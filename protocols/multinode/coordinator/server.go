package coordinator

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// Server serves a Coordinator over TCP with LAVA's wire protocol. Requests
// with "push": true (lavacore clients) are held until their answer is not
// "wait" or "push_timeout" seconds pass (then the reply is "wait" with the
// reason). "lavacore_watch" holds a connection for the life of a client: if
// it drops before the client cleared its group, the client is marked failed
// and its peers' waits fail at once.
type Server struct {
	C *Coordinator
	// ReadTimeout bounds reading one request (a client that connects and
	// sends nothing cannot block anyone: every connection has its own goroutine).
	ReadTimeout time.Duration
	// MaxConns bounds concurrent connections.
	MaxConns int

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
	_ = conn.SetReadDeadline(time.Now().Add(s.ReadTimeout))
	req, err := ReadFrame(conn)
	if err != nil {
		return // LAVA closes without a reply; clients read it as "wait"
	}
	_ = conn.SetReadDeadline(time.Time{})
	switch {
	case str(req, "request") == "lavacore_watch":
		s.watch(conn, req)
		return
	case req["push"] == true:
		timeout := time.Duration(num(req, "push_timeout")) * time.Second
		if timeout <= 0 {
			timeout = 10 * time.Minute
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		// A client that goes away ends its wait.
		go func() {
			var b [1]byte
			_ = conn.SetReadDeadline(time.Time{})
			if _, err := conn.Read(b[:]); err != nil {
				cancel()
			}
		}()
		r, err := s.C.Wait(ctx, req)
		if err != nil {
			r = Reply{"response": "nack", "error": err.Error()}
			var te *TimeoutError
			if errors.As(err, &te) {
				r = Reply{"response": "wait", "error": err.Error()}
			}
		}
		_ = WriteFrame(conn, r)
	default:
		_ = WriteFrame(conn, s.C.Handle(req))
	}
}

// watch holds the connection; when it drops, the client is failed unless it cleared.
func (s *Server) watch(conn net.Conn, req Request) {
	_ = WriteFrame(conn, Reply{"response": "ack"})
	var b [64]byte
	for {
		_, err := conn.Read(b[:])
		if err != nil {
			break
		}
	}
	s.C.dropped(str(req, "group_name"), str(req, "client_name"))
}

// dropped marks a client failed if its group still exists and it has not cleared.
func (c *Coordinator) dropped(group, client string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.groups[group]
	if g == nil {
		return
	}
	if _, ok := g.clients[client]; !ok || g.cleared[client] {
		return
	}
	if _, ok := g.failed[client]; !ok {
		g.failed[client] = "its connection to the coordinator was lost (the sub-job died)"
		g.bump()
	}
}
