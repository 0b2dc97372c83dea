package sshkey

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	keyA = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKoAML7V5rmC0rnZJ/ZGHE1ehhmWMES1SPOZayqy0lQu a@x"
	keyB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINk6YEpmUOrfuD4H+96JBJfZ3cRpv/mfG619HrszidL5 b@y"
)

func TestInstallAuthorized(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, root string)
		pub     string
		want    string // authorized_keys content; "" when an error is expected
		wantErr string
	}{
		{name: "fresh tree", pub: keyA, want: keyA + "\n"},
		{name: "existing file without final newline", pub: keyA,
			setup: func(t *testing.T, root string) { write(t, root, "root/.ssh/authorized_keys", keyB, 0o644) },
			want:  keyB + "\n" + keyA + "\n"},
		{name: "already present with another comment and options", pub: keyA,
			setup: func(t *testing.T, root string) {
				write(t, root, "root/.ssh/authorized_keys", `no-pty `+strings.TrimSuffix(keyA, " a@x")+" other\n", 0o600)
			},
			want: `no-pty ` + strings.TrimSuffix(keyA, " a@x") + " other\n"},
		{name: "trailing newline in pub is fine", pub: keyA + "\n", want: keyA + "\n"},
		{name: "relative symlink inside the tree is followed", pub: keyA,
			setup: func(t *testing.T, root string) {
				os.MkdirAll(filepath.Join(root, "var/roothome"), 0o700)
				os.Symlink("var/roothome", filepath.Join(root, "root"))
			},
			want: keyA + "\n"},
		{name: "absolute symlink is refused", pub: keyA,
			setup: func(t *testing.T, root string) {
				os.MkdirAll(filepath.Join(root, "root"), 0o700)
				os.Symlink(t.TempDir(), filepath.Join(root, "root/.ssh"))
			},
			wantErr: "authorize in"},
		{name: "escaping relative symlink is refused", pub: keyA,
			setup: func(t *testing.T, root string) {
				os.MkdirAll(filepath.Join(root, "root"), 0o700)
				os.Symlink("../../..", filepath.Join(root, "root/.ssh"))
			},
			wantErr: "authorize in"},
		{name: "two keys", pub: keyA + "\n" + keyB, wantErr: "one authorized_keys line"},
		{name: "garbage", pub: "hello", wantErr: "not a public key"},
		{name: "root is a file", pub: keyA,
			setup:   func(t *testing.T, root string) { write(t, root, "root", "x", 0o644) },
			wantErr: "not a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			if tc.setup != nil {
				tc.setup(t, root)
			}
			err := InstallAuthorized(root, tc.pub)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Twice is the same as once.
			if err := InstallAuthorized(root, tc.pub); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(root, AuthorizedKeysPath)
			got, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("authorized_keys =\n%s\nwant\n%s", got, tc.want)
			}
			if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
				t.Errorf("authorized_keys mode %v", fi.Mode().Perm())
			}
			if fi, _ := os.Stat(filepath.Dir(p)); fi.Mode().Perm() != 0o700 {
				t.Errorf(".ssh mode %v", fi.Mode().Perm())
			}
		})
	}
}

func TestInstallGeneratedKey(t *testing.T) {
	kp, err := LoadOrCreate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := InstallAuthorized(root, kp.AuthorizedKeysEntry()); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(root, AuthorizedKeysPath))
	if string(got) != kp.AuthorizedKeysEntry() {
		t.Errorf("got %q", got)
	}
}

func write(t *testing.T, root, rel, data string, mode os.FileMode) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
}
