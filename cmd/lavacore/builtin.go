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

// builtinProtocols returns lavacore's own protocols, in process: a MultiNode
// group run by one lavacore process shares its embedded coordinator.
func builtinProtocols(name string) (sdk.Protocol, error) {
	switch name {
	case multinode.Name:
		return multinode.New(), nil
	}
	return nil, fmt.Errorf("unknown protocol %q", name)
}
