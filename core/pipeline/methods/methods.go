// Package methods lists lavacore's built-in methods for the in-process
// registry (describe, validate, and run until the methods move into plugins).
package methods

import (
	"github.com/lavacore/lavacore/core/pipeline"
	"github.com/lavacore/lavacore/plugins/command"
	"github.com/lavacore/lavacore/plugins/grub"
	"github.com/lavacore/lavacore/plugins/ssh"
	"github.com/lavacore/lavacore/plugins/testshell"
	"github.com/lavacore/lavacore/plugins/tftp"
	"github.com/lavacore/lavacore/sdk"
)

// All returns every built-in method.
func All() []sdk.Method {
	var ms []sdk.Method
	ms = append(ms, tftp.Methods()...)
	ms = append(ms, ssh.Methods()...)
	ms = append(ms, grub.Methods()...)
	ms = append(ms, testshell.Methods()...)
	ms = append(ms, command.Methods()...)
	return ms
}

// Registry returns an in-process registry of every built-in method.
func Registry() *pipeline.StaticRegistry { return pipeline.NewStaticRegistry(All()...) }
