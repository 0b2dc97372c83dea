package lavarun

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/core/device"
)

// TestDispatcherApply maps dispatcher.yaml onto lavacore's dispatcher
// settings as LAVA's dispatcher uses the file.
func TestDispatcherApply(t *testing.T) {
	dir := t.TempDir()
	tftpd := filepath.Join(dir, "tftpd-hpa")
	os.WriteFile(tftpd, []byte("# /etc/default/tftpd-hpa\nTFTP_USERNAME=\"tftp\"\nTFTP_DIRECTORY=\"/srv/tftp/lava\"\nTFTP_ADDRESS=\":69\"\n"), 0o644)
	places := Places{DownloadDir: "/var/lib/lava/dispatcher/tmp", TFTPDefaults: tftpd,
		DefaultIP: func() (string, error) { return "10.0.0.9", nil }}
	noTFTPD := places
	noTFTPD.TFTPDefaults = filepath.Join(dir, "absent")
	type want struct {
		ip, tftp, nfs, version string
		files                  []string
		warnings               []string
	}
	tests := []struct {
		name    string
		yaml    string
		places  Places
		want    want
		wantErr string
	}{
		{"none: the default route's address, tftpd's directory", "", places,
			want{ip: "10.0.0.9", tftp: "/srv/tftp/lava", nfs: "/var/lib/lava/dispatcher/tmp"}, ""},
		{"empty file, no tftpd-hpa", "# nothing\n", noTFTPD,
			want{ip: "10.0.0.9", tftp: "/srv/tftp", nfs: "/var/lib/lava/dispatcher/tmp"}, ""},
		{"dispatcher_ip", "dispatcher_ip: 192.0.2.1\n", places,
			want{ip: "192.0.2.1", tftp: "/srv/tftp/lava", nfs: "/var/lib/lava/dispatcher/tmp"}, ""},
		{"per-protocol addresses: one is used, the others said", "dispatcher_tftp_ip: 192.0.2.2\ndispatcher_http_ip: 192.0.2.3\n", places,
			want{ip: "192.0.2.2", tftp: "/srv/tftp/lava", nfs: "/var/lib/lava/dispatcher/tmp",
				warnings: []string{"dispatcher_http_ip 192.0.2.3: lavacore uses one address for every protocol (192.0.2.2)"}}, ""},
		{"prefix: the NFS roots under it", "dispatcher_ip: 192.0.2.1\nprefix: worker2-\n", places,
			want{ip: "192.0.2.1", tftp: "/srv/tftp/lava", nfs: "/var/lib/lava/dispatcher/tmp/worker2-"}, ""},
		{"keys LAVA reads that lavacore does not", "dispatcher_ip: 192.0.2.1\nhttp_url_format_string: 'http://cache/%s'\ntftp_size_limit: 1000\nsomething_else: 1\n", places,
			want{ip: "192.0.2.1", tftp: "/srv/tftp/lava", nfs: "/var/lib/lava/dispatcher/tmp",
				warnings: []string{"dispatcher.yaml: http_url_format_string is not used by lavacore", "dispatcher.yaml: tftp_size_limit is not used by lavacore"}}, ""},
		{"lavacore's own block", "dispatcher_ip: 192.0.2.1\nlavacore:\n  lava_version: '2026.08'\n  allowed_file_dirs: [/srv/images]\n", places,
			want{ip: "192.0.2.1", tftp: "/srv/tftp/lava", nfs: "/var/lib/lava/dispatcher/tmp", version: "2026.08", files: []string{"/srv/images"}}, ""},
		{"not a mapping counts as empty", "- a\n- b\n", places,
			want{ip: "10.0.0.9", tftp: "/srv/tftp/lava", nfs: "/var/lib/lava/dispatcher/tmp"}, ""},
		{"not YAML", "dispatcher_ip: [\n", places, want{}, "dispatcher.yaml: yaml: line 1"},
		{"prefix escaping the directory", "prefix: ../x\n", places, want{}, `prefix: "../x" cannot be part of a directory name`},
		{"relative allowed_file_dirs", "lavacore:\n  allowed_file_dirs: [images]\n", places, want{}, "lavacore.allowed_file_dirs: images is not an absolute directory"},
		{"unknown lavacore key", "lavacore:\n  lab: x\n", places, want{}, "lavacore.lab: unknown key"},
		{"dispatcher_ip as a list", "dispatcher_ip: [a]\n", places, want{}, "dispatcher_ip: expected a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.yaml != "" {
				path = filepath.Join(t.TempDir(), "dispatcher.yaml")
				os.WriteFile(path, []byte(tt.yaml), 0o644)
			}
			c, err := ReadDispatcher(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			lab, _ := device.NewLab("", device.LoadOptions{})
			warnings, err := c.Apply(lab, tt.places)
			if err != nil {
				t.Fatal(err)
			}
			got := want{ip: lab.DispatcherIP, tftp: lab.TFTPRoot, nfs: lab.NFSRoot, version: lab.LavaVersion, files: lab.AllowedFileDirs, warnings: warnings}
			if len(got.files) == 0 {
				got.files = nil
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestCoordinator reads the worker's lava-coordinator.conf as LAVA's
// MultiNode protocol does.
func TestCoordinator(t *testing.T) {
	tests := []struct{ name, conf, want, wantErr string }{
		{"Debian's", `{"port": 3079, "blocksize": 4096, "poll_delay": 3, "coordinator_hostname": "lava-server.example"}`, "lava-server.example:3079", ""},
		{"defaults", `{}`, "localhost:3079", ""},
		{"other port", `{"port": 3080}`, "localhost:3080", ""},
		{"absent", "", "", "Missing coordinator configuration"},
		{"not JSON", `port=1`, "", "Invalid JSON settings for lava-multinode"},
		{"bad port", `{"port": 70000}`, "", "is not a TCP port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "lava-coordinator.conf")
			if tt.conf != "" {
				os.WriteFile(path, []byte(tt.conf), 0o644)
			}
			got, err := Coordinator(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestDispatcherCoordinator reads lavacore.coordinator, the worker's own
// MultiNode coordinator (lava-coordinator.conf is one per machine).
func TestDispatcherCoordinator(t *testing.T) {
	tests := []struct{ name, yaml, want, wantErr string }{
		{"none: lava-coordinator.conf decides", "dispatcher_ip: 192.0.2.1\n", "", ""},
		{"host and port", "lavacore:\n  coordinator: lava-server.example:3080\n", "lava-server.example:3080", ""},
		{"IPv6", "lavacore:\n  coordinator: '[::1]:3079'\n", "[::1]:3079", ""},
		{"no port", "lavacore:\n  coordinator: lava-server.example\n", "", "is not host:port"},
		{"port out of range", "lavacore:\n  coordinator: localhost:70000\n", "", "is not a TCP port"},
		{"an option as host", "lavacore:\n  coordinator: '-oProxyCommand=x:1'\n", "", "is not a host name or address"},
		{"not a string", "lavacore:\n  coordinator: [a]\n", "", "lavacore.coordinator: expected host:port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "dispatcher.yaml")
			os.WriteFile(path, []byte(tt.yaml), 0o644)
			c, err := ReadDispatcher(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || c.Coordinator != tt.want {
				t.Errorf("got %q, %v; want %q", c.Coordinator, err, tt.want)
			}
		})
	}
}
