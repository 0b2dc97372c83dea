// Command lavacore-plugin-testshell serves lavacore's testshell methods as a go-plugin process.
package main

import (
	"github.com/lavacore/lavacore/plugins/testshell"
	"github.com/lavacore/lavacore/sdk"
)

func main() {
	sdk.Serve(sdk.ServeConfig{Name: "testshell", Version: "0.1.0", Methods: testshell.Methods()})
}
