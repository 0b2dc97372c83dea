// Package lab is lavacore's virtual lab: QEMU x86_64 boards with UEFI firmware
// that netboot GRUB over TFTP, a Debian kernel, an NFS or ramdisk root and an
// ssh server, all built from Debian packages on this machine. The heavy lifting
// is in embedded shell scripts (scripts/build.sh, scripts/lab.sh); this package
// places them, runs them, creates the test-definition git repository, and
// provides the console relay that keeps a board's early output for the
// dispatcher.
package lab

import (
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

//go:embed scripts testdefs
var files embed.FS

// Dirs are where the lab lives.
type Dirs struct {
	Lab   string // /var/lib/lavacore/lab
	Cache string // /var/cache/lavacore
}

// DefaultDirs honours $LAVACORE_LAB_DIR and $LAVACORE_CACHE_DIR.
func DefaultDirs() Dirs {
	d := Dirs{Lab: "/var/lib/lavacore/lab", Cache: "/var/cache/lavacore"}
	if v := os.Getenv("LAVACORE_LAB_DIR"); v != "" {
		d.Lab = v
	}
	if v := os.Getenv("LAVACORE_CACHE_DIR"); v != "" {
		d.Cache = v
	}
	return d
}

// install writes the embedded scripts into the lab directory.
func (d Dirs) install() error {
	if err := os.MkdirAll(d.Lab, 0o755); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	for _, name := range []string{"build.sh", "lab.sh"} {
		b, err := files.ReadFile("scripts/" + name)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(d.Lab, name), b, 0o755); err != nil {
			return fmt.Errorf("lab: %w", err)
		}
	}
	return nil
}

func run(ctx context.Context, out io.Writer, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", filepath.Base(name), strings.Join(args, " "), err)
	}
	return nil
}

// Build builds the board images ("fast", "real" or "all"), cached.
func (d Dirs) Build(ctx context.Context, out io.Writer, what string) error {
	if err := d.install(); err != nil {
		return err
	}
	return run(ctx, out, "bash", filepath.Join(d.Lab, "build.sh"), d.Cache, filepath.Join(d.Lab, "http"), what)
}

// Up builds what is missing and starts the lab with n boards.
func (d Dirs) Up(ctx context.Context, out io.Writer, n int, image string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("lab: the virtual lab needs root (bridges, taps, NFS)")
	}
	if err := d.Build(ctx, out, image); err != nil {
		return err
	}
	if err := d.gitRepos(ctx, out); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	return run(ctx, out, "bash", filepath.Join(d.Lab, "lab.sh"), d.Lab, "up", fmt.Sprint(n), self)
}

// Down stops everything the lab started.
func (d Dirs) Down(ctx context.Context, out io.Writer) error {
	if _, err := os.Stat(filepath.Join(d.Lab, "lab.sh")); err != nil {
		if err := d.install(); err != nil {
			return err
		}
	}
	return run(ctx, out, "bash", filepath.Join(d.Lab, "lab.sh"), d.Lab, "down")
}

// Status prints what runs.
func (d Dirs) Status(ctx context.Context, out io.Writer) error {
	if _, err := os.Stat(filepath.Join(d.Lab, "lab.sh")); err != nil {
		fmt.Fprintf(out, "no lab in %s (run 'lavacore lab up')\n", d.Lab)
		return nil
	}
	return run(ctx, out, "bash", filepath.Join(d.Lab, "lab.sh"), d.Lab, "status")
}

// Power runs a board power operation (on, off, reset).
func (d Dirs) Power(ctx context.Context, out io.Writer, op, board string) error {
	return run(ctx, out, "bash", filepath.Join(d.Lab, "lab.sh"), d.Lab, "power", op, board)
}

// gitRepos makes the test-definition repository the example jobs name, served
// over dumb HTTP (and usable as a file:// URL).
func (d Dirs) gitRepos(ctx context.Context, out io.Writer) error {
	src := filepath.Join(d.Lab, "git-src", "lava-functional-tests")
	bare := filepath.Join(d.Lab, "http", "git", "lava-functional-tests.git")
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
		return fmt.Errorf("lab: test definitions: %w", err)
	}
	git := func(dir string, args ...string) error {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=lavacore lab", "GIT_AUTHOR_EMAIL=lab@lavacore.invalid",
			"GIT_COMMITTER_NAME=lavacore lab", "GIT_COMMITTER_EMAIL=lab@lavacore.invalid", "GIT_AUTHOR_DATE=2026-01-01T00:00:00Z",
			"GIT_COMMITTER_DATE=2026-01-01T00:00:00Z")
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, b)
		}
		return nil
	}
	for _, args := range [][]string{{"init", "-q", "-b", "master"}, {"add", "."}, {"commit", "-q", "-m", "lavacore lab test definitions"}} {
		if err := git(src, args...); err != nil {
			return err
		}
	}
	_ = os.RemoveAll(bare)
	if err := os.MkdirAll(filepath.Dir(bare), 0o755); err != nil {
		return err
	}
	if err := git(d.Lab, "clone", "-q", "--bare", src, bare); err != nil {
		return err
	}
	return git(bare, "update-server-info")
}
