package sshkey

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
)

// AuthorizedKeysPath is where InstallAuthorized writes, relative to the tree's root.
const AuthorizedKeysPath = "root/.ssh/authorized_keys"

// InstallAuthorized authorizes pub (one authorized_keys line) for root in the tree at
// root (an extracted NFS root, an unpacked ramdisk or an overlay directory): it
// creates root/.ssh (0700) and root/.ssh/authorized_keys (0600) as needed and appends
// the key unless a line with the same key is already there. Existing lines are kept.
//
// The tree comes from a downloaded image, so nothing is followed out of it: a
// symbolic link on the way (say root/.ssh -> /root/.ssh) that leaves the tree, or is
// absolute, is an error rather than a write on the dispatcher.
// When run as root the new directories and file are owned by 0:0, as sshd's
// StrictModes expects of root's files.
func InstallAuthorized(root string, pub string) error {
	key, line, err := parseOne(pub)
	if err != nil {
		return err
	}
	fi, err := os.Stat(root)
	if err != nil {
		return fmt.Errorf("sshkey: authorize in %s: %w", root, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("sshkey: authorize in %s: not a directory", root)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return fmt.Errorf("sshkey: authorize in %s: %w", root, err)
	}
	defer r.Close()
	asRoot := os.Geteuid() == 0
	for _, d := range []string{"root", "root/.ssh"} {
		err := r.Mkdir(d, 0o700)
		switch {
		case err == nil:
			if err := r.Chmod(d, 0o700); err != nil {
				return fmt.Errorf("sshkey: authorize in %s: %w", root, err)
			}
			if asRoot {
				if err := r.Lchown(d, 0, 0); err != nil {
					return fmt.Errorf("sshkey: authorize in %s: %w", root, err)
				}
			}
		case errors.Is(err, fs.ErrExist):
			st, err := r.Stat(d)
			if err != nil {
				return fmt.Errorf("sshkey: authorize in %s: %s: %w", root, d, err)
			}
			if !st.IsDir() {
				return fmt.Errorf("sshkey: authorize in %s: %s is not a directory", root, d)
			}
		default:
			return fmt.Errorf("sshkey: authorize in %s: %w", root, err)
		}
	}
	// Tighten the existing .ssh as sshd's StrictModes wants it.
	if err := r.Chmod("root/.ssh", 0o700); err != nil {
		return fmt.Errorf("sshkey: authorize in %s: %w", root, err)
	}
	old, err := r.ReadFile(AuthorizedKeysPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sshkey: authorize in %s: %w", root, err)
	}
	created := errors.Is(err, fs.ErrNotExist)
	if !hasKey(old, key) {
		f, err := r.OpenFile(AuthorizedKeysPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("sshkey: authorize in %s: %w", root, err)
		}
		var b strings.Builder
		if len(old) > 0 && old[len(old)-1] != '\n' {
			b.WriteByte('\n')
		}
		b.WriteString(line)
		b.WriteByte('\n')
		_, werr := f.WriteString(b.String())
		cerr := f.Close()
		if werr != nil || cerr != nil {
			return fmt.Errorf("sshkey: authorize in %s: write %s: %w", root, AuthorizedKeysPath, errors.Join(werr, cerr))
		}
	}
	if err := r.Chmod(AuthorizedKeysPath, 0o600); err != nil {
		return fmt.Errorf("sshkey: authorize in %s: %w", root, err)
	}
	if created && asRoot {
		if err := r.Lchown(AuthorizedKeysPath, 0, 0); err != nil {
			return fmt.Errorf("sshkey: authorize in %s: %w", root, err)
		}
	}
	return nil
}

// parseOne checks pub is exactly one public key and returns it with its normalised line.
func parseOne(pub string) (ssh.PublicKey, string, error) {
	trimmed := strings.TrimSpace(pub)
	if trimmed == "" || strings.ContainsAny(trimmed, "\r\n") {
		return nil, "", fmt.Errorf("sshkey: want one authorized_keys line, got %q", pub)
	}
	key, comment, opts, rest, err := ssh.ParseAuthorizedKey([]byte(trimmed))
	if err != nil {
		return nil, "", fmt.Errorf("sshkey: not a public key line: %w", err)
	}
	if len(rest) != 0 {
		return nil, "", fmt.Errorf("sshkey: want one authorized_keys line, got more")
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
	if len(opts) > 0 {
		line = strings.Join(opts, ",") + " " + line
	}
	if comment != "" {
		line += " " + comment
	}
	return key, line, nil
}

// hasKey reports whether an authorized_keys file already lists key (options and
// comments aside).
func hasKey(data []byte, key ssh.PublicKey) bool {
	want := key.Marshal()
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		k, _, _, _, err := ssh.ParseAuthorizedKey(sc.Bytes())
		if err == nil && bytes.Equal(k.Marshal(), want) {
			return true
		}
	}
	return false
}
