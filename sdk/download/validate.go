package download

import (
	"context"
	"errors"
	"net/http"
	"os"

	"github.com/lavacore/lavacore/sdk"
)

import ()

// Validate checks that url can be downloaded and returns its size (-1 if the server
// does not say). http(s): HEAD, then GET when HEAD is not answered with 200 (for
// servers with broken HEAD or redirects), both with an empty Accept-Encoding.
// file: the file must exist and be readable.
//
// Errors: an unsupported scheme, a non-200 answer ("Resource unavailable at '<url>'
// (<code>)") and a missing file are Job errors (the job names a wrong resource, which
// LAVA reports as invalid job data); a failed connection is an Infrastructure error.
func Validate(ctx context.Context, rawURL string, opts *Options) (int64, error) {
	return ValidateWith(ctx, rawURL, nil, opts)
}

// ValidateWith is Validate with extra request headers (LAVA's `headers:`).
// file:// URLs are refused: ValidateSpec takes the directories they may read.
func ValidateWith(ctx context.Context, rawURL string, headers map[string]string, opts *Options) (int64, error) {
	return ValidateSpec(ctx, Spec{URL: rawURL, Headers: headers}, opts)
}

// ValidateSpec is Validate of spec.URL with spec.Headers, and file:// URLs read
// from spec.AllowedFileDirs only.
func ValidateSpec(ctx context.Context, spec Spec, opts *Options) (int64, error) {
	rawURL, headers := spec.URL, spec.Headers
	u, err := parse(rawURL)
	if err != nil {
		return 0, err
	}
	if u.Scheme == "file" {
		f, err := OpenFileURL(u.Path, spec.AllowedFileDirs)
		var typed *sdk.Error
		if errors.As(err, &typed) {
			return 0, err
		}
		var fi os.FileInfo
		if err == nil {
			fi, err = f.Stat()
			f.Close()
		}
		if err == nil && !fi.Mode().IsRegular() {
			err = errors.New("not a regular file")
		}
		if err != nil {
			return 0, sdk.JobErrorf("Image file '%s' does not exist or is not readable", u.Path)
		}
		return fi.Size(), nil
	}
	client := opts.client()
	code, size, err := probe(ctx, client, http.MethodHead, rawURL, headers)
	if err == nil && code != http.StatusOK {
		code, size, err = probe(ctx, client, http.MethodGet, rawURL, headers)
	}
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctxError(ctx, rawURL)
		}
		return 0, sdk.InfraErrorf("Unable to get '%s': %w", rawURL, err)
	}
	if code != http.StatusOK {
		return 0, sdk.JobErrorf("Resource unavailable at '%s' (%d)", rawURL, code)
	}
	return size, nil
}

func probe(ctx context.Context, client *http.Client, method, rawURL string, headers map[string]string) (int, int64, error) {
	req, err := newRequest(ctx, method, rawURL, headers)
	if err != nil {
		return 0, 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	resp.Body.Close() // a GET probe reads no body
	return resp.StatusCode, resp.ContentLength, nil
}
