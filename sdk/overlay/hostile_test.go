package overlay

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func inlineDef(name, path string) Definition {
	return Definition{From: "inline", Name: name, Path: path, Level: "1.1",
		Repository: map[string]any{"metadata": map[string]any{"format": "Lava-Test Test Definition 1.0", "name": name},
			"run": map[string]any{"steps": []any{"echo pwned"}}}}
}

// gitRepo makes a local repository holding files (path → content; a content
// starting with "->" makes a symlink to the rest) and returns its path.
func gitRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	repo := t.TempDir()
	for p, c := range files {
		full := filepath.Join(repo, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		if target, ok := strings.CutPrefix(c, "->"); ok {
			err = os.Symlink(target, full)
		} else {
			err = os.WriteFile(full, []byte(c), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"commit", "-q", "-m", "one"}} {
		cmd := exec.Command("git", append([]string{"-C", repo, "-c", "user.name=t", "-c", "user.email=t@x", "-c", "init.defaultBranch=main"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	return repo
}

// A test definition's path is joined to its directory in the overlay: an
// inline one is written there, a git or url one read from there. None may
// leave it (the overlay tree sits in the job's work directory, on the
// dispatcher's own filesystem).
func TestOverlay_DefinitionPathEscapes(t *testing.T) {
	const testdef = "metadata:\n  format: Lava-Test Test Definition 1.0\n  name: stolen\nrun:\n  steps: [echo stolen]\n"
	tests := []struct {
		name string
		def  func(t *testing.T, work string) Definition
	}{
		{"inline write to the work dir", func(t *testing.T, work string) Definition {
			return inlineDef("esc", "../../../../../escaped.yaml")
		}},
		{"inline write through an absolute path", func(t *testing.T, work string) Definition {
			return inlineDef("abs", filepath.Join(work, "escaped.yaml"))
		}},
		{"inline name that climbs", func(t *testing.T, work string) Definition {
			d := inlineDef("x/../../../../../..", "escaped.yaml")
			return d
		}},
		{"git read of a dispatcher file", func(t *testing.T, work string) Definition {
			os.WriteFile(filepath.Join(work, "escaped.yaml"), []byte(testdef), 0o644)
			repo := gitRepo(t, map[string]string{"defs/ok.yaml": testdef})
			return Definition{From: "git", Name: "g", Path: "../../../../../escaped.yaml", Repository: repo, Level: "1.1"}
		}},
		{"git symlink to a dispatcher file", func(t *testing.T, work string) Definition {
			os.WriteFile(filepath.Join(work, "escaped.yaml"), []byte(testdef), 0o644)
			repo := gitRepo(t, map[string]string{"defs/g.yaml": "->" + filepath.Join(work, "escaped.yaml")})
			return Definition{From: "git", Name: "g", Path: "defs/g.yaml", Repository: repo, Level: "1.1"}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			work := t.TempDir()
			d := tc.def(t, work)
			before, _ := os.ReadFile(filepath.Join(work, "escaped.yaml"))
			ov, err := Build(Options{JobID: "7", WorkDir: work, Stages: [][]Definition{{d}}})
			if err == nil {
				t.Fatalf("Build accepted definition path %q name %q (testdefs %v)", d.Path, d.Name, ov.Testdefs)
			}
			after, _ := os.ReadFile(filepath.Join(work, "escaped.yaml"))
			if string(before) != string(after) {
				t.Fatalf("a file outside the overlay was written: %q", after)
			}
			if !strings.Contains(err.Error(), "..") && !strings.Contains(err.Error(), "absolute") && !strings.Contains(err.Error(), "outside") && !strings.Contains(err.Error(), "escapes") {
				t.Errorf("error does not say why: %v", err)
			}
		})
	}
}

// lava_test_results_dir becomes the overlay's directory inside its tree; a
// ".." in it moved the overlay (scripts and secrets) anywhere on the dispatcher.
func TestOverlay_ResultsDirEscape(t *testing.T) {
	for _, dir := range []string{"/../../escaped-7", "/lava/../../../escaped-7", "lava-7", "/"} {
		t.Run(dir, func(t *testing.T) {
			work := filepath.Join(t.TempDir(), "a", "b")
			if err := os.MkdirAll(work, 0o755); err != nil {
				t.Fatal(err)
			}
			_, err := Build(Options{JobID: "7", ResultsDir: dir, WorkDir: work,
				Secrets: map[string]string{"TOKEN": "s3cret"}, Stages: [][]Definition{{inlineDef("ok", "ok.yaml")}}})
			if err == nil {
				t.Fatalf("Build accepted lava_test_results_dir %q", dir)
			}
			matches, _ := filepath.Glob(filepath.Join(filepath.Dir(filepath.Dir(work)), "escaped-7"))
			if len(matches) > 0 {
				t.Fatalf("overlay written outside its tree: %v", matches)
			}
		})
	}
}

// A git revision that looks like an option was passed to git checkout as
// one: --pathspec-from-file=F read F and its lines came back in the error
// (and so in log.yaml).
func TestGitRevisionAsOption(t *testing.T) {
	const testdef = "metadata:\n  format: Lava-Test Test Definition 1.0\n  name: g\nrun:\n  steps: [echo hi]\n"
	repo := gitRepo(t, map[string]string{"defs/g.yaml": testdef})
	secret := filepath.Join(t.TempDir(), "shadow")
	if err := os.WriteFile(secret, []byte("root-SECRET-LINE\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, branch, revision string }{
		{"revision pathspec-from-file", "", "--pathspec-from-file=" + secret},
		{"revision output option", "", "--output=" + secret},
		{"branch upload-pack", "--upload-pack=cat " + secret, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(Options{JobID: "7", WorkDir: t.TempDir(), Stages: [][]Definition{{
				{From: "git", Name: "g", Path: "defs/g.yaml", Repository: repo, Branch: tc.branch, Revision: tc.revision, Level: "1.1"}}}})
			if err == nil {
				t.Fatalf("a %q option was accepted", tc.name)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Fatalf("git read the file named by the job: %v", err)
			}
			if b, _ := os.ReadFile(secret); string(b) != "root-SECRET-LINE\n" {
				t.Fatalf("the file was changed: %q", b)
			}
		})
	}
}

// The overlay tarball holds the job's secrets: it was written 0644 (umask
// permitting), readable by every user of the dispatcher.
func TestOverlay_TarballWithSecretsWorldReadable(t *testing.T) {
	work := t.TempDir()
	ov, err := Build(Options{JobID: "7", WorkDir: work, Secrets: map[string]string{"TOKEN": "s3cret"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, pre := range []os.FileMode{0, 0o666} { // a new file, and one left with a loose mode
		out := filepath.Join(work, "overlay-1.3.tar.gz")
		if pre != 0 {
			if err := os.WriteFile(out, nil, pre); err != nil {
				t.Fatal(err)
			}
			os.Chmod(out, pre)
		}
		if err := ov.CompressTo(out); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("overlay tarball mode %v (existing file mode %v), want 0600", st.Mode().Perm(), pre)
		}
		os.Remove(out)
	}
}
