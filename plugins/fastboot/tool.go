package fastboot

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/bootflow"
)

// keySerial is the serial number detect-fastboot-device found.
var keySerial = [3]string{"detect-fastboot-device", "fastboot", "serial_number"}

// serialRE is what a serial number may be: it becomes the value of -s.
var serialRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]*$`)

// boardSerial is the board's fastboot serial number: the device's, else the
// one detect-fastboot-device found.
func boardSerial(call sdk.Call, host sdk.Host) (string, error) {
	s := serial(call.Device)
	if s == unsetSerial {
		found, err := bootflow.GetString(host, keySerial)
		if err != nil {
			return "", err
		}
		if found != "" {
			s = found
		}
	}
	if s == unsetSerial {
		return "", sdk.ConfigErrorf("device fastboot serial number unset")
	}
	if !serialRE.MatchString(s) {
		return "", sdk.ConfigErrorf("device fastboot serial number %q is not a serial number", s)
	}
	return s, nil
}

// Argv is LAVA's fastboot command line: fastboot -s SERIAL CMD… OPTIONS…
// (the device's fastboot_options after the command).
func Argv(serialNumber string, cmd, options []string) []string {
	out := append([]string{"fastboot", "-s", serialNumber}, cmd...)
	return append(out, options...)
}

// runFastboot runs the fastboot tool on the board with cmd, without a
// shell, and returns its output (stdout and stderr, as fastboot reports on
// stderr). A failure is an Infrastructure error unless allowFail.
func runFastboot(ctx context.Context, call sdk.Call, host sdk.Host, cmd []string, allowFail bool) (string, error) {
	if isContainer(call.Block.Params) {
		return "", sdk.ConfigErrorf("%s: running fastboot in a docker container (docker:) is not supported by lavacore", call.Action)
	}
	sn, err := boardSerial(call, host)
	if err != nil {
		return "", err
	}
	opts, _ := devList(call.Device, "fastboot_options")
	return runTool(ctx, host, Argv(sn, cmd, opts), allowFail)
}

// runTool runs argv (no shell) in its own process group, killed when ctx ends.
func runTool(ctx context.Context, host sdk.Host, argv []string, allowFail bool) (string, error) {
	if err := host.Log(sdk.LevelDebug, fmt.Sprintf("Calling: '%s'", strings.Join(argv, "' '"))); err != nil {
		return "", err
	}
	var out bytes.Buffer
	c := sdk.Command(ctx, argv[0], argv[1:]...)
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	text := out.String()
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if l != "" {
			if lerr := host.Log(sdk.LevelDebug, l); lerr != nil {
				return text, lerr
			}
		}
	}
	if err != nil && !allowFail {
		if ctx.Err() != nil {
			return text, sdk.InfraErrorf("%s timed out: %v", argv[0], ctx.Err())
		}
		return text, sdk.InfraErrorf("%s %s failed: %v", argv[0], strings.Join(argv[1:], " "), err)
	}
	return text, nil
}

// parseDevices reads `fastboot devices` output: the serial numbers of the
// lines that end with "fastboot".
func parseDevices(out string) []string {
	var sns []string
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && f[len(f)-1] == "fastboot" {
			sns = append(sns, f[0])
		}
	}
	return sns
}
