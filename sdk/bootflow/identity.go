package bootflow

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sshkey"
)

// Identity is the ssh key a secondary connection logs in with, and the
// authorized_keys line a host deploy with `authorize: ssh` installs.
type Identity struct {
	PrivatePath string
	PublicKey   string
	Signer      ssh.Signer
}

// LavaDispatcherDir is Debian's lava-dispatcher package directory: LAVA resolves
// a relative identity_file (its default, dynamic_vm_keys/lava: the key pair every
// LAVA worker ships) against it.
const LavaDispatcherDir = "/usr/lib/python3/dist-packages/lava_dispatcher"

// IdentityOf returns the device type's ssh identity (deploy "ssh" identity_file,
// or the ssh_identity_file variable; a relative path under LavaDispatcherDir, as
// LAVA's) when it is an existing file, else the dispatcher's own key (created on
// first use). With LAVA's default and lava-dispatcher installed, that is LAVA's
// shared pair: a host that one worker authorized lets in another worker's guests.
func IdentityOf(d sdk.Device) (Identity, error) { return identityOf(d, LavaDispatcherDir) }

func identityOf(d sdk.Device, lavaDir string) (Identity, error) {
	path := Str(d.Methods["deploy/ssh"], "identity_file")
	if v := d.Vars["ssh_identity_file"]; v != "" {
		path = v
	}
	if path != "" && !filepath.IsAbs(path) && lavaDir != "" {
		path = filepath.Join(lavaDir, path)
	}
	if path != "" && filepath.IsAbs(path) {
		if b, err := os.ReadFile(path); err == nil {
			s, err := ssh.ParsePrivateKey(b)
			if err != nil {
				return Identity{}, sdk.ConfigErrorf("ssh identity %s: %v", path, err)
			}
			pub := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.PublicKey())))
			return Identity{PrivatePath: path, PublicKey: pub, Signer: s}, nil
		}
	}
	kp, err := sshkey.LoadOrCreate("")
	if err != nil {
		return Identity{}, sdk.InfraErrorf("dispatcher ssh key: %v", err)
	}
	return Identity{PrivatePath: kp.PrivatePath, PublicKey: kp.PublicKey, Signer: kp.Signer}, nil
}

// isHostname reports whether h is a host name: up to 253 letters, digits,
// dots and dashes, starting with a letter or digit. (A loop, not a regexp: a
// {0,252} repetition compiles to a large program at every process start.)
func isHostname(h string) bool {
	if len(h) == 0 || len(h) > 253 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case (c == '.' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// CheckHost accepts an IP address or a host name received from a device; a
// value from a device is data, so anything else (spaces, ;, $( …) is refused.
func CheckHost(h string) error {
	if net.ParseIP(h) != nil || isHostname(h) {
		return nil
	}
	return sdk.JobErrorf("refusing host address %q received from the device: not an IP address or host name", h)
}

// SSHPort returns the device's ssh port (default 22).
func SSHPort(d sdk.Device) int {
	p := 22
	if v := Str(d.Methods["deploy/ssh"], "port"); v != "" {
		fmt.Sscan(v, &p)
	}
	if v := d.Vars["ssh_port"]; v != "" {
		fmt.Sscan(v, &p)
	}
	return p
}

// SSHUser returns the device's ssh user (default root).
func SSHUser(d sdk.Device) string {
	if v := d.Vars["ssh_user"]; v != "" {
		return v
	}
	if v := Str(d.Methods["deploy/ssh"], "user"); v != "" {
		return v
	}
	return "root"
}
