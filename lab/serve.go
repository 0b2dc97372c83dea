package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Serve serves root over HTTP on listen (the lab's artefacts, apt repository
// and git repositories for dumb-HTTP clones) until ctx ends, logging each
// request to log.
func Serve(ctx context.Context, listen, root string, log io.Writer) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	files := http.FileServer(http.Dir(root))
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rw := &statusWriter{ResponseWriter: w, status: 200}
			start := time.Now()
			files.ServeHTTP(rw, r)
			fmt.Fprintf(log, "%s %s %s %s %d %s\n", start.Format("15:04:05.000"), r.RemoteAddr, r.Method, r.URL.Path, rw.status, time.Since(start).Round(time.Millisecond))
		}),
		ReadHeaderTimeout: 30 * time.Second,
	}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// GitRepo is the test-definition repository the example jobs name.
const GitRepo = "lava-functional-tests.git"

// gitRepos makes http/git/lava-functional-tests.git (bare, with
// update-server-info for dumb HTTP; also usable as a file:// URL) from the
// embedded testdefs/. The commit is reproducible (fixed dates), and an
// unchanged repository is left alone so running clones are not disturbed.
func (l *Lab) gitRepos(ctx context.Context) error {
	src := l.path("git-src", "lava-functional-tests")
	bare := l.path("http", "git", GitRepo)
	_ = os.RemoveAll(src)
	err := fs.WalkDir(files, "testdefs", func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(src, strings.TrimPrefix(p, "testdefs"))
		if e.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		return fmt.Errorf("test definitions: %w", err)
	}
	git := func(dir string, args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=lavacore lab", "GIT_AUTHOR_EMAIL=lab@lavacore.invalid",
			"GIT_COMMITTER_NAME=lavacore lab", "GIT_COMMITTER_EMAIL=lab@lavacore.invalid",
			"GIT_AUTHOR_DATE=2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2026-01-01T00:00:00Z", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		b, err := cmd.CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, b)
		}
		return strings.TrimSpace(string(b)), nil
	}
	for _, args := range [][]string{{"init", "-q", "-b", "master"}, {"add", "."}, {"commit", "-q", "-m", "lavacore lab test definitions"}} {
		if _, err := git(src, args...); err != nil {
			return err
		}
	}
	want, err := git(src, "rev-parse", "HEAD")
	if err != nil {
		return err
	}
	if have, err := git(bare, "rev-parse", "HEAD"); err == nil && have == want {
		return nil
	}
	tmp := bare + ".tmp"
	_ = os.RemoveAll(tmp)
	if err := os.MkdirAll(filepath.Dir(bare), 0o755); err != nil {
		return err
	}
	if _, err := git(l.Dir, "clone", "-q", "--bare", src, tmp); err != nil {
		return err
	}
	if _, err := git(tmp, "update-server-info"); err != nil {
		return err
	}
	_ = os.RemoveAll(bare)
	return os.Rename(tmp, bare)
}
