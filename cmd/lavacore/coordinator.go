package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"sync"

	"github.com/spf13/cobra"

	"github.com/lavacore/lavacore/protocols/multinode/coordinator"
)

const coordinatorLong = `Serves MultiNode groups whose sub-jobs run in separate lavacore run
--coordinator processes. Every request on --listen must prove its group
membership with the lab's secret (the same FILE, given to each process as
lavacore run --coordinator-secret-file); a FILE that does not exist is
created with a new random secret (mode 0600). LAVA's dispatchers (lava-run)
cannot prove anything: serve them on a separate --lava-listen address (or
admit them on --listen with --allow-unauthenticated), where each client is
bound to its IP address and cannot join a group of lavacore clients.`

// coordinatorOptions are the flags of `lavacore coordinator`.
type coordinatorOptions struct {
	listen, secretFile, lavaListen string
	allowUnauth, verbose           bool
}

func newCoordinatorCmd() *cobra.Command {
	var o coordinatorOptions
	c := &cobra.Command{
		Use:   "coordinator --secret-file FILE [--listen ADDR] [--lava-listen ADDR]",
		Short: "serve MultiNode groups over TCP (LAVA's lava-coordinator protocol, plus push for lavacore clients)",
		Long:  coordinatorLong,
		Args:  noArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if o.secretFile == "" && !o.allowUnauth {
				return usagef("--secret-file is required (lavacore clients prove group membership with it); --allow-unauthenticated serves LAVA's dispatchers only")
			}
			return exit(runCoordinator(c.Context(), o, c.OutOrStdout(), c.ErrOrStderr()))
		},
	}
	f := c.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:3079", "address to listen on for lavacore clients (LAVA's port is 3079)")
	f.StringVar(&o.secretFile, "secret-file", "", "the lab's coordinator secret (created if missing); required unless --allow-unauthenticated")
	f.StringVar(&o.lavaListen, "lava-listen", "", "also listen on this address for LAVA's dispatchers (no proof; each bound to its IP)")
	f.BoolVar(&o.allowUnauth, "allow-unauthenticated", false, "admit LAVA's dispatchers on --listen too")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "log every request")
	return c
}

// runCoordinator serves until ctx ends.
func runCoordinator(ctx context.Context, o coordinatorOptions, stdout, stderr io.Writer) int {
	listen, secretFile, lavaListen, allowUnauth, verbose := &o.listen, &o.secretFile, &o.lavaListen, &o.allowUnauth, &o.verbose
	lg := log.New(stderr, "coordinator: ", log.LstdFlags|log.Lmicroseconds)
	var secret []byte
	switch {
	case *secretFile != "":
		if _, err := os.Stat(*secretFile); errors.Is(err, fs.ErrNotExist) {
			if err := coordinator.NewSecretFile(*secretFile); err != nil {
				fmt.Fprintf(stderr, "lavacore coordinator: %v\n", err)
				return 1
			}
			lg.Printf("wrote a new secret to %s: give it to every lavacore run --coordinator-secret-file of the lab", *secretFile)
		}
		s, err := coordinator.ReadSecret(*secretFile)
		if err != nil {
			fmt.Fprintf(stderr, "lavacore coordinator: %v\n", err)
			return 1
		}
		secret = s
	}
	c := coordinator.New()
	if *verbose {
		c.Logf = lg.Printf
	}
	servers := []*coordinator.Server{{C: c, Secret: secret, AllowUnauthenticated: *allowUnauth}}
	addrs := []string{*listen}
	if *lavaListen != "" {
		servers = append(servers, &coordinator.Server{C: c, Secret: secret, AllowUnauthenticated: true})
		addrs = append(addrs, *lavaListen)
	}
	for i, srv := range servers {
		addr, err := srv.Listen(addrs[i])
		if err != nil {
			for _, s := range servers[:i] {
				s.Close()
			}
			fmt.Fprintf(stderr, "lavacore coordinator: %v\n", err)
			return 1
		}
		what := "lavacore clients with the lab's secret"
		if srv.AllowUnauthenticated {
			what = "LAVA dispatchers (unauthenticated, bound to their IP) and lavacore clients"
		}
		lg.Printf("listening on %s for %s", addr, what)
	}
	go func() {
		<-ctx.Done()
		for _, s := range servers {
			s.Close()
		}
	}()
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, srv := range servers {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = srv.Serve() }()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintf(stderr, "lavacore coordinator: %v\n", err)
		return 1
	}
	lg.Printf("stopped")
	return 0
}
