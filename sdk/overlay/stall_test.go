package overlay

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// stallingServer accepts connections and never answers: a repository or a
// test definition URL whose server hangs.
func stallingServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan net.Conn, 64)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				close(conns)
				return
			}
			conns <- c
		}
	}()
	t.Cleanup(func() {
		l.Close()
		for c := range conns {
			c.Close()
		}
	})
	return "http://" + l.Addr().String()
}

// A git or url test definition whose server never answers held the deploy
// (git clone had no bound at all; the url fetch used http.Get): now the
// action's context stops it and the error says which fetch and why.
func TestOverlay_StallingServerHeldTheDeploy(t *testing.T) {
	base := stallingServer(t)
	for _, tc := range []struct {
		name string
		def  Definition
		want string
	}{
		{"git clone", Definition{From: "git", Name: "g", Path: "g.yaml", Repository: base + "/repo.git", Level: "1.1"}, "git clone " + base + "/repo.git: stopped"},
		{"url", Definition{From: "url", Name: "u", Path: "u.yaml", Repository: base + "/defs.tar.gz", Level: "1.1"}, "url " + base + "/defs.tar.gz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := BuildContext(ctx, Options{JobID: "7", WorkDir: t.TempDir(), Stages: [][]Definition{{tc.def}}})
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "deadline") {
					t.Fatalf("err = %v, want it to name %q and the deadline", err, tc.want)
				}
			case <-time.After(60 * time.Second):
				t.Fatal("the overlay build still waits on a server that never answers, 60 s after its context ended")
			}
		})
	}
}
