package bootflow

import (
	"crypto/ed25519"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/lavacore/lavacore/sdk"
)

func TestCheckHost(t *testing.T) {
	for _, tc := range []struct {
		host string
		ok   bool
	}{
		{"10.77.0.101", true},
		{"fe80::1", true},
		{"board-01", true},
		{"linaro-developer.lab", true},
		{strings.Repeat("a", 253), true},
		{strings.Repeat("a", 254), false},
		{"", false},
		{"-rf", false},
		{".hidden", false},
		{"1.2.3.4;touch /tmp/pwned", false},
		{"$(reboot)", false},
		{"a b", false},
		{"host\n", false},
	} {
		if err := CheckHost(tc.host); (err == nil) != tc.ok {
			t.Errorf("CheckHost(%q) = %v, want ok=%v", tc.host, err, tc.ok)
		}
	}
}

// A device dictionary that keeps LAVA's default ssh_identity_file (the relative
// dynamic_vm_keys/lava) must give LAVA's shared key pair, resolved against
// lava-dispatcher's package directory as LAVA does, so that a host booted by one
// worker (authorize: ssh) lets in the guests of another; without that file (no
// lava-dispatcher installed) the dispatcher's own key.
func TestIdentityOf_LavaRelativeIdentityFile(t *testing.T) {
	t.Setenv("LAVACORE_STATE_DIR", t.TempDir())
	lavaDir := t.TempDir()
	keys := filepath.Join(lavaDir, "dynamic_vm_keys")
	os.MkdirAll(keys, 0o755)
	_, priv, _ := ed25519.GenerateKey(nil)
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(keys, "lava"), pem.EncodeToMemory(block), 0o644)
	abs := filepath.Join(t.TempDir(), "abs-key")
	os.WriteFile(abs, pem.EncodeToMemory(block), 0o600)
	for _, tc := range []struct {
		name, deploy, variable string
		want                   string // "" is the dispatcher's own key
	}{
		{"LAVA's default, relative", "dynamic_vm_keys/lava", "", filepath.Join(keys, "lava")},
		{"the variable, relative", "", "dynamic_vm_keys/lava", filepath.Join(keys, "lava")},
		{"absolute", "dynamic_vm_keys/lava", abs, abs},
		{"relative, missing", "dynamic_vm_keys/other", "", ""},
		{"none", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := sdk.Device{Methods: map[string]map[string]any{"deploy/ssh": {"identity_file": tc.deploy}}, Vars: map[string]string{}}
			if tc.variable != "" {
				d.Vars["ssh_identity_file"] = tc.variable
			}
			id, err := identityOf(d, lavaDir)
			if err != nil {
				t.Fatal(err)
			}
			own := strings.HasPrefix(id.PrivatePath, os.Getenv("LAVACORE_STATE_DIR"))
			if tc.want == "" && !own || tc.want != "" && id.PrivatePath != tc.want {
				t.Errorf("identity %s, want %q (\"\": the dispatcher's own)", id.PrivatePath, tc.want)
			}
		})
	}
}
