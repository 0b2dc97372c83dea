// Command lavacore-plugin-multinode serves the lava-multinode protocol as a
// go-plugin process. Every sub-job lavacore runs gets its own protocol client;
// the sub-jobs of one lavacore process share the plugin's embedded
// coordinator, unless a job names a coordinator address.
package main

import (
	"github.com/lavacore/lavacore/protocols/multinode"
	"github.com/lavacore/lavacore/sdk"
)

func main() {
	sdk.Serve(sdk.ServeConfig{Name: "multinode", Version: "0.1.0",
		ProtocolFactories: map[string]func() sdk.Protocol{multinode.Name: multinode.Factory()}})
}
