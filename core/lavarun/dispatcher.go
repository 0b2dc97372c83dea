package lavarun

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/core/device"
	"github.com/lavacore/lavacore/sdk/lavaversion"
)

// LAVA's fixed places on a worker (lava_common/constants.py and the
// lava-dispatcher package's configuration).
const (
	// DownloadDir is LAVA's DISPATCHER_DOWNLOAD_DIR: each job's scratch
	// space (<prefix><job id>/), exported over NFS by lava-dispatcher's
	// /etc/exports; lavacore puts its NFS roots there too.
	DownloadDir = "/var/lib/lava/dispatcher/tmp"
	// TFTPDefaults is where LAVA reads tftpd-hpa's TFTP_DIRECTORY.
	TFTPDefaults = "/etc/default/tftpd-hpa"
	// DefaultTFTPRoot is tftpd-hpa's default directory.
	DefaultTFTPRoot = "/srv/tftp"
	// CoordinatorConf is the worker's lava-coordinator.conf, where LAVA's
	// MultiNode protocol finds its coordinator.
	CoordinatorConf = "/etc/lava-coordinator/lava-coordinator.conf"
)

// maxConfigFile bounds the configuration files read (LAVA's are a few KiB).
const maxConfigFile = 1 << 20

// DispatcherConfig is what lavacore honours of the dispatcher.yaml the
// server renders for a worker (/etc/lava-server/dispatcher.d/<name>/
// dispatcher.yaml). Keys LAVA reads that lavacore does not (yet) are listed
// in Unused; keys neither reads are ignored, as LAVA ignores them.
type DispatcherConfig struct {
	// DispatcherIP is dispatcher_ip: the address devices reach the worker at
	// (LAVA: else the address of the default route's interface).
	DispatcherIP string
	// ProtocolIPs are dispatcher_http_ip, dispatcher_tftp_ip and
	// dispatcher_nfs_ip (LAVA prefers them per protocol).
	ProtocolIPs map[string]string
	// Prefix is prefixed to the job id in the worker's directories (several
	// workers on one machine).
	Prefix string
	// Lavacore is the dispatcher.yaml's own `lavacore:` block (LAVA ignores
	// it): lava_version, allowed_file_dirs.
	LavaVersion     string
	AllowedFileDirs []string
	// Coordinator is lavacore.coordinator, host:port of the MultiNode
	// coordinator this worker's sub-jobs use instead of the one in
	// lava-coordinator.conf (LAVA has a single file per machine; several
	// workers on one machine may each want their own).
	Coordinator string
	// Unused are keys LAVA honours that lavacore does not, sorted.
	Unused []string
}

// honouredElsewhere are the dispatcher.yaml keys LAVA's dispatcher reads
// that lavacore does not use.
var honouredElsewhere = map[string]bool{
	"http_url_format_string": true, // download caching service
	"tftp_size_limit":        true,
	"lxc_path":               true,
	"nbd_server_port":        true,
}

// ReadDispatcher reads dispatcher.yaml. An empty path is an empty
// configuration (lava-run without --dispatcher). As LAVA, a file that is
// not a mapping counts as empty; a file that is not YAML is an error.
func ReadDispatcher(path string) (*DispatcherConfig, error) {
	c := &DispatcherConfig{ProtocolIPs: map[string]string{}}
	if path == "" {
		return c, nil
	}
	b, err := readSmall(path)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		// yaml.v3 refuses a document that is valid YAML but not a mapping
		var any_ any
		if yaml.Unmarshal(b, &any_) == nil {
			return c, nil
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	str := func(key string) (string, error) {
		v, ok := doc[key]
		if !ok || v == nil {
			return "", nil
		}
		switch v := v.(type) {
		case string:
			return v, nil
		case int, float64, bool:
			return fmt.Sprint(v), nil
		}
		return "", fmt.Errorf("%s: %s: expected a string", path, key)
	}
	if c.DispatcherIP, err = str("dispatcher_ip"); err != nil {
		return nil, err
	}
	for _, p := range []string{"http", "tftp", "nfs"} {
		v, err := str("dispatcher_" + p + "_ip")
		if err != nil {
			return nil, err
		}
		if v != "" {
			c.ProtocolIPs[p] = v
		}
	}
	if c.Prefix, err = str("prefix"); err != nil {
		return nil, err
	}
	if c.Prefix != "" && (strings.ContainsAny(c.Prefix, "/\x00") || c.Prefix == "." || c.Prefix == "..") {
		return nil, fmt.Errorf("%s: prefix: %q cannot be part of a directory name", path, c.Prefix)
	}
	if err := c.lavacoreBlock(path, doc["lavacore"]); err != nil {
		return nil, err
	}
	for k := range doc {
		if honouredElsewhere[k] {
			c.Unused = append(c.Unused, k)
		}
	}
	sort.Strings(c.Unused)
	return c, nil
}

func (c *DispatcherConfig) lavacoreBlock(path string, v any) error {
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: lavacore: expected a mapping (lava_version, allowed_file_dirs, coordinator)", path)
	}
	for k, v := range m {
		switch k {
		case "lava_version":
			s := fmt.Sprint(v)
			if _, err := lavaversion.Parse(s); err != nil {
				return fmt.Errorf("%s: lavacore.lava_version: %w", path, err)
			}
			c.LavaVersion = s
		case "allowed_file_dirs":
			l, ok := v.([]any)
			if !ok {
				return fmt.Errorf("%s: lavacore.allowed_file_dirs: expected a list of absolute directories", path)
			}
			for _, d := range l {
				s, ok := d.(string)
				if !ok || !filepath.IsAbs(s) {
					return fmt.Errorf("%s: lavacore.allowed_file_dirs: %v is not an absolute directory", path, d)
				}
				c.AllowedFileDirs = append(c.AllowedFileDirs, filepath.Clean(s))
			}
		case "coordinator":
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("%s: lavacore.coordinator: expected host:port", path)
			}
			addr, err := hostPort(s)
			if err != nil {
				return fmt.Errorf("%s: lavacore.coordinator: %w", path, err)
			}
			c.Coordinator = addr
		default:
			return fmt.Errorf("%s: lavacore.%s: unknown key (lava_version, allowed_file_dirs, coordinator)", path, k)
		}
	}
	return nil
}

// Places are the worker's directories and files lavacore reads; tests
// point them elsewhere.
type Places struct {
	DownloadDir     string // DownloadDir
	TFTPDefaults    string // TFTPDefaults
	CoordinatorConf string // CoordinatorConf
	// DefaultIP returns the address of the default route's interface
	// (nil: DefaultRouteIP).
	DefaultIP func() (string, error)
}

// DefaultPlaces are LAVA's.
func DefaultPlaces() Places {
	return Places{DownloadDir: DownloadDir, TFTPDefaults: TFTPDefaults, CoordinatorConf: CoordinatorConf}
}

// Apply sets the lab's dispatcher settings as LAVA's dispatcher would use
// them: the dispatcher's address (dispatcher_ip, else the first per-protocol
// address, else the default route's), the TFTP root from tftpd-hpa's
// configuration, NFS roots under the download directory (<prefix>/ when
// the worker has a prefix). It returns warnings for what lavacore does
// differently.
func (c *DispatcherConfig) Apply(lab *device.Lab, pl Places) (warnings []string, err error) {
	ip := c.DispatcherIP
	if ip == "" {
		for _, p := range []string{"tftp", "nfs", "http"} {
			if v := c.ProtocolIPs[p]; v != "" {
				ip = v
				break
			}
		}
	}
	for _, p := range []string{"http", "tftp", "nfs"} {
		if v := c.ProtocolIPs[p]; v != "" && v != ip {
			warnings = append(warnings, fmt.Sprintf("dispatcher_%s_ip %s: lavacore uses one address for every protocol (%s)", p, v, ip))
		}
	}
	if ip == "" {
		get := pl.DefaultIP
		if get == nil {
			get = DefaultRouteIP
		}
		if ip, err = get(); err != nil {
			return warnings, fmt.Errorf("Unable to find dispatcher 'default' gateway: %w", err)
		}
	}
	lab.DispatcherIP = ip
	tftp, err := TFTPRoot(pl.TFTPDefaults)
	if err != nil {
		return warnings, err
	}
	lab.TFTPRoot = tftp
	lab.NFSRoot = pl.DownloadDir
	if c.Prefix != "" {
		lab.NFSRoot = filepath.Join(pl.DownloadDir, c.Prefix)
	}
	if c.LavaVersion != "" {
		lab.LavaVersion = c.LavaVersion
	}
	lab.AllowedFileDirs = append([]string(nil), c.AllowedFileDirs...)
	for _, k := range c.Unused {
		warnings = append(warnings, fmt.Sprintf("dispatcher.yaml: %s is not used by lavacore", k))
	}
	return warnings, nil
}

// TFTPRoot reads TFTP_DIRECTORY from tftpd-hpa's defaults file (LAVA's
// tftpd_dir); without the file, tftpd-hpa's default /srv/tftp.
func TFTPRoot(defaults string) (string, error) {
	b, err := readSmall(defaults)
	if os.IsNotExist(err) {
		return DefaultTFTPRoot, nil
	}
	if err != nil {
		return "", err
	}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok || strings.TrimSpace(k) != "TFTP_DIRECTORY" {
			continue
		}
		v = strings.TrimSpace(v)
		if u, err := strconv.Unquote(v); err == nil {
			v = u
		} else {
			v = strings.Trim(v, "'")
		}
		if !filepath.IsAbs(v) {
			return "", fmt.Errorf("%s: TFTP_DIRECTORY %q is not an absolute path", defaults, v)
		}
		return filepath.Clean(v), nil
	}
	return DefaultTFTPRoot, nil
}

// Coordinator returns host:port of the coordinator LAVA's MultiNode
// protocol uses: lava-coordinator.conf's coordinator_hostname and port
// (defaults localhost:3079). A missing file is LAVA's "Missing coordinator
// configuration".
func Coordinator(conf string) (string, error) {
	b, err := readSmall(conf)
	if os.IsNotExist(err) {
		return "", fmt.Errorf("Missing coordinator configuration (%s)", conf)
	}
	if err != nil {
		return "", err
	}
	var s struct {
		Port     json.Number `json:"port"`
		Hostname string      `json:"coordinator_hostname"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return "", fmt.Errorf("Invalid JSON settings for lava-multinode: %v", err)
	}
	host, port := "localhost", "3079"
	if s.Hostname != "" {
		host = s.Hostname
	}
	if s.Port != "" {
		n, err := s.Port.Int64()
		if err != nil || n <= 0 || n > 65535 {
			return "", fmt.Errorf("%s: port %s is not a TCP port", conf, s.Port)
		}
		port = s.Port.String()
	}
	return net.JoinHostPort(host, port), nil
}

// hostPort checks a coordinator's host:port (a TCP port, a host name or
// address without spaces or options).
func hostPort(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("%q is not host:port", s)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n <= 0 || n > 65535 {
		return "", fmt.Errorf("%q: port %s is not a TCP port", s, port)
	}
	if host == "" || strings.HasPrefix(host, "-") || strings.ContainsAny(host, " \t\n/") {
		return "", fmt.Errorf("%q: %q is not a host name or address", s, host)
	}
	return net.JoinHostPort(host, strconv.Itoa(n)), nil
}

// DefaultRouteIP returns the source address the kernel picks for the
// default route (no packet is sent).
func DefaultRouteIP() (string, error) {
	c, err := net.Dial("udp4", "192.0.2.1:9")
	if err != nil {
		return "", err
	}
	defer c.Close()
	a, ok := c.LocalAddr().(*net.UDPAddr)
	if !ok || a.IP.IsUnspecified() {
		return "", fmt.Errorf("no address for the default route")
	}
	return a.IP.String(), nil
}

func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxConfigFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > maxConfigFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxConfigFile)
	}
	return b, nil
}
