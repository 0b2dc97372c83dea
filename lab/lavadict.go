package lab

import (
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// LAVA's view of the lab's x86 boards: a device-type template of our own
// (lava/lavacore-lab-x86.jinja2, extending LAVA's base.jinja2) and a device
// dictionary per board made from the same values as devices/board-NN.hcl.
// Rendered by a LAVA server, or by lava/render.py for `lava-run --device`.

//go:embed lava/lavacore-lab-x86.jinja2 lava/render.py
var lavaFiles embed.FS

// LavaDeviceType is the LAVA device type of the lab's x86 boards (the name of
// its template, lava/LavaDeviceType.jinja2).
const LavaDeviceType = "lavacore-lab-x86"

// LavaTemplate is the device-type template's text.
func LavaTemplate() ([]byte, error) {
	return lavaFiles.ReadFile("lava/" + LavaDeviceType + ".jinja2")
}

// jinjaString quotes s as a Jinja2 string literal.
func jinjaString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
}

// LavaDictionary is x86 board n's LAVA device dictionary: the connection and
// power commands, GRUB's menu prompt, the kernel arguments and character
// delay of devices/board-NN.hcl, for lava/lavacore-lab-x86.jinja2.
func (l *Lab) LavaDictionary(n int) (string, error) {
	if IsArm(n) || n < 1 || n > MaxBoards {
		return "", fmt.Errorf("%s: only the x86 boards (board-01 … board-%02d) have a LAVA device type (%s)", BoardName(n), MaxBoards, LavaDeviceType)
	}
	cmd := func(op string) string { return l.powerCommand(n, op) }
	var b strings.Builder
	fmt.Fprintf(&b, `{# %s: LAVA device dictionary of lavacore's virtual lab board %s
   (written by lavacore lab up / lavacore lab lava-dictionary %s; the same values as
   devices/%s.hcl). Console 127.0.0.1:%d, MAC %s, DHCP address %s. #}
{%% extends '%s.jinja2' %%}
`, BoardName(n)+".jinja2", BoardName(n), BoardName(n), BoardName(n), ConsolePort(n), BoardMAC(n), BoardIP(n), LavaDeviceType)
	set := func(k, v string) { fmt.Fprintf(&b, "{%% set %s = %s %%}\n", k, v) }
	set("connection_command", jinjaString(consoleCommand(n)))
	set("power_on_command", jinjaString(cmd("on")))
	set("power_off_command", jinjaString(cmd("off")))
	set("hard_reset_command", jinjaString(cmd("reset")))
	set("grub_autoboot_prompt", jinjaString(InterruptPrompt))
	set("extra_kernel_args", jinjaString("net.ifnames=0"))
	set("boot_character_delay", "0")
	set("ssh_identity_file", jinjaString(l.path("keys", "id_ed25519")))
	return b.String(), nil
}

// writeLava writes lava/lavacore-lab-x86.jinja2, lava/render.py and
// lava/board-NN.jinja2 for x86 boards 1..n: `lava/render.py
// lava/board-01.jinja2` gives the device file lava-run takes.
func (l *Lab) writeLava(n int) error {
	dir := l.path("lava")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmpl, err := LavaTemplate()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, LavaDeviceType+".jinja2"), tmpl, 0o644); err != nil {
		return err
	}
	py, err := lavaFiles.ReadFile("lava/render.py")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "render.py"), py, 0o755); err != nil {
		return err
	}
	for i := 1; i <= n && i <= MaxBoards; i++ {
		text, err := l.LavaDictionary(i)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, BoardName(i)+".jinja2"), []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}
