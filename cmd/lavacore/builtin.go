package main

import (
	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/core/pipeline/methods"
)

// builtinRegistry is the in-process registry of lavacore's own methods, used
// when no plugin host is wired (describe, validate, and unit tests).
func builtinRegistry() pipeline.Registry { return methods.Registry() }
