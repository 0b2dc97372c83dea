// Command lavacore-plugin-command serves lavacore's command method (LAVA's
// user-command action) as a go-plugin process.
package main

import (
	"github.com/lavacore/lavacore/plugins/command"
	"github.com/lavacore/lavacore/sdk"
)

func main() {
	sdk.Serve(sdk.ServeConfig{Name: "command", Version: "0.1.0", Methods: command.Methods()})
}
