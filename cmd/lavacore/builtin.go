package main

import (
	"fmt"

	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/core/pipeline/methods"
	"github.com/lavacore/lavacore/protocols/multinode"
	"github.com/lavacore/lavacore/sdk"
)

// builtinRegistry is the in-process registry of lavacore's own methods, used
// when no plugin host is wired (describe, validate, and unit tests).
func builtinRegistry() pipeline.Registry { return methods.Registry() }

// builtinProtocols returns a factory of lavacore's own protocols, in
// process, for one run: the MultiNode group it runs shares one coordinator.
func builtinProtocols() func(name string) (sdk.Protocol, error) {
	mn := multinode.Factory()
	return func(name string) (sdk.Protocol, error) {
		switch name {
		case multinode.Name:
			return mn(), nil
		}
		return nil, fmt.Errorf("unknown protocol %q", name)
	}
}
