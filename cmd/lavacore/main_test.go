package main

import (
	"fmt"
	"os"
	"testing"

	"github.com/lavacore/lavacore/core/pluginhost"
	"github.com/lavacore/lavacore/internal/plugintest"
)

// TestMain puts lavacore's own plugins on the plugin path: $LAVACORE_BIN/plugins
// (make build), else a fresh build of them.
func TestMain(m *testing.M) {
	dir, cleanup, err := plugintest.Dir()
	if err != nil {
		fmt.Fprintf(os.Stderr, "lavacore's plugins: %v\n", err)
		os.Exit(1)
	}
	os.Setenv(pluginhost.PathEnv, dir)
	code := m.Run()
	cleanup()
	os.Exit(code)
}
