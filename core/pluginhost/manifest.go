package pluginhost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/lavacore/lavacore/sdk"
)

// ManifestSuffix names the manifest file beside a plugin binary: what
// `<binary> describe` printed when the plugin was installed, with the
// binary's sha256. lavacore validates jobs and lab files against it without
// starting the plugin.
const ManifestSuffix = "_MANIFEST.json"

// describeTimeout bounds `<binary> describe`.
const describeTimeout = 10 * time.Second

// maxManifest bounds a manifest file (a plugin's methods and their specs).
const maxManifest = 4 << 20

// Recorded is the content of a manifest file.
type Recorded struct {
	// SHA256 is the hex sha256 of the binary that printed Manifest.
	SHA256   string       `json:"sha256"`
	Manifest sdk.Manifest `json:"manifest"`
}

// Describe runs `<path> describe` (no handshake, an empty environment) and
// parses the manifest it prints.
func Describe(ctx context.Context, path string) (sdk.Manifest, error) {
	ctx, cancel := context.WithTimeout(ctx, describeTimeout)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "describe")
	cmd.Env = []string{}
	cmd.Stdout, cmd.Stderr = &out, &errb
	var m sdk.Manifest
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("no manifest within %s", describeTimeout)
		}
		return m, fmt.Errorf("%s describe: %v %s", path, err, strings.TrimSpace(errb.String()))
	}
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		return m, fmt.Errorf("%s describe: not a manifest: %v", path, err)
	}
	return m, nil
}

// Record writes the checksum file and the manifest file of the plugin
// binary at path (running `<path> describe`) and returns the manifest.
func Record(ctx context.Context, path string) (sdk.Manifest, error) {
	name, version, ok, problem := ParseName(filepath.Base(path))
	if !ok {
		return sdk.Manifest{}, fmt.Errorf("%s: not a plugin file name (%s<name>)", path, Prefix)
	}
	if problem != "" {
		return sdk.Manifest{}, errors.New(problem)
	}
	sum, err := FileSum(path)
	if err != nil {
		return sdk.Manifest{}, err
	}
	m, err := Describe(ctx, path)
	if err != nil {
		return m, err
	}
	if err := manifestProblem(m, name, version); err != "" {
		return m, fmt.Errorf("%s: %s", path, err)
	}
	raw, err := json.MarshalIndent(Recorded{SHA256: sum, Manifest: m}, "", "  ")
	if err != nil {
		return m, err
	}
	if err := writeFile(path+ManifestSuffix, append(raw, '\n')); err != nil {
		return m, err
	}
	if err := writeFile(path+ChecksumSuffix, []byte(sum+"  "+filepath.Base(path)+"\n")); err != nil {
		return m, err
	}
	return m, nil
}

// RecordDir records (Record) every plugin binary of dir and returns their file names.
func RecordDir(ctx context.Context, dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var done []string
	var errs []error
	for _, e := range ents {
		if _, _, ok, _ := ParseName(e.Name()); !ok || e.IsDir() {
			continue
		}
		if _, err := Record(ctx, filepath.Join(dir, e.Name())); err != nil {
			errs = append(errs, err)
			continue
		}
		done = append(done, e.Name())
	}
	return done, errors.Join(errs...)
}

// Install copies the plugin binary file into dir (created if needed) under
// its plugin file name and records it. A file not named lavacore-plugin-…
// is named after the plugin's own name (its manifest).
func Install(ctx context.Context, file, dir string) (string, sdk.Manifest, error) {
	base := filepath.Base(file)
	if _, _, ok, _ := ParseName(base); !ok {
		m, err := Describe(ctx, file)
		if err != nil {
			return "", m, err
		}
		if m.Name == "" || strings.ContainsAny(m.Name, "/_") {
			return "", m, fmt.Errorf("%s: the plugin calls itself %q, which is no plugin name", file, m.Name)
		}
		base = Prefix + m.Name
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", sdk.Manifest{}, err
	}
	src, err := os.Open(file)
	if err != nil {
		return "", sdk.Manifest{}, err
	}
	defer src.Close()
	dst := filepath.Join(dir, base)
	tmp := dst + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return "", sdk.Manifest{}, err
	}
	_, err = io.Copy(f, src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		return "", sdk.Manifest{}, fmt.Errorf("install %s: %w", file, err)
	}
	m, err := Record(ctx, dst)
	return dst, m, err
}

// writeFile replaces path atomically.
func writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// ReadManifest reads the manifest recorded beside b. It is stale when it was
// recorded for another binary than the one the checksum file names.
func ReadManifest(b Binary) (sdk.Manifest, error) {
	dir := filepath.Dir(b.Path)
	f, err := os.Open(b.Path + ManifestSuffix)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return sdk.Manifest{}, fmt.Errorf("no manifest %s%s (run 'lavacore plugins checksum %s')", filepath.Base(b.Path), ManifestSuffix, dir)
		}
		return sdk.Manifest{}, err
	}
	defer f.Close()
	var r Recorded
	dec := json.NewDecoder(io.LimitReader(f, maxManifest))
	if err := dec.Decode(&r); err != nil {
		return sdk.Manifest{}, fmt.Errorf("%s%s: %v", b.Path, ManifestSuffix, err)
	}
	if b.Checksum != "" && r.SHA256 != b.Checksum {
		return r.Manifest, fmt.Errorf("stale manifest: %s%s was recorded for another binary than %s%s names (run 'lavacore plugins checksum %s')",
			filepath.Base(b.Path), ManifestSuffix, filepath.Base(b.Path), ChecksumSuffix, dir)
	}
	if p := manifestProblem(r.Manifest, b.Name, b.Version); p != "" {
		return r.Manifest, errors.New(p)
	}
	return r.Manifest, nil
}

// manifestProblem says what makes a plugin's manifest unusable ("" when nothing).
func manifestProblem(m sdk.Manifest, name, version string) string {
	switch {
	case m.APIVersion != apiVersion():
		return fmt.Sprintf("the plugin speaks plugin API %d, lavacore speaks %d", m.APIVersion, apiVersion())
	case m.Name != name:
		return fmt.Sprintf("the file is named for plugin %q, the plugin calls itself %q", name, m.Name)
	case version != "" && m.Version != version:
		return fmt.Sprintf("the file name says version %s, the plugin says %s", version, m.Version)
	}
	return ""
}
