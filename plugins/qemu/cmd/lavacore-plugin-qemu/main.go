// Command lavacore-plugin-qemu serves lavacore's QEMU methods (deploy tmpfs,
// deploy nfs for qemu-nfs, boot qemu and qemu-nfs) as a go-plugin process.
package main

import (
	"github.com/lavacore/lavacore/plugins/qemu"
	"github.com/lavacore/lavacore/sdk"
)

func main() {
	sdk.Serve(sdk.ServeConfig{Name: "qemu", Version: "0.1.0", Methods: qemu.Methods()})
}
