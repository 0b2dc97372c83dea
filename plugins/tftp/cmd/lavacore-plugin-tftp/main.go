// Command lavacore-plugin-tftp serves lavacore's tftp methods as a go-plugin process.
package main

import (
	"github.com/lavacore/lavacore/plugins/tftp"
	"github.com/lavacore/lavacore/sdk"
)

func main() {
	sdk.Serve(sdk.ServeConfig{Name: "tftp", Version: "0.1.0", Methods: tftp.Methods()})
}
