// Command lavacore-plugin-fastboot serves lavacore's fastboot methods as a go-plugin process.
package main

import (
	"github.com/lavacore/lavacore/plugins/fastboot"
	"github.com/lavacore/lavacore/sdk"
)

func main() {
	sdk.Serve(sdk.ServeConfig{Name: "fastboot", Version: "0.1.0", Methods: fastboot.Methods()})
}
