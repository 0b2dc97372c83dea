package bootflow

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/actionspec"
	"github.com/lavacore/lavacore/sdk/lavaversion"
	"github.com/lavacore/lavacore/sdk/overlay"
)

// KeyPrompts holds the boot's shell prompts (a JSON list) for the test shell.
var KeyPrompts = [3]string{"shared", "shared", "prompts"}

// SetPrompts records the shell prompts of the namespace.
func SetPrompts(h sdk.Host, prompts []string) error {
	b, err := json.Marshal(prompts)
	if err != nil {
		return &sdk.Error{Type: sdk.Bug, Msg: fmt.Sprintf("prompts: %v", err)}
	}
	return h.Set(KeyPrompts[0], KeyPrompts[1], KeyPrompts[2], string(b))
}

// Prompts returns the shell prompts of the namespace (none recorded: nil).
func Prompts(h sdk.Host) ([]string, error) {
	v, ok, err := h.Get(KeyPrompts[0], KeyPrompts[1], KeyPrompts[2])
	if err != nil || !ok {
		return nil, err
	}
	var p []string
	_ = json.Unmarshal([]byte(v), &p)
	return p, nil
}

// OverlayActions is the code of lava-overlay's tree (actionspec.LavaOverlay),
// for a deploy method's action table: compress-overlay, its last child,
// builds and packs the whole overlay; the others record nothing of their own.
// describe is the deploy method's Describe (compress-overlay finds the
// levels of the repository actions in it).
func OverlayActions(describe func(sdk.Request) (sdk.ActionSpec, error)) sdk.Actions {
	inCompress := sdk.Noop("compress-overlay builds the whole overlay")
	return sdk.Actions{
		"lava-overlay":           sdk.Group{},
		"test-definition":        sdk.Group{},
		"ssh-authorize":          inCompress,
		"lava-vland-overlay":     sdk.Noop("a placeholder for LAVA's dropped VLANd step"),
		"lava-multinode-overlay": inCompress,
		"git-repo-action":        inCompress,
		"inline-repo-action":     inCompress,
		"url-repo-action":        inCompress,
		"test-overlay":           inCompress,
		"test-install-overlay":   inCompress,
		"test-runscript-overlay": inCompress,
		"compress-overlay":       CompressOverlay{Describe: describe},
	}
}

// ResultsDir is the device's lava_test_results_dir for the job.
func ResultsDir(req sdk.Request) string {
	dir := "/lava-%s"
	if v, ok := req.Job.Context["lava_test_results_dir"].(string); ok && v != "" {
		dir = v
	} else if posix, ok := req.Device.Constants["posix"].(map[string]any); ok {
		if v := Str(posix, "lava_test_results_dir"); v != "" {
			dir = v
		}
	}
	if strings.Contains(dir, "%s") {
		dir = fmt.Sprintf(dir, req.Job.ID)
	}
	return dir
}

// repoLevels returns the level of each repository action under lava-overlay,
// in order (the uuid of each definition is <job_id>_<level>).
func repoLevels(top sdk.ActionSpec, topLevel string) []string {
	var out []string
	var walk func(s sdk.ActionSpec, level string)
	walk = func(s sdk.ActionSpec, level string) {
		switch s.Name {
		case "git-repo-action", "inline-repo-action", "url-repo-action":
			out = append(out, level)
		}
		for i, c := range s.Children {
			walk(c, fmt.Sprintf("%s.%d", level, i+1))
		}
	}
	walk(top, topLevel)
	return out
}

// overlayResults records the results LAVA's overlay actions give for each
// definition (their work is done here, in compress-overlay): the repository
// action's (git: commit, repository, path), test-overlay's, test-install-
// overlay's and test-runscript-overlay's, at their levels (the three
// actions that follow the repository action).
func overlayResults(host sdk.Host, stages [][]overlay.Definition, ov *overlay.Overlay, resultsDir string, took time.Duration) error {
	idx := 0
	for stage, defs := range stages {
		for _, d := range defs {
			name := fmt.Sprintf("%d_%s", idx, d.Name)
			idx++
			parts := strings.Split(d.Level, ".")
			last, err := strconv.Atoi(parts[len(parts)-1])
			if d.Level == "" || err != nil {
				continue
			}
			level := func(n int) string {
				return strings.Join(append(append([]string{}, parts[:len(parts)-1]...), strconv.Itoa(last+n)), ".")
			}
			id := ovUUID(ov, d)
			about := map[string]any{"uuid": id, "name": d.Name, "path": d.Path, "from": d.From}
			if d.From != "inline" {
				about["repository"] = d.Repository
			}
			var rs []sdk.Result
			if d.From == "git" {
				rs = append(rs, sdk.Result{Case: "git-repo-action", Level: d.Level, Duration: fmt.Sprintf("%.2f", took.Seconds()),
					Extra: map[string]any{"commit": ov.Commits[d.Name], "repository": d.Repository, "path": d.Path}})
			}
			install := map[string]any{"uuid": id}
			if _, ok := ov.Testdefs[name]["install"]; !ok {
				install = map[string]any{"skipped test-install-overlay": id}
			}
			runscript := map[string]any{"filename": path.Join(resultsDir, strconv.Itoa(stage), "tests", name, "run.sh")}
			for k, v := range about {
				runscript[k] = v
			}
			rs = append(rs,
				sdk.Result{Case: "test-overlay", Level: level(1), Extra: about},
				sdk.Result{Case: "test-install-overlay", Level: level(2), Extra: install},
				sdk.Result{Case: "test-runscript-overlay", Level: level(3), Extra: runscript})
			for _, r := range rs {
				r.Definition, r.Result = "lava", "pass"
				if r.Duration == "" {
					r.Duration = "0.00"
				}
				if err := host.Result(r); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// ovUUID is the uuid of a definition: <job id>_<level of its repository action>.
func ovUUID(ov *overlay.Overlay, d overlay.Definition) string { return ov.JobID() + "_" + d.Level }

// CompressOverlay is compress-overlay: it builds the whole overlay of the
// namespace's test definitions and packs it (KeyOverlay).
type CompressOverlay struct {
	// Describe is the deploy method's Describe.
	Describe func(sdk.Request) (sdk.ActionSpec, error)
}

// Run builds and packs the overlay.
func (a CompressOverlay) Run(ctx context.Context, call sdk.Call, host sdk.Host) error {
	top, err := a.Describe(call.Request)
	if err == nil {
		top, err = lavaversion.ForRequest(call.Request, top)
	}
	if err != nil {
		return err
	}
	topLevel := strings.Split(call.Level, ".")[0]
	levels := repoLevels(top, topLevel)
	var stages [][]overlay.Definition
	i := 0
	for _, b := range actionspec.TestBlocks(call.Request) {
		if b.Method != "definitions" {
			continue
		}
		var defs []overlay.Definition
		list, _ := b.Params["definitions"].([]any)
		for _, d := range list {
			m, _ := d.(map[string]any)
			def := overlay.Definition{From: Str(m, "from"), Name: Str(m, "name"), Path: Str(m, "path"),
				Repository: m["repository"], Branch: Str(m, "branch"), Revision: Str(m, "revision")}
			if p, ok := m["parameters"].(map[string]any); ok {
				def.Params = p
			} else if p, ok := m["params"].(map[string]any); ok {
				def.Params = p
			}
			def.SkipInstall = StringList(m["skip_install"])
			if n, ok := m["strip-components"].(int); ok {
				def.StripComponents = n
			}
			if i < len(levels) {
				def.Level = levels[i]
			}
			i++
			defs = append(defs, def)
		}
		stages = append(stages, defs)
	}
	results := ResultsDir(call.Request)
	opts := overlay.Options{JobID: call.Job.ID, ResultsDir: results, Stages: stages,
		Environment: map[string]string{"LAVA_DISPATCHER_IP": call.Dispatcher.IP, "LAVA_DEVICE_TYPE": call.Device.Type,
			"LAVA_DEVICE_HOSTNAME": call.Device.Name},
		Secrets: call.Job.Secrets, DUTEnvironment: call.Job.DUTEnvironment, WorkDir: call.Dispatcher.WorkDir, AllowedFileDirs: call.Dispatcher.AllowedFileDirs}
	for k, v := range call.Job.Environment {
		opts.Environment[k] = v
	}
	if posix, ok := call.Device.Constants["posix"].(map[string]any); ok {
		opts.Shell = Str(posix, "lava_test_sh_cmd")
	}
	if call.Job.Role != "" {
		mn := &overlay.MultiNode{Role: call.Job.Role, Group: map[string]string{}}
		if p, ok := call.Job.Protocols["lava-multinode"].(map[string]any); ok {
			if roles, ok := p["roles"].(map[string]any); ok {
				for id, r := range roles {
					mn.Group[id] = fmt.Sprint(r)
				}
			}
		}
		opts.MultiNode = mn
	}
	if v, _ := call.Block.Params["authorize"].(string); v == "ssh" {
		id, err := IdentityOf(call.Device)
		if err != nil {
			return err
		}
		opts.AuthorizedKey = id.PublicKey
	}
	if err := os.MkdirAll(opts.WorkDir, 0o755); err != nil {
		return sdk.InfraErrorf("compress-overlay: %v", err)
	}
	began := time.Now()
	ov, err := overlay.BuildContext(ctx, opts)
	if err != nil {
		return sdk.JobErrorf("%v", err)
	}
	if err := logDUTEnvironment(host, ov, call.Job.DUTEnvironment); err != nil {
		return err
	}
	if err := overlayResults(host, stages, ov, results, time.Since(began)); err != nil {
		return err
	}
	out := filepath.Join(opts.WorkDir, "overlay-"+call.Level+".tar.gz")
	if err := ov.CompressTo(out); err != nil {
		return sdk.InfraErrorf("compress-overlay: %v", err)
	}
	if err := SetString(host, KeyOverlay, out); err != nil {
		return err
	}
	if err := SetString(host, KeyResultsDir, results); err != nil {
		return err
	}
	for name, commit := range ov.Commits {
		if err := SetString(host, [3]string{"test", name, "commit-id"}, commit); err != nil {
			return err
		}
	}
	for id, td := range ov.Testdefs {
		ps := overlay.ParseSpec{}
		if parse, ok := td["parse"].(map[string]any); ok {
			ps.Pattern = Str(parse, "pattern")
			if f, ok := parse["fixupdict"].(map[string]any); ok {
				ps.Fixup = map[string]string{}
				for k, v := range f {
					ps.Fixup[k] = fmt.Sprint(v)
				}
			}
		}
		ps.Expected = StringList(td["expected"])
		b, err := json.Marshal(ps)
		if err != nil {
			return &sdk.Error{Type: sdk.Bug, Msg: fmt.Sprintf("compress-overlay: %s parse: %v", id, err)}
		}
		if err := host.Set("test", id, "parse", string(b)); err != nil {
			return err
		}
	}
	return host.Log(sdk.LevelInfo, "overlay: "+out)
}

// logDUTEnvironment logs, as LAVA's overlay action does, that the DUT
// environment went into the secrets file, and the name of each variable
// (in the file's order; never the values).
func logDUTEnvironment(host sdk.Host, ov *overlay.Overlay, env map[string]string) error {
	if len(env) == 0 {
		return nil
	}
	if err := host.Log(sdk.LevelDebug, fmt.Sprintf("Creating %s/secrets with env", ov.Results)); err != nil {
		return err
	}
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if err := host.Log(sdk.LevelDebug, "Handling "+k); err != nil {
			return err
		}
	}
	return nil
}
