// Command lavacore-plugin-monitor serves lavacore's test monitors method as a go-plugin process.
package main

import (
	"github.com/lavacore/lavacore/plugins/monitor"
	"github.com/lavacore/lavacore/sdk"
)

func main() {
	sdk.Serve(sdk.ServeConfig{Name: "monitor", Version: "0.1.0", Methods: monitor.Methods()})
}
