package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"

	"github.com/lavacore/lavacore/protocols/multinode/coordinator"
)

func runCoordinator(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("coordinator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:3079", "address to listen on (LAVA's port is 3079)")
	verbose := fs.Bool("v", false, "log every request")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	c := coordinator.New()
	lg := log.New(stderr, "coordinator: ", log.LstdFlags|log.Lmicroseconds)
	if *verbose {
		c.Logf = lg.Printf
	}
	srv := &coordinator.Server{C: c}
	addr, err := srv.Listen(*listen)
	if err != nil {
		fmt.Fprintf(stderr, "lavacore coordinator: %v\n", err)
		return 1
	}
	lg.Printf("listening on %s", addr)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(); err != nil {
		fmt.Fprintf(stderr, "lavacore coordinator: %v\n", err)
		return 1
	}
	lg.Printf("stopped")
	return 0
}
