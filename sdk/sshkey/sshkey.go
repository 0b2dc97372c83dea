// Package sshkey is the dispatcher's own ssh identity: an ed25519 key pair kept in
// lavacore's state directory, created on first use, and the helper that authorizes
// it for root in an extracted root filesystem, ramdisk or overlay tree.
//
// LAVA keeps a fixed key pair (dynamic_vm_keys/lava, lava.pub) and, for a deploy with
// `authorize: ssh`, writes the public half to <overlay>/root/.ssh/authorized_keys
// (mode 0600) so that unpacking the overlay on the device authorizes the dispatcher
// for root. lavacore generates its own pair per machine instead of shipping one.
//
// Files: <dir>/id_ed25519 (OpenSSH private key format, 0600) and <dir>/id_ed25519.pub
// (authorized_keys format, 0644); <dir> is 0700. The default dir is
// $LAVACORE_STATE_DIR/ssh, else ~/.local/share/lavacore/ssh.
package sshkey

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
)

// File names inside the key directory.
const (
	PrivateName = "id_ed25519"
	PublicName  = "id_ed25519.pub"
)

// KeyPair is a loaded identity.
type KeyPair struct {
	// PrivatePath is the private key file (for `ssh -i` / `scp -i`).
	PrivatePath string
	// PublicKey is the authorized_keys line, without a trailing newline:
	// "ssh-ed25519 AAAA… lavacore@host".
	PublicKey string
	// Signer signs with the private key (for golang.org/x/crypto/ssh clients).
	Signer ssh.Signer
}

// PublicPath is the .pub file next to the private key.
func (k KeyPair) PublicPath() string { return k.PrivatePath + ".pub" }

// AuthorizedKeysEntry is the public key as one authorized_keys line, newline included.
func (k KeyPair) AuthorizedKeysEntry() string { return k.PublicKey + "\n" }

// DefaultDir is $LAVACORE_STATE_DIR/ssh, else ~/.local/share/lavacore/ssh.
func DefaultDir() (string, error) {
	if d := os.Getenv("LAVACORE_STATE_DIR"); d != "" {
		return filepath.Join(d, "ssh"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("sshkey: no key directory: set LAVACORE_STATE_DIR or HOME: %w", err)
	}
	return filepath.Join(home, ".local", "share", "lavacore", "ssh"), nil
}

// LoadOrCreate loads the key pair in dir ("" means DefaultDir), generating an ed25519
// pair first if there is none. Creation is safe against a concurrent LoadOrCreate in
// another process: the private key appears atomically and the first one wins.
// A private key readable by group or others is tightened to 0600, as ssh requires.
func LoadOrCreate(dir string) (KeyPair, error) {
	if dir == "" {
		d, err := DefaultDir()
		if err != nil {
			return KeyPair{}, err
		}
		dir = d
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return KeyPair{}, fmt.Errorf("sshkey: create key directory: %w", err)
	}
	priv := filepath.Join(dir, PrivateName)
	if _, err := os.Lstat(priv); errors.Is(err, fs.ErrNotExist) {
		if err := create(dir, priv); err != nil {
			return KeyPair{}, err
		}
	}
	return load(priv)
}

func comment() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "localhost"
	}
	return "lavacore@" + h
}

// create writes a fresh private key to a temporary file and links it into place;
// if another process got there first, its key is kept.
func create(dir, priv string) error {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("sshkey: generate ed25519 key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(key, comment())
	if err != nil {
		return fmt.Errorf("sshkey: encode private key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".id_ed25519-*")
	if err != nil {
		return fmt.Errorf("sshkey: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("sshkey: %w", err)
	}
	if _, err := tmp.Write(pem.EncodeToMemory(block)); err != nil {
		tmp.Close()
		return fmt.Errorf("sshkey: write private key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sshkey: write private key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("sshkey: write private key: %w", err)
	}
	if err := os.Link(tmp.Name(), priv); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("sshkey: install private key: %w", err)
	}
	return nil
}

func load(priv string) (KeyPair, error) {
	fi, err := os.Lstat(priv)
	if err != nil {
		return KeyPair{}, fmt.Errorf("sshkey: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return KeyPair{}, fmt.Errorf("sshkey: %s is not a regular file", priv)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(priv, 0o600); err != nil {
			return KeyPair{}, fmt.Errorf("sshkey: %s is readable by others and cannot be fixed: %w", priv, err)
		}
	}
	data, err := os.ReadFile(priv)
	if err != nil {
		return KeyPair{}, fmt.Errorf("sshkey: %w", err)
	}
	raw, err := ssh.ParseRawPrivateKey(data)
	if err != nil {
		return KeyPair{}, fmt.Errorf("sshkey: %s: %w (move it away to generate a new key)", priv, err)
	}
	signer, err := ssh.NewSignerFromKey(raw)
	if err != nil {
		return KeyPair{}, fmt.Errorf("sshkey: %s: %w", priv, err)
	}
	c := comment()
	if pb, err := os.ReadFile(priv + ".pub"); err == nil {
		if pk, cm, _, _, err := ssh.ParseAuthorizedKey(pb); err == nil &&
			bytes.Equal(pk.Marshal(), signer.PublicKey().Marshal()) && cm != "" {
			c = cm
		}
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))) + " " + c
	kp := KeyPair{PrivatePath: priv, PublicKey: line, Signer: signer}
	// (Re)write the .pub file when it is missing or does not match the private key.
	if pb, err := os.ReadFile(kp.PublicPath()); err != nil || strings.TrimSpace(string(pb)) != line {
		if err := writeFileAtomic(kp.PublicPath(), []byte(kp.AuthorizedKeysEntry()), 0o644); err != nil {
			return KeyPair{}, fmt.Errorf("sshkey: write public key: %w", err)
		}
	}
	return kp, nil
}

func writeFileAtomic(path string, data []byte, perm fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
