// Command lavacore-plugin-uboot serves the boot methods "u-boot",
// "bootloader" and "minimal".
package main

import (
	"github.com/lavacore/lavacore/plugins/uboot"
	"github.com/lavacore/lavacore/sdk"
)

func main() {
	sdk.Serve(sdk.ServeConfig{Name: "uboot", Version: "0.1.0", Methods: uboot.Methods()})
}
