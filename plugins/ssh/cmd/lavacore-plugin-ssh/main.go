// Command lavacore-plugin-ssh serves lavacore's ssh methods as a go-plugin process.
package main

import (
	"github.com/lavacore/lavacore/plugins/ssh"
	"github.com/lavacore/lavacore/sdk"
)

func main() {
	sdk.Serve(sdk.ServeConfig{Name: "ssh", Version: "0.1.0", Methods: ssh.Methods()})
}
