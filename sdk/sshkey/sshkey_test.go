package sshkey

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestLoadOrCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "ssh")
	kp, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if kp.PrivatePath != filepath.Join(dir, PrivateName) {
		t.Errorf("PrivatePath = %s", kp.PrivatePath)
	}
	if !strings.HasPrefix(kp.PublicKey, "ssh-ed25519 ") || strings.Contains(kp.PublicKey, "\n") {
		t.Errorf("PublicKey = %q", kp.PublicKey)
	}
	if kp.AuthorizedKeysEntry() != kp.PublicKey+"\n" {
		t.Errorf("AuthorizedKeysEntry = %q", kp.AuthorizedKeysEntry())
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, kp.PrivatePath: 0o600, kp.PublicPath(): 0o644} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode %v, want %v", path, fi.Mode().Perm(), want)
		}
	}
	data, _ := os.ReadFile(kp.PrivatePath)
	if !bytes.HasPrefix(data, []byte("-----BEGIN OPENSSH PRIVATE KEY-----")) {
		t.Errorf("private key not in OpenSSH format: %.40q", data)
	}
	// The signer signs and the signature verifies against the public line.
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(kp.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := kp.Signer.Sign(nil, []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Verify([]byte("hello"), sig); err != nil {
		t.Fatal(err)
	}

	// Loading again gives the same key; a lost .pub and loose permissions are repaired.
	os.Remove(kp.PublicPath())
	os.Chmod(kp.PrivatePath, 0o644)
	kp2, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if kp2.PublicKey != kp.PublicKey {
		t.Errorf("reload changed the key:\n%s\n%s", kp.PublicKey, kp2.PublicKey)
	}
	if fi, _ := os.Stat(kp.PrivatePath); fi.Mode().Perm() != 0o600 {
		t.Errorf("private key mode not tightened: %v", fi.Mode().Perm())
	}
	if b, _ := os.ReadFile(kp.PublicPath()); string(b) != kp.AuthorizedKeysEntry() {
		t.Errorf(".pub = %q", b)
	}

	// ssh-keygen agrees, when present.
	if _, err := exec.LookPath("ssh-keygen"); err == nil {
		out, err := exec.Command("ssh-keygen", "-y", "-f", kp.PrivatePath).Output()
		if err != nil {
			t.Fatalf("ssh-keygen -y: %v", err)
		}
		if f := strings.Fields(string(out)); len(f) < 2 || !strings.HasPrefix(kp.PublicKey, f[0]+" "+f[1]) {
			t.Errorf("ssh-keygen -y = %q, want %q", out, kp.PublicKey)
		}
	}
}

func TestLoadOrCreateConcurrent(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	keys := make([]string, 8)
	errs := make([]error, 8)
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			kp, err := LoadOrCreate(dir)
			keys[i], errs[i] = kp.PublicKey, err
		}()
	}
	wg.Wait()
	for i := range keys {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if keys[i] != keys[0] {
			t.Fatalf("concurrent callers got different keys:\n%s\n%s", keys[0], keys[i])
		}
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("LAVACORE_STATE_DIR", "/var/lib/lavacore")
	if d, _ := DefaultDir(); d != "/var/lib/lavacore/ssh" {
		t.Errorf("DefaultDir = %s", d)
	}
	t.Setenv("LAVACORE_STATE_DIR", "")
	t.Setenv("HOME", "/home/u")
	if d, _ := DefaultDir(); d != "/home/u/.local/share/lavacore/ssh" {
		t.Errorf("DefaultDir = %s", d)
	}
	// LoadOrCreate("") uses it.
	tmp := t.TempDir()
	t.Setenv("LAVACORE_STATE_DIR", tmp)
	kp, err := LoadOrCreate("")
	if err != nil {
		t.Fatal(err)
	}
	if kp.PrivatePath != filepath.Join(tmp, "ssh", PrivateName) {
		t.Errorf("PrivatePath = %s", kp.PrivatePath)
	}
}

func TestLoadBroken(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, PrivateName), []byte("not a key"), 0o600)
	if _, err := LoadOrCreate(dir); err == nil || !strings.Contains(err.Error(), "move it away") {
		t.Fatalf("err = %v", err)
	}
}
