// Command lavacore-plugin-grub serves lavacore's grub methods as a go-plugin process.
package main

import (
	"github.com/lavacore/lavacore/plugins/grub"
	"github.com/lavacore/lavacore/sdk"
)

func main() {
	sdk.Serve(sdk.ServeConfig{Name: "grub", Version: "0.1.0", Methods: grub.Methods()})
}
