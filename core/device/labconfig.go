package device

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"

	"github.com/lavacore/lavacore/sdk/cache"
	"github.com/lavacore/lavacore/sdk/lavaversion"
)

// loadLabConfig reads the lab directory's lab.hcl into lab (dispatcher settings,
// allowed file directories, LAVA version, artefact cache).
func (l *loader) loadLabConfig(lab *Lab) hcl.Diagnostics {
	name := filepath.Join(lab.Dir, "lab.hcl")
	lab.File = name
	if _, err := os.Stat(name); err != nil {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Missing lab config",
			Detail:   fmt.Sprintf("A lab directory needs %s with a `lab { dispatcher_ip, tftp_root, nfs_root }` block: %v.", name, err),
		}}
	}
	src, diags := readHCL(name)
	if diags.HasErrors() {
		return diags
	}
	f, diags := l.parseHCL(src, name)
	if diags.HasErrors() {
		return diags
	}
	var lf labFile
	diags = append(diags, gohcl.DecodeBody(f.Body, funcContext(), &lf)...)
	if lf.Body != nil {
		_, d := lf.Body.Content(&hcl.BodySchema{})
		diags = append(diags, d...)
	}
	if lf.Lab == nil {
		if !diags.HasErrors() {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Missing lab block",
				Detail:   "The lab config needs a `lab { dispatcher_ip, tftp_root, nfs_root }` block.",
				Subject:  f.Body.MissingItemRange().Ptr(),
			})
		}
		return diags
	}
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(lab.Dir, p)
	}
	lab.DispatcherIP = lf.Lab.DispatcherIP
	lab.TFTPRoot = abs(lf.Lab.TFTPRoot)
	lab.NFSRoot = abs(lf.Lab.NFSRoot)
	lab.HTTPRoot = abs(lf.Lab.HTTPRoot)
	lab.Coordinator = lf.Lab.Coordinator
	for _, d := range lf.Lab.AllowedFileDirs {
		lab.AllowedFileDirs = append(lab.AllowedFileDirs, abs(d))
	}
	diags = append(diags, labCache(lab, lf.Lab, abs, f.Body.MissingItemRange())...)
	return append(diags, labVersion(lab, lf.Lab.LavaVersion)...)
}

// labVersion reads lab.hcl's lava_version into lab.LavaVersion.
func labVersion(lab *Lab, expr hcl.Expression) hcl.Diagnostics {
	if expr == nil {
		return nil
	}
	if val, diags := expr.Value(funcContext()); diags.HasErrors() || val.IsNull() {
		return diags
	}
	var v string
	if diags := gohcl.DecodeExpression(expr, funcContext(), &v); diags.HasErrors() {
		return diags
	}
	if _, err := lavaversion.Parse(v); err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid lava_version",
			Detail: err.Error() + ".", Subject: expr.Range().Ptr()}}
	}
	lab.LavaVersion = v
	return nil
}

// labCache sets lab's artefact cache from lab.hcl's cache_dir and cache_size.
func labCache(lab *Lab, b *labBlock, abs func(string) string, rng hcl.Range) hcl.Diagnostics {
	lab.CacheDir = cache.DefaultDir()
	if b.CacheDir != "" {
		lab.CacheDir = abs(b.CacheDir)
	}
	lab.CacheMaxBytes = cache.DefaultMaxBytes
	if b.CacheSize == "" {
		return nil
	}
	n, err := cache.ParseSize(b.CacheSize)
	if err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid cache_size",
			Detail: fmt.Sprintf("lab.cache_size: %v.", err), Subject: rng.Ptr()}}
	}
	lab.CacheMaxBytes = n
	if n == 0 {
		lab.CacheDir = ""
	}
	return nil
}
