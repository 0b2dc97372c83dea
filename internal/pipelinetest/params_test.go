package pipelinetest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lavacore/lavacore/core/job"
	"github.com/lavacore/lavacore/plugins/command"
	"github.com/lavacore/lavacore/sdk"
)

// builtinManifest is the manifest of every built-in method as `plugins
// checksum` records it: sdk.ManifestOf, through JSON and back.
func builtinManifest(t *testing.T) sdk.Manifest {
	t.Helper()
	seen := map[string]bool{}
	var ms []sdk.Method
	for _, m := range append(builtinRegistry(t).All(), command.Methods()...) {
		if !seen[m.Info().Key()] {
			seen[m.Info().Key()] = true
			ms = append(ms, m)
		}
	}
	raw, err := json.Marshal(sdk.ManifestOf(sdk.ServeConfig{Name: "builtin", Version: "0", Methods: ms}))
	if err != nil {
		t.Fatal(err)
	}
	var m sdk.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// paramBlocks are blocks of the built-in methods, valid and invalid, beyond
// the fixtures: each is the only action of a job.
var paramBlocks = map[string]string{
	"tftp-valid": `deploy: {to: tftp, kernel: {url: http://x/k, type: zimage}, dtb: {url: http://x/d},
    dtbo: [{url: http://x/o}], ramdisk: {url: http://x/r, compression: gz, header: u-boot, install_modules: true},
    nfsrootfs: {url: http://x/n, prefix: root/, install_overlay: false}, extra_files: {a.txt: http://x/a},
    modules: {url: http://x/m}, preseed: {url: http://x/p}, tee: {url: http://x/t}, os: debian}`,
	"tftp-bad-values": `deploy: {to: tftp, kernel: {url: ftp://x/k, type: bzimage}, dtbo: {url: http://x/o},
    ramdisk: {url: http://x/r, header: grub, install_modules: yes please}, nfsrootfs: {url: http://x/n, prefix: ../..},
    extra_files: {../a: http://x/a, b: 3}, persistent_nfs: {install_overlay: 1}, tee: http://x/t, preseed: {sha256sum: x}}`,
	"tftp-persistent": `deploy: {to: tftp, persistent_nfs: {address: "1.2.3.4:/srv"}, kernel: {url: http://x/k, extra: 1}}`,
	"ssh-deploy": `deploy: {to: ssh, firmware: {url: http://x/f}, kernel: {url: http://x/k}, rootfs: {url: x}, modules: 3,
    initrd: {url: http://x/i}}`,
	"grub-valid": `boot: {method: grub, commands: ramdisk, boot_finished: [a, b], reset: false, expect_shell: true,
    use_bootscript: false, kernel: /boot/Image, ramdisk: 1, dtb: x, root_uuid: u, boot_part: 2,
    docker: {image: debian:trixie, local: true}, prompts: ["# "], timeout: {minutes: 2}}`,
	"grub-bad": `boot: {method: grub-efi, commands: [], boot_finished: {a: 1}, reset: maybe, kernel: [x],
    docker: {image: "-v /:/host", container_name: --privileged, login: {user: u}}, bootloader: x}`,
	"grub-no-commands": `boot: {method: grub, prompts: ["# "]}`,
	"ssh-boot":         `boot: {method: ssh, connection: ssh, prompts: ["# "], parameters: {hostID: h}, commands: x}`,
	"test-valid": `test: {name: smoke-1.0, timeout: {minutes: 5}, definitions: [{from: git, repository: https://x/r.git,
    path: a.yaml, name: smoke, branch: main}, {from: inline, path: inline/b.yaml, name: b,
    repository: {metadata: {format: Lava-Test Test Definition 1.0, name: b}, run: {steps: [true]}}}]}`,
	"test-bad": `test: {name: "a b", definitions: [{from: git, repository: --upload-pack=x, path: ../a, name: lava},
    {from: url, repository: ftp://x, path: a, name: x, strip-components: -1}, {from: svn}], downloads-namespace: d,
    interactive: [], disconnect_connection: true}`,
	"test-name-not-str": `test: {name: [a], definitions: []}`,
	"test-docker": `test: {definitions: [{from: git, repository: https://x, path: a.yaml, name: a}],
    docker: {image: "Bad Image"}, downloads-namespace: dl, disconnect_connection: 1}`,
	"test-interactive": `test: {name: i, interactive: [{name: x, prompts: ["# "], script: [{command: ls}]}]}`,
	"command-valid":    `command: {name: pre_power_command, timeout: {seconds: 30}}`,
	"command-bad":      `command: {name: "", namespace: common, args: [1]}`,
	"command-no-name":  `command: {timeout: {seconds: 30}}`,
}

const paramJob = "job_name: params\ndevice_type: d\ntimeouts: {job: {minutes: 30}}\nvisibility: public\nactions:\n- "

// TestManifestParamsCheckLikeCoreSchemas: every job checked against the
// built-in methods' recorded manifests (their declared JobParams) gives
// exactly the diagnostics core/job's own schemas of those methods give, so
// that `lavacore validate` with the installed built-ins and core/job alone
// cannot drift apart. The jobs: paramBlocks, core/job's invalid fixtures,
// this package's, examples/jobs, lab/testdata and LAVA's sample jobs (when present).
func TestManifestParamsCheckLikeCoreSchemas(t *testing.T) {
	m := builtinManifest(t)
	declared := map[string]bool{}
	for _, x := range m.Methods {
		declared[x.Key()] = len(x.JobParams) > 0
	}
	// ssh boot takes only the keys every boot method takes
	for _, k := range []string{"deploy/tftp", "deploy/ssh", "boot/grub", "boot/grub-efi", "test/definitions", "command/user-command"} {
		if !declared[k] {
			t.Errorf("the manifest's %s declares no JobParams", k)
		}
	}
	jobs := map[string][]byte{}
	for name, block := range paramBlocks {
		jobs[name+".yaml"] = []byte(paramJob + strings.ReplaceAll(block, "\n", "\n  ") + "\n")
	}
	var files []string
	for _, pat := range []string{"../../core/job/testdata/invalid/*.yaml", "testdata/*.yaml",
		"../../examples/jobs/*.yaml", "../../lab/testdata/*.yaml",
		"../../../shared/lava-fixtures/sample_jobs/*.yaml", "../../../shared/seed/*.yaml"} {
		f, _ := filepath.Glob(pat)
		files = append(files, f...)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		jobs[f] = data
	}
	if len(jobs) < len(paramBlocks)+40 {
		t.Fatalf("only %d jobs", len(jobs))
	}
	withManifest := job.Options{Methods: m.Methods}
	for name, data := range jobs {
		_, want := job.ParseWith(name, data, job.Options{})
		_, got := job.ParseWith(name, data, withManifest)
		if d := cmp.Diff(diagLines(want), diagLines(got)); d != "" {
			t.Errorf("%s: core/job's schemas (-) and the manifests' params (+) disagree:\n%s", name, d)
		}
		if _, ok := paramBlocks[strings.TrimSuffix(name, ".yaml")]; ok && testing.Verbose() {
			t.Logf("%s:\n%s", name, strings.Join(diagLines(got), "\n"))
		}
	}
}

func diagLines(ds job.Diagnostics) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.String())
	}
	return out
}
