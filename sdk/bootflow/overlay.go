package bootflow

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

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
		Secrets: call.Job.Secrets, WorkDir: call.Dispatcher.WorkDir, AllowedFileDirs: call.Dispatcher.AllowedFileDirs}
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
	ov, err := overlay.Build(opts)
	if err != nil {
		return sdk.JobErrorf("%v", err)
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
