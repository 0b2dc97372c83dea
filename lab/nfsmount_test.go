package lab

import (
	"strings"
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
