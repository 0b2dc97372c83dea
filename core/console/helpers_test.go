package console

import (
	"context"
	"testing"
)

func TestDisconnect(t *testing.T) {
	c, dev := newFake(t, Options{})
	got := make(chan string, 1)
	go func() {
		b := make([]byte, 64)
		var all []byte
		for {
			n, err := dev.Read(b)
			all = append(all, b[:n]...)
			if err != nil || len(all) >= 6 {
				break
			}
		}
		got <- string(all)
	}()
	if err := c.Disconnect(context.Background(), []string{"telnet"}); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "\x1dquit\n" {
		t.Errorf("sent %q", s)
	}
}
