package download

// The body of a download as install reads it: counted, hashed as the cache
// allows, teed into the cache, reported, and checked once its consumer is done.

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/lavacore/lavacore/sdk"
)

// transfer says how install treats its body.
type transfer struct {
	expected int64       // the size the body must have (<= 0: unknown)
	maxMode  fs.FileMode // the widest mode of the file
	progress func(done, total int64)
	// tee, if not nil, receives every byte of the body (the cache's new
	// object); its errors are its own.
	tee io.Writer
	// known, if not nil, are the cachedSums of the body as the cache recorded them:
	// only sha256 is computed, and a body that does not match is errCorrupt.
	known *cachedSums
	// trusted: the cache vouches that the body still has known's sums (its
	// file is unchanged since they were computed): nothing is hashed.
	trusted bool
}

type cachedSums struct{ md5, sha256, sha512 string }

// errCorrupt is a cached object that no longer has its recorded sha256.
var errCorrupt = errors.New("cached file does not match its sha256")

// newSource is the body of tr, hashed as tr says.
func newSource(ctx context.Context, body io.Reader, tr transfer) *source {
	src := &source{ctx: ctx, r: body, total: tr.expected, progress: tr.progress, tee: tr.tee}
	if !tr.trusted {
		src.sha256 = sha256.New()
	}
	if tr.known == nil {
		src.md5, src.sha512 = md5.New(), sha512.New()
	}
	return src
}

// consumerError is the error of what consumed the body (the decompressor and
// the file, or the extractor), for copyError to word.
type consumerError struct{ err error }

func (e consumerError) Error() string { return e.err.Error() }
func (e consumerError) Unwrap() error { return e.err }

// finishSource reads what the consumer of src left (a decompressor may stop
// at the end of its stream: the rest still counts, and a cached file is
// hashed to its end whatever happened), then checks the transfer: the
// network, the consumer (returned as a consumerError), the size and the
// job's checksums. It returns the body's sums.
func finishSource(ctx context.Context, spec Spec, src *source, tr transfer, copyErr error) (cachedSums, error) {
	if copyErr == nil || (tr.known != nil && !tr.trusted && src.err == nil) {
		_, err := io.Copy(io.Discard, src)
		if copyErr == nil {
			copyErr = err
		}
	}
	if tr.progress != nil {
		tr.progress(src.n, tr.expected)
	}
	if err := ctx.Err(); err != nil {
		return cachedSums{}, ctxError(ctx, spec.URL)
	}
	var got cachedSums
	if src.sha256 != nil {
		got.sha256 = hex.EncodeToString(src.sha256.Sum(nil))
	}
	if tr.known != nil {
		if tr.trusted {
			got.sha256 = tr.known.sha256
		} else if src.err == nil && got.sha256 != tr.known.sha256 {
			return cachedSums{}, errCorrupt
		}
		got.md5, got.sha512 = tr.known.md5, tr.known.sha512
	} else {
		got.md5, got.sha512 = hex.EncodeToString(src.md5.Sum(nil)), hex.EncodeToString(src.sha512.Sum(nil))
	}
	switch {
	case src.err != nil && errors.Is(src.err, io.ErrUnexpectedEOF) && tr.expected > 0:
		// The server closed the connection before Content-Length bytes: a short body.
		return cachedSums{}, sizeError(src.n, tr.expected)
	case src.err != nil:
		return cachedSums{}, sdk.InfraErrorf("Unable to download '%s': %w", spec.URL, src.err)
	case copyErr != nil:
		var typed *sdk.Error
		if errors.As(copyErr, &typed) {
			return cachedSums{}, copyErr
		}
		return cachedSums{}, consumerError{copyErr}
	}
	if tr.expected > 0 && src.n != tr.expected {
		return cachedSums{}, sizeError(src.n, tr.expected)
	}
	for _, c := range []struct{ algo, want, got string }{
		{"md5", spec.MD5, got.md5}, {"sha256", spec.SHA256, got.sha256}, {"sha512", spec.SHA512, got.sha512},
	} {
		if want := strings.ToLower(strings.TrimSpace(c.want)); want != "" && c.got != want {
			return cachedSums{}, &sdk.Error{Type: sdk.Job, Err: errMismatch,
				Msg: fmt.Sprintf("%s for '%s' does not match. (artefact %s: expected %s, got %s)", c.algo, spec.URL, orNone(spec.Key), want, c.got)}
		}
	}
	return got, nil
}

// errMismatch is wrapped by the error of a job's checksum that does not match.
var errMismatch = errors.New("checksum mismatch")

const progressStep = 1 << 20

// source is the raw byte stream: it counts, hashes, reports progress, stops when the
// context ends and remembers its own error (to tell a network failure from a
// decompression failure).
type source struct {
	ctx                 context.Context
	r                   io.Reader
	n, total, lastShown int64
	progress            func(done, total int64)
	md5, sha256, sha512 hash.Hash // each may be nil
	tee                 io.Writer // nil, or gets every byte (its errors are its own)
	err                 error
}

func (s *source) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return 0, err
	}
	n, err := s.r.Read(p)
	if n > 0 {
		b := p[:n]
		if s.sha256 != nil {
			s.sha256.Write(b)
		}
		if s.tee != nil {
			_, _ = s.tee.Write(b)
		}
		if s.md5 != nil {
			s.md5.Write(b)
		}
		if s.sha512 != nil {
			s.sha512.Write(b)
		}
		s.n += int64(n)
		if s.progress != nil && s.n-s.lastShown >= progressStep {
			s.lastShown = s.n
			s.progress(s.n, s.total)
		}
	}
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// copyThrough copies src to dst, decompressing with comp ("" for none).
func copyThrough(ctx context.Context, comp string, src io.Reader, dst io.Writer) error {
	buf := make([]byte, 256<<10)
	if comp == "" {
		_, err := io.CopyBuffer(dst, src, buf)
		return err
	}
	dr, err := Decompress(ctx, comp, src)
	if err != nil {
		return err
	}
	_, err = io.CopyBuffer(writerOnly{dst}, dr, buf)
	if cerr := dr.Close(); err == nil {
		err = cerr
	}
	return err
}

// kernelCopy copies f to dst in 8 MiB steps through os.File.ReadFrom (the
// kernel's copy_file_range: the bytes are not read into the process),
// stopping between steps when ctx ends.
func kernelCopy(ctx context.Context, dst, f *os.File, src *source) error {
	for {
		if err := ctx.Err(); err != nil {
			src.err = err
			return err
		}
		n, err := dst.ReadFrom(&io.LimitedReader{R: f, N: 8 << 20})
		src.n += n
		if err != nil {
			return err
		}
		if src.progress != nil && n > 0 {
			src.progress(src.n, src.total)
		}
		if n == 0 {
			return nil
		}
	}
}

// writerOnly hides ReadFrom so CopyBuffer uses our buffer.
type writerOnly struct{ io.Writer }
