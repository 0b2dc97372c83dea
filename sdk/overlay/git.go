package overlay

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// MaxTestdefSize bounds a test definition file read from a git or url repository.
const MaxTestdefSize = 4 << 20

// OptionLike reports why a job value handed to an external command would be
// read as an option (it starts with "-"), or "" when it would not.
func OptionLike(field, v string) string {
	if strings.HasPrefix(v, "-") {
		return fmt.Sprintf("%s must not start with \"-\": %q", field, v)
	}
	return ""
}

// gitFetch clones repo into dir and checks out d's branch or revision. No
// job value reaches git as an option: the branch is given as --branch=<b>,
// the repository after "--", and the revision is first resolved to a commit
// with --end-of-options, so that only a hexadecimal id reaches checkout.
func (ov *Overlay) gitFetch(dir, repo string, d Definition) error {
	for _, c := range [][2]string{{"branch", d.Branch}, {"revision", d.Revision}, {"repository", repo}} {
		if msg := OptionLike(c[0], c[1]); msg != "" {
			return fmt.Errorf("%s", msg)
		}
	}
	clone := func(shallow bool) ([]byte, error) {
		args := []string{"clone", "-q"}
		if shallow {
			args = append(args, "--depth=1")
		}
		if d.Branch != "" {
			args = append(args, "--branch="+d.Branch)
		}
		_ = os.RemoveAll(dir)
		return git(ov.ctx, "", append(args, "--", repo, dir)...)
	}
	out, err := clone(d.Revision == "")
	if err != nil && d.Revision == "" && strings.Contains(string(out), "shallow") {
		out, err = clone(false) // dumb HTTP servers cannot serve shallow clones
	}
	if err != nil && ov.ctx.Err() != nil {
		return fmt.Errorf("git clone %s: stopped: %w (the deploy action's timeout)", repo, ov.ctx.Err())
	}
	if err != nil {
		return fmt.Errorf("git clone %s: %v: %s", repo, err, strings.TrimSpace(string(out)))
	}
	if d.Revision != "" {
		out, err := git(ov.ctx, dir, "rev-parse", "-q", "--verify", "--end-of-options", d.Revision+"^{commit}")
		if err != nil {
			return fmt.Errorf("git checkout %s: no such commit in %s", d.Revision, repo)
		}
		commit := strings.TrimSpace(string(out))
		if out, err := git(ov.ctx, dir, "checkout", "-q", "--detach", commit); err != nil {
			return fmt.Errorf("git checkout %s: %v: %s", d.Revision, err, strings.TrimSpace(string(out)))
		}
	}
	if out, err := git(ov.ctx, dir, "rev-parse", "HEAD"); err == nil {
		ov.Commits[d.Name] = strings.TrimSpace(string(out))
	}
	return os.RemoveAll(filepath.Join(dir, ".git"))
}

// git runs git (in dir when it is not ""), without prompts and without the
// ext:: transport, which runs a command named by the URL; it is killed when
// ctx ends (and its output pipes closed a second later at most).
func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	pre := []string{"-c", "protocol.ext.allow=never", "-c", "advice.detachedHead=false"}
	if dir != "" {
		pre = append([]string{"-C", dir}, pre...)
	}
	cmd := exec.CommandContext(ctx, "git", append(pre, args...)...)
	cmd.WaitDelay = time.Second
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	return cmd.CombinedOutput()
}

// readTestdef reads the test definition at rel inside dir (never outside it,
// even through a symlink of the repository) into testdef.
func readTestdef(dir, rel, repo string, testdef *map[string]any) error {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("%s in %s: %w", rel, repo, err)
	}
	defer r.Close()
	f, err := r.Open(rel)
	if err != nil {
		return fmt.Errorf("%s in %s: %w", rel, repo, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxTestdefSize+1))
	if err != nil {
		return fmt.Errorf("%s in %s: %w", rel, repo, err)
	}
	if len(b) > MaxTestdefSize {
		return fmt.Errorf("%s in %s: larger than %d bytes", rel, repo, MaxTestdefSize)
	}
	if err := yaml.Unmarshal(b, testdef); err != nil {
		return fmt.Errorf("%s in %s: %w", rel, repo, err)
	}
	return nil
}

// writeIn writes data at rel inside dir, making its parent directories.
func writeIn(dir, rel string, data []byte) error {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer r.Close()
	if i := strings.LastIndexByte(rel, '/'); i > 0 {
		if err := r.MkdirAll(rel[:i], 0o755); err != nil {
			return err
		}
	}
	return r.WriteFile(rel, data, 0o644)
}
