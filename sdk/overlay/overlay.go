// Package overlay builds the LAVA test shell overlay: /lava-<job_id>/ with the
// helper scripts (written by this project, embedded), the test definitions of
// every test action (inline, git, url) with their install.sh and run.sh, the
// environment, and, for MultiNode, the lava-send/-wait/-sync family. The tree
// is packed as overlay-<level>.tar.gz whose members unpack at / on the device.
package overlay

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lavacore/lavacore/sdk/archive"
	"github.com/lavacore/lavacore/sdk/download"
	"github.com/lavacore/lavacore/sdk/safejoin"
)

//go:embed scripts
var scripts embed.FS

// Definition is one test definition of a test action.
type Definition struct {
	From        string         // inline, git, url
	Name        string         // the definition's name
	Path        string         // path of the YAML inside the repository
	Repository  any            // a URL (git, url) or the test definition mapping (inline)
	Branch      string         // git
	Revision    string         // git
	Params      map[string]any // job parameters/params
	Level       string         // level of its repository action (for the uuid)
	SkipInstall []string
	// StripComponents is applied when a url definition is a tarball.
	StripComponents int
}

// MultiNode is what the MultiNode helpers need.
type MultiNode struct {
	Role  string
	Group map[string]string // job id → role (device jobs, as LAVA's roles)
}

// Options say what goes into the overlay.
type Options struct {
	JobID      string
	ResultsDir string // "/lava-<job_id>" by default
	Shell      string // "/bin/sh" by default
	// Stages holds the definitions of each test action, in job order.
	Stages      [][]Definition
	Environment map[string]string
	Secrets     map[string]string
	// DUTEnvironment is the worker's DUT environment (lava-run --env-dut):
	// appended to the secrets file after Secrets, one NAME=VALUE line each,
	// the value shell-quoted; a name that is not a shell variable name or a
	// value with a line break or NUL fails the build (CheckEnv).
	DUTEnvironment map[string]string
	MultiNode      *MultiNode
	// AuthorizedKey, when set, becomes root/.ssh/authorized_keys (authorize: ssh).
	AuthorizedKey string
	// WorkDir holds clones and downloads (a temporary directory by default).
	WorkDir string
	// AllowedFileDirs are the only directories a url test definition's file://
	// URL may read from (the lab's allowed_file_dirs); none: refused.
	AllowedFileDirs []string
}

// Overlay is a built overlay tree.
type Overlay struct {
	Root    string // directory whose content maps to / on the device
	Results string // the results directory inside Root (Root + ResultsDir)
	opts    Options
	// Commits records the git commit of each git definition, by name.
	Commits map[string]string
	// Testdefs holds each definition's test definition, by "<idx>_<name>".
	Testdefs map[string]map[string]any
	// ctx bounds the git and url fetches (the deploy action's timeout).
	ctx context.Context
}

// JobID is the job id the overlay was built for.
func (ov *Overlay) JobID() string { return ov.opts.JobID }

// Build builds the overlay tree in a new directory under opts.WorkDir, with
// no bound on its fetches; BuildContext is the one to use within an action.
func Build(o Options) (*Overlay, error) { return BuildContext(context.Background(), o) }

// BuildContext builds the overlay tree in a new directory under
// opts.WorkDir; ctx bounds every fetch (git clone, url download): when it
// ends, the fetch is stopped and the error says which one and why.
func BuildContext(ctx context.Context, o Options) (*Overlay, error) {
	if o.JobID == "" {
		return nil, fmt.Errorf("overlay: no job id")
	}
	if o.ResultsDir == "" {
		o.ResultsDir = "/lava-" + o.JobID
	}
	if o.Shell == "" {
		o.Shell = "/bin/sh"
	}
	if o.WorkDir == "" {
		d, err := os.MkdirTemp("", "lavacore-overlay-")
		if err != nil {
			return nil, fmt.Errorf("overlay: %w", err)
		}
		o.WorkDir = d
	}
	root, err := os.MkdirTemp(o.WorkDir, "overlay-")
	if err != nil {
		return nil, fmt.Errorf("overlay: %w", err)
	}
	// lava_test_results_dir is an absolute path on the device; inside the
	// tree it must stay below the tree's root.
	results, err := safejoin.DeviceDir(root, o.ResultsDir)
	if err != nil {
		return nil, fmt.Errorf("overlay: lava_test_results_dir must be an absolute path without \"..\": %w", err)
	}
	ov := &Overlay{Root: root, Results: results, opts: o, Commits: map[string]string{},
		Testdefs: map[string]map[string]any{}, ctx: ctx}
	for _, d := range []string{"bin", "tests", "results"} {
		if err := os.MkdirAll(filepath.Join(ov.Results, d), 0o755); err != nil {
			return nil, fmt.Errorf("overlay: %w", err)
		}
	}
	if err := ov.writeScripts(); err != nil {
		return nil, err
	}
	if err := ov.writeEnvironment(); err != nil {
		return nil, err
	}
	idx := 0
	for stage, defs := range o.Stages {
		sdir := filepath.Join(ov.Results, strconv.Itoa(stage))
		if err := os.MkdirAll(filepath.Join(sdir, "tests"), 0o755); err != nil {
			return nil, fmt.Errorf("overlay: %w", err)
		}
		var conf strings.Builder
		for _, d := range defs {
			name := fmt.Sprintf("%d_%s", idx, d.Name)
			idx++
			if err := ov.writeDefinition(stage, name, d); err != nil {
				return nil, fmt.Errorf("overlay: definition %s: %w", d.Name, err)
			}
			conf.WriteString(path.Join(o.ResultsDir, fmt.Sprint(stage), "tests", name) + "\n")
		}
		if err := os.WriteFile(filepath.Join(sdir, "lava-test-runner.conf"), []byte(conf.String()), 0o644); err != nil {
			return nil, fmt.Errorf("overlay: %w", err)
		}
	}
	if o.AuthorizedKey != "" {
		dir := filepath.Join(root, "root", ".ssh")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("overlay: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), []byte(strings.TrimSpace(o.AuthorizedKey)+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("overlay: %w", err)
		}
	}
	return ov, nil
}

func (ov *Overlay) script(name string, body []byte, vars string) error {
	var b strings.Builder
	b.WriteString("#!" + ov.opts.Shell + "\n\n")
	if vars != "" {
		b.WriteString(vars)
	}
	b.Write(body)
	return os.WriteFile(filepath.Join(ov.Results, "bin", name), []byte(b.String()), 0o755)
}

func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'" }

func (ov *Overlay) writeScripts() error {
	err := fs.WalkDir(scripts, "scripts/bin", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := scripts.ReadFile(p)
		if err != nil {
			return err
		}
		return ov.script(path.Base(p), body, "")
	})
	if err != nil {
		return fmt.Errorf("overlay scripts: %w", err)
	}
	mn := ov.opts.MultiNode
	if mn == nil {
		return nil
	}
	common := fmt.Sprintf("LAVA_TEST_BIN=%s\nLAVA_MULTI_NODE_CACHE=${LAVA_MULTI_NODE_CACHE:-'/tmp/lava_multi_node_cache.txt'}\nLAVA_MULTI_NODE_DEBUG='yes'\n\n",
		shq(path.Join(ov.opts.ResultsDir, "bin")))
	ids := make([]string, 0, len(mn.Group))
	for id := range mn.Group {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	// One "<id>\t<role>\n" line each, single-quoted: a role or id is data
	// to the script, never shell syntax or a printf format.
	var lines strings.Builder
	for _, id := range ids {
		lines.WriteString(id + "\t" + mn.Group[id] + "\n")
	}
	group := "LAVA_GROUP=" + shq(lines.String()) + "\n\n"
	return fs.WalkDir(scripts, "scripts/multi_node", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := scripts.ReadFile(p)
		if err != nil {
			return err
		}
		name := path.Base(p)
		vars := common
		switch name {
		case "lava-group":
			vars = group
		case "lava-role":
			vars = "TARGET_ROLE=" + shq(mn.Role) + "\n\n"
		case "lava-self":
			vars = "LAVA_HOSTNAME=" + shq(ov.opts.JobID) + "\n\n"
		}
		return ov.script(name, body, vars)
	})
}

func (ov *Overlay) writeEnvironment() error {
	env := map[string]string{"LAVA_JOB_ID": ov.opts.JobID}
	for k, v := range ov.opts.Environment {
		env[k] = v
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "export %s=%s\n", k, shq(env[k]))
	}
	if err := os.WriteFile(filepath.Join(ov.Results, "environment"), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("overlay: %w", err)
	}
	return ov.writeSecrets()
}

// writeDefinition fetches one definition into <stage>/tests/<idx>_<name>/ and
// writes its testdef.yaml, uuid, install.sh and run.sh.
func (ov *Overlay) writeDefinition(stage int, name string, d Definition) error {
	dir, err := safejoin.Join(filepath.Join(ov.Results, strconv.Itoa(stage), "tests"), name)
	if err != nil {
		return fmt.Errorf("name escapes the tests directory: %w", err)
	}
	if err := safejoin.Rel(d.Path); err != nil {
		return fmt.Errorf("path must be a relative path inside the repository, without \"..\": %q: %w", d.Path, err)
	}
	var testdef map[string]any
	switch d.From {
	case "inline":
		m, ok := d.Repository.(map[string]any)
		if !ok {
			return fmt.Errorf("inline repository is not a mapping")
		}
		b, err := yaml.Marshal(m)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := writeIn(dir, d.Path, b); err != nil {
			return err
		}
		testdef = m
	case "git":
		repo, _ := d.Repository.(string)
		if err := ov.gitFetch(dir, repo, d); err != nil {
			return err
		}
		if err := readTestdef(dir, d.Path, repo, &testdef); err != nil {
			return err
		}
	case "url":
		repo, _ := d.Repository.(string)
		if err := fetchURL(ov.ctx, repo, dir, d.StripComponents, ov.opts.AllowedFileDirs); err != nil {
			return fmt.Errorf("url %s: %w", repo, err)
		}
		if err := readTestdef(dir, d.Path, repo, &testdef); err != nil {
			return err
		}
	default:
		return fmt.Errorf("No testdef_repo handler is available for the given repository type '%s'.", d.From)
	}
	ov.Testdefs[name] = testdef
	b, _ := yaml.Marshal(testdef)
	if err := os.WriteFile(filepath.Join(dir, "testdef.yaml"), b, 0o644); err != nil {
		return err
	}
	uuid := ov.opts.JobID + "_" + d.Level
	if err := os.WriteFile(filepath.Join(dir, "uuid"), []byte(uuid), 0o644); err != nil {
		return err
	}
	meta, _ := testdef["metadata"].(map[string]any)
	mb, _ := yaml.Marshal(meta)
	if err := os.WriteFile(filepath.Join(dir, "testdef_metadata"), mb, 0o644); err != nil {
		return err
	}
	testdir := path.Join(ov.opts.ResultsDir, fmt.Sprint(stage), "tests", name)
	header := paramsHeader(testdef, d.Params)
	if install := InstallScript(testdef, testdir, header, d.SkipInstall); install != "" {
		if err := os.WriteFile(filepath.Join(dir, "install.sh"), []byte(install), 0o755); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, "run.sh"), []byte(RunScript(testdef, name, testdir, header)), 0o755)
}

// paramsHeader is the parameter block that starts install.sh and run.sh.
func paramsHeader(testdef map[string]any, jobParams map[string]any) string {
	var b strings.Builder
	b.WriteString("###default parameters from test definition###\n")
	for _, k := range []string{"params", "parameters"} {
		writeParams(&b, testdef[k])
	}
	b.WriteString("######\n")
	b.WriteString("###test parameters from job submission###\n")
	writeParams(&b, jobParams)
	b.WriteString("######\n")
	return b.String()
}

func writeParams(b *strings.Builder, v any) {
	m, _ := v.(map[string]any)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(b, "%s=%s\n", k, shq(fmt.Sprint(m[k])))
	}
}

func strs(v any) []string {
	switch x := v.(type) {
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	case string:
		return []string{x}
	}
	return nil
}

func skipped(skip []string, what string) bool {
	for _, s := range skip {
		if s == what || s == "all" {
			return true
		}
	}
	return false
}

// InstallScript returns install.sh for a test definition ("" when it installs nothing).
func InstallScript(testdef map[string]any, testdir, header string, skip []string) string {
	inst, _ := testdef["install"].(map[string]any)
	if inst == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(header)
	if !skipped(skip, "keys") {
		for _, k := range strs(inst["keys"]) {
			fmt.Fprintf(&b, "lava-add-keys %s\n", shq(k))
		}
	}
	if !skipped(skip, "sources") {
		for _, s := range strs(inst["sources"]) {
			fmt.Fprintf(&b, "lava-add-sources %s\n", shq(s))
		}
	}
	if !skipped(skip, "deps") {
		var deps []string
		for k, v := range inst {
			if k == "deps" || strings.HasPrefix(k, "deps-") {
				deps = append(deps, strs(v)...)
			}
		}
		if len(deps) > 0 {
			b.WriteString("lava-install-packages " + strings.Join(deps, " ") + " \n")
		}
	}
	fmt.Fprintf(&b, "cd %s\npwd\n", testdir)
	if !skipped(skip, "steps") {
		for _, s := range strs(inst["steps"]) {
			b.WriteString(s + "\n")
		}
	}
	return b.String()
}

// positional finds $1, $2 … in a step; LAVA escapes them in --shell/--cmd
// steps so that lava-test-case, not run.sh, expands them.
var positional = regexp.MustCompile(`\$(\d+)\b`)

// RunScript returns run.sh for a test definition, in LAVA's shape.
func RunScript(testdef map[string]any, name, testdir, header string) string {
	var b strings.Builder
	b.WriteString(header)
	b.WriteString("set -e\nset -x\n")
	fmt.Fprintf(&b, "export TESTRUN_ID=%s\n", name)
	fmt.Fprintf(&b, "cd %s\n", testdir)
	b.WriteString("UUID=\"$(cat uuid)\"\nset +x\n")
	b.WriteString("echo \"<LAVA_SIGNAL_STARTRUN $TESTRUN_ID $UUID>\"\nset -x\n")
	run, _ := testdef["run"].(map[string]any)
	for _, s := range strs(run["steps"]) {
		if strings.Contains(s, "--cmd") || strings.Contains(s, "--shell") {
			s = positional.ReplaceAllString(s, `\$$1`)
		}
		b.WriteString(s + "\n")
	}
	b.WriteString("set +x\necho \"<LAVA_SIGNAL_ENDRUN $TESTRUN_ID $UUID>\"\n")
	return b.String()
}

// CompressTo writes the overlay as a gzipped tarball whose members are paths
// relative to / (lava-<id>/…, root/.ssh/… when authorized), in a stable order.
// The file is readable by its owner only: it holds the job's secrets.
func (ov *Overlay) CompressTo(file string) error {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("overlay: %w", err)
	}
	if err := f.Chmod(0o600); err != nil { // a file that was already there keeps its mode
		f.Close()
		return fmt.Errorf("overlay: %w", err)
	}
	if err := ov.WriteTarGz(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteTarGz writes the overlay tarball to w.
func (ov *Overlay) WriteTarGz(w io.Writer) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	err := filepath.WalkDir(ov.Root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(ov.Root, p)
		if rel == "." {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if d.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "root", "root"
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if d.Type().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(tw, f)
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("overlay tarball: %w", err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("overlay tarball: %w", err)
	}
	return gz.Close()
}

// fetchURL downloads a url test definition (http(s):// or file:// from an
// allowed directory, see download.OpenFileURL) and
// unpacks it into dir: tarballs (compressed or not) with package archive
// (sdk/archive: nothing lands outside dir), any other file as it is, under
// its own name.
func fetchURL(ctx context.Context, url, dir string, strip int, allowed []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp("", "lavacore-testdef-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	var src io.ReadCloser
	if strings.HasPrefix(url, "file://") {
		src, err = download.OpenFileURL(strings.TrimPrefix(url, "file://"), allowed)
	} else {
		var req *http.Request
		var resp *http.Response
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err == nil {
			resp, err = http.DefaultClient.Do(req)
		}
		if err == nil && resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			err = fmt.Errorf("Resource unavailable at '%s' (%d)", url, resp.StatusCode)
		}
		if err == nil {
			src = resp.Body
		}
	}
	if err != nil {
		return err
	}
	_, err = io.Copy(tmp, src)
	src.Close()
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("download stopped: %w (the deploy action's timeout)", ctx.Err())
		}
		return err
	}
	tmp.Close()
	_, err = archive.ExtractFile(ctx, tmp.Name(), dir, archive.Options{Name: path.Base(url),
		StripComponents: strip, MaxBytes: testdefMaxBytes})
	if errors.Is(err, archive.ErrNotArchive) {
		// not a tarball: keep the file under its name
		b, rerr := os.ReadFile(tmp.Name())
		if rerr != nil {
			return rerr
		}
		return os.WriteFile(filepath.Join(dir, path.Base(url)), b, 0o644)
	}
	return err
}

// testdefMaxBytes is the budget of a url test definition tarball (see package
// archive): test definition repositories are a few megabytes.
const testdefMaxBytes int64 = 1 << 30
