package download

import (
	"context"
	"fmt"

	"github.com/lavacore/lavacore/sdk"
)

// ArtefactSpec is the Spec of a job's artefact (a deploy block's kernel,
// ramdisk, images.rootfs …): its url, and the compression and checksums its
// mapping gives, read from the dispatcher's allowed file directories.
func ArtefactSpec(key, url string, artefact map[string]any, d sdk.Dispatcher) Spec {
	str := func(k string) string { s, _ := artefact[k].(string); return s }
	return Spec{Key: key, URL: url, Compression: str("compression"),
		MD5: str("md5sum"), SHA256: str("sha256sum"), SHA512: str("sha512sum"),
		AllowedFileDirs: d.AllowedFileDirs}
}

// FetchForAction is a download action's fetch: it logs the url, fetches spec
// into destDir with the dispatcher's cache and progress lines in the job log,
// and logs the summary. A progress line the log could not take does not stop
// the download; the summary's Log after it returns the log's failure.
func FetchForAction(ctx context.Context, call sdk.Call, host sdk.Host, spec Spec, destDir string) (Result, error) {
	if err := host.Log(sdk.LevelInfo, "downloading "+spec.URL); err != nil {
		return Result{}, err
	}
	r, err := Fetch(ctx, spec, destDir, OptionsFor(call.Dispatcher, host))
	if err != nil {
		return r, err
	}
	return r, host.Log(sdk.LevelInfo, r.Summary())
}

// ActionResult is the `lava` result LAVA records for a download action:
// pass, its duration and the download's size and checksums.
func ActionResult(call sdk.Call, r Result) sdk.Result {
	return sdk.Result{Definition: "lava", Case: call.Action, Level: call.Level,
		Duration: fmt.Sprintf("%.2f", r.Duration.Seconds()), Result: "pass", Extra: r.Results()}
}
