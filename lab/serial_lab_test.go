package lab_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	lcconsole "github.com/lavacore/lavacore/core/console"
	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/lab"
)

// TestSerialConsoleOnPty drives board-01 through lavacore's serial
// transport (go.bug.st/serial) on the pseudo-terminal its relay exposes, as
// a board on a USB UART is driven: a device file whose connection block
// names the pty as a serial port, power on, GRUB's menu, an interrupt and a
// GRUB command echoed back — both directions of the serial line.
func TestSerialConsoleOnPty(t *testing.T) {
	_, dir := labUp(t, "fast")
	pty := (&lab.Lab{Dir: dir}).ConsolePty(1)
	if _, err := os.Stat(pty); err != nil {
		t.Fatalf("board-01's relay exposes no console pty: %v", err)
	}

	// The lab's device file, with the console named as a serial port.
	src, err := os.ReadFile(filepath.Join(dir, "devices", "board-01.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	conn := "  connection \"serial\" {\n    tags = []\n    serial {\n      port = \"" + pty + "\"\n      baud = 115200\n    }\n  }\n  vars {"
	devSrc := strings.Replace(string(src), "  vars {", conn, 1)
	tmp := t.TempDir()
	copyTo(t, filepath.Join(dir, "lab.hcl"), filepath.Join(tmp, "lab.hcl"))
	if err := os.MkdirAll(filepath.Join(tmp, "devices"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "devices", "board-01.hcl"), []byte(devSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	l, diags := device.LoadLab(tmp, device.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("the device file with a serial connection: %v\n%s", diags, devSrc)
	}
	dev := l.Devices["board-01"]
	spec, err := dev.SDK("").ConsoleSpec()
	if err != nil || spec.Serial != pty || spec.Command != "" {
		t.Fatalf("board-01's console spec = %+v, %v; want the serial port %s", spec, err, pty)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := lcconsole.Dial(ctx, spec, lcconsole.Options{Name: "board-01", Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("board-01's serial console: %v", err)
	}
	defer c.Close()
	con := &console{t: t, c: c, dev: dev, start: time.Now()}
	defer con.power("power_off")
	con.power("power_on")
	toMenu := con.expect("GRUB's menu on the serial port", regexp.QuoteMeta(lab.InterruptPrompt), 3*time.Minute)
	con.send("c")
	con.expect("the GRUB prompt", "grub>", 30*time.Second)
	con.send("echo serial-line-ok\r")
	con.expect("GRUB's echo", `[\r\n]serial-line-ok`, 30*time.Second)
	t.Logf("power-on → GRUB's menu over %s: %s", spec.Serial, toMenu.Round(100*time.Millisecond))
}
