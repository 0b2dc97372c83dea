package pluginhost

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// Prefix names plugin binaries: lavacore-plugin-<name>, or, versioned as
// Packer does, lavacore-plugin-<name>_v<semver>_x<api>_<os>_<arch>.
const Prefix = "lavacore-plugin-"

// ChecksumSuffix names the checksum file beside a plugin binary.
const ChecksumSuffix = "_SHA256SUM"

// PathEnv lists extra plugin directories, ':'-separated, searched first.
const PathEnv = "LAVACORE_PLUGIN_PATH"

// Dirs returns where plugins are looked for, in order: $LAVACORE_PLUGIN_PATH
// (':'-separated), a plugins/ directory beside the lavacore binary, and
// ~/.local/share/lavacore/plugins. A directory named twice is kept at its
// first place (a plugin does not override itself).
func Dirs() []string {
	var out []string
	seen := map[string]bool{}
	add := func(d string) {
		key := filepath.Clean(d)
		if r, err := filepath.EvalSymlinks(key); err == nil {
			key = r
		}
		if d != "" && !seen[key] {
			seen[key] = true
			out = append(out, d)
		}
	}
	if p := os.Getenv(PathEnv); p != "" {
		for _, d := range filepath.SplitList(p) {
			add(d)
		}
	}
	if exe, err := os.Executable(); err == nil {
		if r, err := filepath.EvalSymlinks(exe); err == nil {
			exe = r
		}
		add(filepath.Join(filepath.Dir(exe), "plugins"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		add(filepath.Join(home, ".local", "share", "lavacore", "plugins"))
	}
	return out
}

// Binary is one plugin binary found on disk.
type Binary struct {
	Name    string // "tftp"
	Version string // from a versioned file name ("1.2.3"), else ""
	Path    string
	// Checksum is the expected sha256 from <path>_SHA256SUM ("" when absent).
	Checksum string
	// ChecksumOK says the file matches it.
	ChecksumOK bool
	// Problem says what is wrong with it ("" when it may run).
	Problem string
}

// ParseName splits a plugin file name into the plugin's name and the version
// in it ("" for an unversioned name). ok is false for a file that is no plugin.
// problem is set for a versioned name built for another API, OS or architecture.
func ParseName(file string) (name, version string, ok bool, problem string) {
	if !strings.HasPrefix(file, Prefix) || strings.HasSuffix(file, ChecksumSuffix) || strings.HasSuffix(file, ManifestSuffix) || strings.HasSuffix(file, ".tmp") {
		return "", "", false, ""
	}
	rest := strings.TrimPrefix(file, Prefix)
	parts := strings.Split(rest, "_")
	if len(parts) == 5 && strings.HasPrefix(parts[1], "v") && strings.HasPrefix(parts[2], "x") {
		if parts[0] == "" {
			return "", "", false, "" // no plugin name
		}
		name, version = parts[0], strings.TrimPrefix(parts[1], "v")
		if _, err := semver(version); err != nil {
			return name, version, true, fmt.Sprintf("%s: %v", file, err)
		}
		switch {
		case parts[2] != "x"+strconv.Itoa(apiVersion()):
			problem = fmt.Sprintf("%s is built for plugin API %s, lavacore speaks x%d", file, parts[2], apiVersion())
		case parts[3] != runtime.GOOS || parts[4] != runtime.GOARCH:
			problem = fmt.Sprintf("%s is built for %s/%s, this is %s/%s", file, parts[3], parts[4], runtime.GOOS, runtime.GOARCH)
		}
		return name, version, true, problem
	}
	if rest == "" {
		return "", "", false, ""
	}
	return rest, "", true, ""
}

// semver parses "1.2.3" (no build metadata) into comparable numbers.
func semver(v string) ([3]int, error) {
	var out [3]int
	f := strings.Split(v, ".")
	if len(f) != 3 {
		return out, fmt.Errorf("version %q is not MAJOR.MINOR.PATCH", v)
	}
	for i, s := range f {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return out, fmt.Errorf("version %q is not MAJOR.MINOR.PATCH", v)
		}
		out[i] = n
	}
	return out, nil
}

func newer(a, b string) bool {
	x, _ := semver(a)
	y, _ := semver(b)
	for i := range x {
		if x[i] != y[i] {
			return x[i] > y[i]
		}
	}
	return false
}

// Discover lists the plugin binaries of dirs, sorted by name, with their
// checksum status. Within a directory the newest version of a name wins (an
// unversioned file counts as oldest); across directories, the first directory.
func Discover(dirs []string) []Binary {
	seen := map[string]bool{}
	var out []Binary
	for _, d := range dirs {
		for _, b := range discoverDir(d) {
			if seen[b.Name] {
				continue
			}
			seen[b.Name] = true
			checkSum(&b)
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// discoverDir lists the plugin binaries of one directory, sorted by name:
// the newest version of each name (an unversioned file counts as oldest).
// Their checksums are not read.
func discoverDir(d string) []Binary {
	ents, err := os.ReadDir(d)
	if err != nil {
		return nil
	}
	best := map[string]Binary{}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		name, version, ok, problem := ParseName(e.Name())
		if !ok {
			continue
		}
		b := Binary{Name: name, Version: version, Path: filepath.Join(d, e.Name()), Problem: problem}
		if old, ok := best[name]; ok && !(old.Version == "" && b.Version != "" || b.Version != "" && newer(b.Version, old.Version)) {
			continue
		}
		best[name] = b
	}
	out := make([]Binary, 0, len(best))
	for _, b := range best {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// checkSum reads the binary's checksum file and compares.
func checkSum(b *Binary) {
	file := filepath.Base(b.Path)
	dir := filepath.Dir(b.Path)
	raw, err := os.ReadFile(b.Path + ChecksumSuffix)
	if err != nil {
		if b.Problem == "" {
			b.Problem = fmt.Sprintf("no checksum file %s%s (run 'lavacore plugins checksum %s')", file, ChecksumSuffix, dir)
		}
		return
	}
	if f := strings.Fields(string(raw)); len(f) > 0 {
		b.Checksum = f[0]
	}
	got, err := FileSum(b.Path)
	if err != nil {
		if b.Problem == "" {
			b.Problem = err.Error()
		}
		return
	}
	if got != b.Checksum {
		if b.Problem == "" {
			b.Problem = fmt.Sprintf("checksum mismatch: %s%s says %s, the file is %s (rebuild it, then run 'lavacore plugins checksum %s')",
				file, ChecksumSuffix, b.Checksum, got, dir)
		}
		return
	}
	b.ChecksumOK = true
}

// FileSum is the hex sha256 of a file.
func FileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// WriteChecksums writes <binary>_SHA256SUM ("<sha256>  <file>", as
// sha256sum prints it) beside every plugin binary of dir and returns their names.
func WriteChecksums(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, e := range ents {
		n := e.Name()
		if _, _, ok, _ := ParseName(n); !ok || e.IsDir() {
			continue
		}
		p := filepath.Join(dir, n)
		sum, err := FileSum(p)
		if err != nil {
			return done, err
		}
		if err := os.WriteFile(p+ChecksumSuffix, []byte(sum+"  "+n+"\n"), 0o644); err != nil {
			return done, err
		}
		done = append(done, n)
	}
	return done, nil
}
