package pluginhost

import (
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const (
	goodScript = "#!/bin/sh\necho good\n"
	evilScript = "#!/bin/sh\necho evil\n"
)

func sumOf(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

func writeExec(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path+".new", []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
}

// runFD executes f as the plugin host does (/proc/self/fd/N in the child).
func runFD(t *testing.T, f *os.File) string {
	t.Helper()
	cmd := exec.Command("/proc/self/fd/3")
	cmd.ExtraFiles = []*os.File{f}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestOpenVerified_BinaryRenamedOverAfterCheck: a plugin binary replaced at
// its path after its checksum was checked is not what runs; the checked
// file is.
func TestOpenVerified_BinaryRenamedOverAfterCheck(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lavacore-plugin-x")
	writeExec(t, p, goodScript)
	f, _, err := openVerified(Binary{Name: "x", Path: p}, sumOf(goodScript), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	writeExec(t, p, evilScript) // the swap, between the check and the exec
	if got := runFD(t, f); got != "good" {
		t.Fatalf("ran %q, want the checked file's output", got)
	}
}

// TestOpenVerified: what is checked, and when the check of a restarted
// plugin's file is skipped.
func TestOpenVerified(t *testing.T) {
	for _, tc := range []struct {
		name string
		// change runs after a first check (whose result is then trusted)
		change func(t *testing.T, p string)
		sum    string // the checksum the second check compares with
		ok     bool
	}{
		{"SameFile", func(*testing.T, string) {}, goodScript, true},
		{"SameFileWrongChecksumIsNotRead", func(*testing.T, string) {}, evilScript, true},
		{"RenamedOver", func(t *testing.T, p string) { writeExec(t, p, evilScript) }, goodScript, false},
		{"WrittenInPlace", func(t *testing.T, p string) {
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteAt([]byte("evil"), int64(strings.Index(goodScript, "good"))); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}, goodScript, false},
		{"WrittenInPlaceWithNewChecksum", func(t *testing.T, p string) {
			if err := os.WriteFile(p, []byte(evilScript), 0o755); err != nil {
				t.Fatal(err)
			}
		}, evilScript, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "lavacore-plugin-x")
			writeExec(t, p, goodScript)
			b := Binary{Name: "x", Path: p}
			f, v, err := openVerified(b, sumOf(goodScript), nil)
			if err != nil {
				t.Fatal(err)
			}
			f.Close()
			v.trusted = true // as if checked ctimeMargin after the file was written
			tc.change(t, p)
			f, _, err = openVerified(b, sumOf(tc.sum), v)
			if tc.ok != (err == nil) {
				t.Fatalf("second check: err = %v, want ok %v", err, tc.ok)
			}
			if err == nil {
				f.Close()
			}
		})
	}
}

// TestOpenVerified_FreshFileIsCheckedAgain: a file changed less than
// ctimeMargin before its check is read again at the next start (a change in
// the same tick of a coarse clock would keep its change time).
func TestOpenVerified_FreshFileIsCheckedAgain(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lavacore-plugin-x")
	writeExec(t, p, goodScript)
	b := Binary{Name: "x", Path: p}
	f, v, err := openVerified(b, sumOf(goodScript), nil)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if v.trusted {
		t.Skip("the file system's change time is older than the margin (slow machine)")
	}
	if _, _, err := openVerified(b, sumOf(evilScript), v); err == nil {
		t.Fatal("a fresh file was not read again")
	}
}
