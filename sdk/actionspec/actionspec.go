// Package actionspec declares the LAVA actions several methods share: the
// test-shell overlay (lava-overlay and its children), downloads, the device
// environment and the login tail of a boot. Methods build their Describe
// output from these so names, classes and texts stay LAVA's everywhere.
package actionspec

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/lavacore/lavacore/sdk"
)

// TestBlocks returns the test blocks of the request's namespace, in job order.
func TestBlocks(req sdk.Request) []sdk.Block {
	var out []sdk.Block
	for _, b := range req.Job.Blocks {
		if b.Section == sdk.SectionTest && b.Namespace == req.Block.Namespace {
			out = append(out, b)
		}
	}
	return out
}

// NeedsOverlay reports whether a test of the namespace runs the lava test
// shell (definitions), so the deployment must carry the overlay (LAVA's
// test_needs_overlay; monitors and interactive tests need none).
func NeedsOverlay(req sdk.Request) bool {
	for _, b := range TestBlocks(req) {
		if b.Method == "definitions" {
			return true
		}
	}
	return false
}

// HasShell reports whether a test of the namespace uses a shell (LAVA's
// test_has_shell): a boot then waits for the prompt and exports the
// environment. A docker test shell (definitions with docker:) runs in a
// container on the dispatcher, not in the device's shell.
func HasShell(req sdk.Request) bool { return deviceShellTest(req) }

// NeedsDeployment reports whether the deployment must write the device
// environment (LAVA's test_needs_deployment: the device's own test shell).
func NeedsDeployment(req sdk.Request) bool { return deviceShellTest(req) }

// deviceShellTest reports whether a test of the namespace runs the lava test
// shell on the device (definitions without docker:).
func deviceShellTest(req sdk.Request) bool {
	for _, b := range TestBlocks(req) {
		if _, docker := b.Params["docker"]; b.Method == "definitions" && !docker {
			return true
		}
	}
	return false
}

// Definitions returns the test definitions of the namespace, over all its
// test blocks, in order (the overlay numbers them 0_x, 1_y …).
func Definitions(req sdk.Request) []map[string]any {
	var out []map[string]any
	for _, b := range TestBlocks(req) {
		if b.Method != "definitions" {
			continue
		}
		list, _ := b.Params["definitions"].([]any)
		for _, d := range list {
			if m, ok := d.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

// RepoAction returns the handler action for a definition's `from`.
func RepoAction(from string) (sdk.ActionSpec, error) {
	switch from {
	case "git":
		return sdk.ActionSpec{Name: "git-repo-action", Class: "GitRepoAction",
			Description: "apply git repository of tests to the test image", Summary: "clone git test repo"}, nil
	case "inline":
		return sdk.ActionSpec{Name: "inline-repo-action", Class: "InlineRepoAction",
			Description: "apply inline test definition to the test image", Summary: "extract inline test definition"}, nil
	case "url":
		return sdk.ActionSpec{Name: "url-repo-action", Class: "UrlRepoAction",
			Description: "apply a single test file to the test image", Summary: "download file test"}, nil
	}
	return sdk.ActionSpec{}, sdk.JobErrorf("No testdef_repo handler is available for the given repository type '%s'.", from)
}

// TestDefinition is `test-definition`: per definition its repository handler,
// test-overlay, test-install-overlay and test-runscript-overlay. A definition
// with an unknown `from` is left out here; the test block's own Describe
// reports it.
func TestDefinition(req sdk.Request) (sdk.ActionSpec, error) {
	td := sdk.ActionSpec{Name: "test-definition", Class: "TestDefinitionAction",
		Description: "load test definitions into image", Summary: "loading test definitions"}
	for _, d := range Definitions(req) {
		from, _ := d["from"].(string)
		h, err := RepoAction(from)
		if err != nil {
			// The test block reports it (testshell's Describe).
			continue
		}
		td.Children = append(td.Children, h,
			sdk.ActionSpec{Name: "test-overlay", Class: "TestOverlayAction",
				Description: "overlay test support files onto image", Summary: "applying LAVA test overlay"},
			sdk.ActionSpec{Name: "test-install-overlay", Class: "TestInstallAction",
				Description: "overlay dependency installation support files onto image", Summary: "applying LAVA test install scripts"},
			sdk.ActionSpec{Name: "test-runscript-overlay", Class: "TestRunnerAction",
				Description: "overlay run script onto image", Summary: "applying LAVA test run script"},
		)
	}
	return td, nil
}

// VLANPlaceholder is the overlay's second child. LAVA dropped its VLANd step
// (lava-vland-overlay) in April 2026; lavacore keeps a no-op in its place so
// compress-overlay stays the fifth child and the overlay file of an ssh guest
// is overlay-1.1.5.tar.gz, as the founding document and LAVA's docs say.
func VLANPlaceholder() sdk.ActionSpec {
	return sdk.ActionSpec{Name: "lava-vland-overlay", Class: "VlandOverlayAction",
		Description: "Populate specific vland scripts for tests to lookup vlan data.", Summary: "Add files detailing vlan configuration."}
}

// LavaOverlay is `lava-overlay`: ssh-authorize (devices with an ssh deploy
// method), lava-vland-overlay (placeholder), lava-multinode-overlay,
// test-definition and compress-overlay.
func LavaOverlay(req sdk.Request) (sdk.ActionSpec, error) {
	o := sdk.ActionSpec{Name: "lava-overlay", Class: "OverlayAction",
		Description: "add lava scripts during deployment for test shell use", Summary: "overlay the lava support scripts"}
	if _, ok := req.Device.Methods["deploy/ssh"]; ok {
		o.Children = append(o.Children, sdk.ActionSpec{Name: "ssh-authorize", Class: "SshAuthorize",
			Description: "include public key in overlay and authorize root user", Summary: "add public key to authorized_keys"})
	}
	o.Children = append(o.Children, VLANPlaceholder(),
		sdk.ActionSpec{Name: "lava-multinode-overlay", Class: "MultinodeOverlayAction",
			Description: "add lava scripts during deployment for multinode test shell use", Summary: "overlay the lava multinode scripts"})
	td, err := TestDefinition(req)
	if err != nil {
		return o, err
	}
	o.Children = append(o.Children, td, sdk.ActionSpec{Name: "compress-overlay", Class: "CompressOverlay",
		Description: "Create a lava overlay tarball and store alongside the job", Summary: "Compress the lava overlay files"})
	return o, nil
}

// DeployDeviceEnv is `deploy-device-env`.
func DeployDeviceEnv() sdk.ActionSpec {
	return sdk.ActionSpec{Name: "deploy-device-env", Class: "DeployDeviceEnvironment",
		Description: "deploy device environment", Summary: "deploy device environment"}
}

// URLOf returns the url of a download key of a deploy block (`kernel: {url: …}`).
func URLOf(params map[string]any, key string) (string, bool) {
	m, ok := params[key].(map[string]any)
	if !ok {
		return "", false
	}
	u, ok := m["url"].(string)
	return u, ok
}

// Download is `download-retry` with the handler its url's scheme selects.
func Download(rawURL string) (sdk.ActionSpec, error) {
	d := sdk.ActionSpec{Name: "download-retry", Class: "DownloaderAction", Retry: true,
		Description: "download with retry", Summary: "download-retry", TimeoutError: sdk.Infrastructure}
	u, err := url.Parse(rawURL)
	if err != nil {
		return d, sdk.JobErrorf("Invalid URL '%s': %v", rawURL, err)
	}
	var h sdk.ActionSpec
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		h = sdk.ActionSpec{Name: "http-download", Class: "HttpDownloadAction",
			Description: "use http to download the file", Summary: "http download"}
	case "file":
		h = sdk.ActionSpec{Name: "file-download", Class: "FileDownloadAction",
			Description: "copy a local file", Summary: "local file copy"}
	case "scp":
		h = sdk.ActionSpec{Name: "scp-download", Class: "ScpDownloadAction",
			Description: "Use scp to copy the file", Summary: "scp download"}
	case "downloads":
		h = sdk.ActionSpec{Name: "pre-downloaded", Class: "PreDownloadedAction",
			Description: "Map to the newly downloaded files", Summary: "pre-downloaded file"}
	default:
		return d, sdk.JobErrorf("Unsupported url protocol scheme: %s", u.Scheme)
	}
	h.URL = rawURL
	h.TimeoutError = sdk.Infrastructure
	d.Children = []sdk.ActionSpec{h}
	return d, nil
}

// LoginTail is what a boot adds after the kernel starts, as LAVA's boot
// actions do: with `prompts`, auto-login-action (+ login-action); then, when a
// test uses a shell, expect-shell-connection, overlay-unpack (with
// transfer_overlay) and export-device-env.
func LoginTail(req sdk.Request) []sdk.ActionSpec {
	if _, ok := req.Block.Params["prompts"]; !ok {
		return nil
	}
	out := []sdk.ActionSpec{AutoLogin()}
	if HasShell(req) {
		out = append(out, ExpectShell())
		if _, ok := req.Block.Params["transfer_overlay"]; ok {
			out = append(out, sdk.ActionSpec{Name: "overlay-unpack", Class: "OverlayUnpack",
				Description: "transfer and unpack overlay to persistent rootfs after login", Summary: "transfer and unpack overlay"})
		}
		out = append(out, ExportDeviceEnv())
	}
	return out
}

// AutoLogin is `auto-login-action` (a retry action) with `login-action`.
func AutoLogin() sdk.ActionSpec {
	return sdk.ActionSpec{Name: "auto-login-action", Class: "AutoLoginAction", Retry: true,
		Description: "automatically login after boot using job parameters and checking for messages.",
		Summary:     "Auto-login after boot with support for kernel messages.",
		Children: []sdk.ActionSpec{{Name: "login-action", Class: "LoginAction",
			Description: "Real login action.", Summary: "Login after boot."}}}
}

// ExpectShell is `expect-shell-connection`.
func ExpectShell() sdk.ActionSpec {
	return sdk.ActionSpec{Name: "expect-shell-connection", Class: "ExpectShellSession",
		Description: "Wait for a shell", Summary: "Expect a shell prompt"}
}

// ExportDeviceEnv is `export-device-env`.
func ExportDeviceEnv() sdk.ActionSpec {
	return sdk.ActionSpec{Name: "export-device-env", Class: "ExportDeviceEnvironment",
		Description: "Exports environment variables to the device", Summary: "Exports environment variables action"}
}

// ValidateAutoLogin checks a boot block's auto_login and prompts as LAVA's
// login action does.
func ValidateAutoLogin(params map[string]any) sdk.Diagnostics {
	var diags sdk.Diagnostics
	al, has := params["auto_login"]
	if !has {
		return nil
	}
	m, ok := al.(map[string]any)
	if !ok {
		return sdk.Diagnostics{{Path: "auto_login", Summary: "expected a dictionary"}}
	}
	for _, k := range []string{"login_prompt", "username"} {
		if v, ok := m[k].(string); !ok || v == "" {
			diags = append(diags, sdk.Diagnostic{Path: "auto_login." + k, Summary: fmt.Sprintf("'%s' is mandatory for auto_login", k)})
		}
	}
	if _, ok := m["password_prompt"]; ok {
		if _, ok := m["password"]; !ok {
			diags = append(diags, sdk.Diagnostic{Path: "auto_login.password", Summary: "'password' is mandatory if 'password_prompt' is used in auto_login"})
		}
	}
	if _, ok := params["prompts"]; !ok {
		diags = append(diags, sdk.Diagnostic{Path: "prompts", Summary: "'prompts' is mandatory for auto_login"})
	}
	return diags
}
