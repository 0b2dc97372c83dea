package download

import (
	"context"
	"errors"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/archive"
)

// extractDir is where a Spec with Archive "tar" is unpacked: its ExtractDir,
// else <destDir>/<key>/<key> (LAVA's layout; dest is Dest's file name).
func extractDir(spec Spec, dest string) string {
	if spec.ExtractDir != "" {
		return spec.ExtractDir
	}
	return filepath.Join(filepath.Dir(dest), spec.Key)
}

// archiveName is the archive's name in the extractor's errors: the URL's
// last path element.
func archiveName(spec Spec) string {
	if u, err := url.Parse(spec.URL); err == nil && path.Base(u.Path) != "/" && path.Base(u.Path) != "." {
		return path.Base(u.Path)
	}
	return spec.Key
}

// installTree is install for an archive: the body streams through the hashes
// (and to the cache, with tr.tee) into package archive's extractor, which
// decompresses it on its own goroutines as it detects it: one pass, and no
// file, compressed or not, is written besides the tree. The directory is
// emptied first, and removed again if anything fails: the download, the
// archive, the size or a checksum (which can only be known at the end: the
// extractor never writes outside the directory, whatever the bytes).
func installTree(ctx context.Context, spec Spec, dest string, body io.Reader, tr transfer) (Result, error) {
	dir := extractDir(spec, dest)
	if err := os.RemoveAll(dir); err != nil {
		return Result{}, sdk.InfraErrorf("Unable to extract '%s': %w", spec.URL, err)
	}
	src := newSource(ctx, body, tr)
	ares, xerr := archive.Extract(ctx, src, dir, archive.Options{Name: archiveName(spec),
		MaxBytes: spec.ArchiveMaxBytes, Log: spec.ArchiveLog})
	if xerr != nil {
		xerr = consumerError{xerr}
	}
	got, err := finishSource(ctx, spec, src, tr, xerr)
	if err != nil {
		os.RemoveAll(dir)
		var ce consumerError
		if !errors.As(err, &ce) {
			return Result{}, err
		}
		if errors.Is(ce.err, archive.ErrRefused) || errors.Is(ce.err, archive.ErrNotArchive) {
			return Result{}, sdk.JobErrorf("Unable to extract '%s': %v", spec.URL, ce.err)
		}
		return Result{}, sdk.InfraErrorf("Unable to extract '%s': %w", spec.URL, ce.err)
	}
	return Result{Key: spec.Key, Dir: dir, Size: src.n, MD5: got.md5, SHA256: got.sha256, SHA512: got.sha512,
		Decompressed: ares.Compression != "", Extracted: &ares}, nil
}
