package ramdisk

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// ent is a test entry: a header and its data.
type ent struct {
	h    Header
	data string
}

func reg(name, data string, perm uint32) ent {
	return ent{Header{Name: name, Mode: TypeReg | perm, Size: int64(len(data)), Mtime: 1700000000, Nlink: 1}, data}
}
func dir(name string, perm uint32) ent {
	return ent{Header{Name: name, Mode: TypeDir | perm, Mtime: 1700000000, Nlink: 2}, ""}
}
func symlink(name, target string) ent {
	return ent{Header{Name: name, Mode: TypeSymlink | 0o777, Linkname: target, Mtime: 1700000000, Nlink: 1}, ""}
}

// archive writes entries with Writer.
func archive(t testing.TB, entries ...ent) []byte {
	t.Helper()
	var b bytes.Buffer
	w := NewWriter(&b)
	for i, e := range entries {
		h := e.h
		if h.Ino == 0 {
			h.Ino = uint32(i + 1)
		}
		if err := w.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readAll(t testing.TB, data []byte) ([]ent, error) {
	r := NewReader(bytes.NewReader(data))
	var out []ent
	for {
		h, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		b, err := io.ReadAll(r)
		if err != nil {
			return out, err
		}
		out = append(out, ent{*h, string(b)})
	}
}

func TestWriterReaderRoundTrip(t *testing.T) {
	in := []ent{
		dir(".", 0o755),
		dir("bin", 0o755),
		reg("bin/busybox", strings.Repeat("x", 1001), 0o4755),
		symlink("bin/sh", "busybox"),
		reg("empty", "", 0o600),
		{Header{Name: "dev/console", Mode: TypeChar | 0o600, RdevMajor: 5, RdevMinor: 1, Nlink: 1}, ""},
		{Header{Name: "etc/owned", Mode: TypeReg | 0o640, UID: 1000, GID: 1001, Size: 3, Mtime: 42, Nlink: 1}, "abc"},
	}
	data := archive(t, in...)
	if len(data)%512 != 0 {
		t.Errorf("archive is %d bytes, not padded to 512", len(data))
	}
	out, err := readAll(t, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("read %d entries, wrote %d", len(out), len(in))
	}
	for i := range in {
		want := in[i].h
		want.Ino = uint32(i + 1)
		if want.Nlink == 0 {
			want.Nlink = 1
		}
		if want.Type() == TypeSymlink {
			want.Size = int64(len(want.Linkname))
		}
		if out[i].h != want {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, out[i].h, want)
		}
		if want.Type() != TypeSymlink && out[i].data != in[i].data {
			t.Errorf("entry %d data %q", i, out[i].data)
		}
	}
}

func TestReaderErrors(t *testing.T) {
	good := archive(t, reg("a", "hello", 0o644))
	crc := bytes.Replace(archive(t, reg("a", "hello", 0o644)), []byte("070701"), []byte("070702"), 1)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "archive ends without TRAILER!!!"},
		{"bad magic", []byte(strings.Repeat("z", 200)), "bad magic"},
		{"truncated data", good[:115], "unexpected EOF"},
		{"no trailer", good[:120], "archive ends without TRAILER!!!"},
		{"bad hex", append([]byte("070701zzzzzzzz"), good[14:]...), "not hex"},
		{"huge name", append([]byte("070701"+strings.Repeat("0", 8*11)+"ffffffff"+"00000000"), good[110:]...), "bad name size"},
		{"crc mismatch", crc, "checksum mismatch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readAll(t, tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// A correct 070702 sum passes.
	sum := 0
	for _, c := range []byte("hello") {
		sum += int(c)
	}
	fixed := append([]byte{}, crc...)
	copy(fixed[102:110], hex8(uint32(sum))) // the check field ends the 110-byte header
	if _, err := readAll(t, fixed); err != nil {
		t.Errorf("070702 with the right sum: %v", err)
	}
}

func hex8(v uint32) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = digits[v&0xf]
		v >>= 4
	}
	return string(b)
}

func TestWriterErrors(t *testing.T) {
	w := NewWriter(io.Discard)
	if err := w.WriteHeader(&Header{Name: "", Mode: TypeReg}); err == nil {
		t.Error("empty name accepted")
	}
	if err := w.WriteHeader(&Header{Name: "d", Mode: TypeDir, Size: 3}); err == nil {
		t.Error("directory with data accepted")
	}
	if err := w.WriteHeader(&Header{Name: "f", Mode: TypeReg, Size: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("toolong")); err == nil {
		t.Error("write past Size accepted")
	}
	if err := w.WriteHeader(&Header{Name: "g", Mode: TypeReg}); err == nil {
		t.Error("short entry not reported")
	}
}

func TestReaderStopsAtTrailer(t *testing.T) {
	a := archive(t, reg("a", "1", 0o644))
	b := archive(t, reg("b", "2", 0o644))
	r := bytes.NewReader(append(append([]byte{}, a...), b...))
	cr := NewReader(r)
	for {
		if _, err := cr.Next(); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
	}
	// What follows the trailer is only the 512-byte padding, then the next archive.
	rest, _ := io.ReadAll(r)
	if got := bytes.TrimLeft(rest, "\x00"); !bytes.Equal(got, b) {
		t.Errorf("reader consumed past the trailer: %d bytes left, want %d", len(got), len(b))
	}
}

func FuzzCpioReader(f *testing.F) {
	f.Add(archive(f, dir(".", 0o755), reg("a", "hello", 0o644), symlink("l", "a")))
	f.Add(bytes.Replace(archive(f, reg("a", "hello", 0o644)), []byte("070701"), []byte("070702"), 1))
	f.Add([]byte("070701"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		for i := 0; i < 10000; i++ {
			h, err := r.Next()
			if err != nil {
				return
			}
			if len(h.Name) > MaxNameLen || len(h.Linkname) > maxLinkLen {
				t.Fatalf("oversized header %q", h.Name)
			}
			if _, err := io.Copy(io.Discard, r); err != nil {
				return
			}
		}
	})
}
