package lab

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestNFSTmpfsSize(t *testing.T) {
	for _, c := range []struct {
		mem, want uint64
	}{
		{24 << 30, 8 << 30},
		{16 << 30, 8 << 30},
		{4 << 30, 2 << 30},
		{1 << 30, 512 << 20},
	} {
		if got := nfsTmpfsSize(c.mem); got != c.want {
			t.Errorf("nfsTmpfsSize(%d) = %d, want %d", c.mem, got, c.want)
		}
	}
}

func TestParseMemTotal(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    uint64
		wantErr bool
	}{
		{"MemTotal:       24683988 kB\nMemFree: 1 kB\n", 24683988 << 10, false},
		{"MemFree: 1 kB\nMemTotal: 1024 kB", 1 << 20, false},
		{"MemFree: 1 kB\n", 0, true},
		{"MemTotal: x kB\n", 0, true},
	} {
		got, err := parseMemTotal([]byte(c.in))
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("parseMemTotal(%q) = %d, %v; want %d, error %v", c.in, got, err, c.want, c.wantErr)
		}
	}
}

func TestMountedAt(t *testing.T) {
	const table = `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
90 22 0:50 / /var/lib/lavacore/lab/nfs rw,nosuid,nodev shared:40 - tmpfs lavacore-lab-nfs rw,size=8388608k,mode=755
91 22 0:51 / /srv/my\040lab/nfs rw - tmpfs other rw
92 22 0:52 / /stacked rw - ext4 /dev/sdb1 rw
93 92 0:53 / /stacked rw - tmpfs lavacore-lab-nfs rw
94 22 0:54 / /var/lib/lavacore/lab/nfs/lava-run/x rw - tmpfs inner rw
`
	for _, c := range []struct {
		dir    string
		want   mountAt
		wantOK bool
	}{
		{"/var/lib/lavacore/lab/nfs", mountAt{"tmpfs", NFSTmpfsSource}, true},
		{"/srv/my lab/nfs", mountAt{"tmpfs", "other"}, true},
		{"/stacked", mountAt{"tmpfs", NFSTmpfsSource}, true},
		{"/var/lib/lavacore/lab", mountAt{}, false},
		{"/var/lib/lavacore/lab/nfs/lava-run", mountAt{}, false},
	} {
		got, ok, err := mountedAt(strings.NewReader(table), c.dir)
		if err != nil || ok != c.wantOK || got != c.want {
			t.Errorf("mountedAt(%q) = %+v, %v, %v; want %+v, %v", c.dir, got, ok, err, c.want, c.wantOK)
		}
	}
}

// TestMountNFS mounts and unmounts tmpfs file systems on a temporary lab's
// nfs/ (root only; no lab is started): a fresh lab, a stale tmpfs of ours, a
// mount that is not ours, --nfs-on-disk.
func TestMountNFS(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	for _, c := range []struct {
		name       string
		before     string // "", "ours" (a stale tmpfs of ours), "foreign"
		onDisk     bool
		wantSource string // after mountNFS ("" = no mount)
		wantFile   bool   // the marker file written before mountNFS is still there
		downSource string // after unmountNFS
	}{
		{"fresh", "", false, NFSTmpfsSource, false, ""},
		{"stale tmpfs of ours replaced", "ours", false, NFSTmpfsSource, false, ""},
		{"foreign mount kept", "foreign", false, "foreign-fs", true, "foreign-fs"},
		{"on disk", "", true, "", true, ""},
		{"on disk unmounts a stale tmpfs of ours", "ours", true, "", false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := &Lab{Dir: t.TempDir()}
			dir := l.path("nfs")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				for syscall.Unmount(dir, syscall.MNT_DETACH) == nil {
				}
			})
			switch c.before {
			case "ours":
				if err := syscall.Mount(NFSTmpfsSource, dir, "tmpfs", 0, "size=1m"); err != nil {
					t.Fatal(err)
				}
			case "foreign":
				if err := syscall.Mount("foreign-fs", dir, "tmpfs", 0, "size=1m"); err != nil {
					t.Fatal(err)
				}
			}
			marker := filepath.Join(dir, "marker")
			if err := os.WriteFile(marker, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := l.mountNFS(c.onDisk); err != nil {
				t.Fatalf("mountNFS: %v", err)
			}
			source := func() string {
				m, ok, err := l.nfsMount()
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					return ""
				}
				return m.Source
			}
			if got := source(); got != c.wantSource {
				t.Errorf("after mountNFS: mounted %q, want %q", got, c.wantSource)
			}
			if _, err := os.Stat(marker); (err == nil) != c.wantFile {
				t.Errorf("after mountNFS: marker there = %v, want %v", err == nil, c.wantFile)
			}
			if err := l.unmountNFS(); err != nil {
				t.Fatalf("unmountNFS: %v", err)
			}
			if got := source(); got != c.downSource {
				t.Errorf("after unmountNFS: mounted %q, want %q", got, c.downSource)
			}
		})
	}
}
