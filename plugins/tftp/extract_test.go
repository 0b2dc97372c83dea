package tftp

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/bootflow"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

// entry is one tar member of a test tarball.
type entry struct {
	name, link, body string
	typ              byte
	mode             int64
	major, minor     int64
}

func dir(name string) entry { return entry{name: name, typ: tar.TypeDir, mode: 0o755} }
func file(name, body string) entry {
	return entry{name: name, body: body, typ: tar.TypeReg, mode: 0o644}
}
func symlink(name, to string) entry {
	return entry{name: name, link: to, typ: tar.TypeSymlink, mode: 0o777}
}
func hardlink(name, to string) entry {
	return entry{name: name, link: to, typ: tar.TypeLink, mode: 0o644}
}
func writeTarGz(t *testing.T, path string, es ...entry) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range es {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: e.mode, Size: int64(len(e.body)),
			Devmajor: e.major, Devminor: e.minor, Format: tar.FormatGNU}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// deployCase is one attack on the tftp deploy's extractions: an nfsrootfs, then
// a modules tarball and the overlay extracted into it, as extract-nfsrootfs,
// extract-modules and apply-overlay-tftp do.
type deployCase struct {
	name    string
	rootfs  func(out, rel string) []entry // out: a directory outside; rel: out relative to the NFS root
	modules func(out, rel string) []entry
	overlay func(out, rel string) []entry
	prefix  string // nfsrootfs prefix:
	wantErr string // "" = the deploy succeeds
	check   func(t *testing.T, root, out string)
}

func runDeploy(t *testing.T, tc deployCase) (root, out string, err error) {
	base := t.TempDir()
	out = filepath.Join(base, "outside")
	os.MkdirAll(out, 0o755)
	secret := filepath.Join(out, "shadow")
	os.WriteFile(secret, []byte("root:$6$secret\n"), 0o600)
	nfs := filepath.Join(base, "nfs")
	root = filepath.Join(nfs, "1", "extract-nfsrootfs")
	rel, _ := filepath.Rel(root, out)
	host := sdktest.NewHost("")
	params := map[string]any{"nfsrootfs": map[string]any{"url": "http://x/rootfs.tar.gz", "prefix": tc.prefix}}
	if tc.modules != nil {
		params["modules"] = map[string]any{"url": "http://x/modules.tar.gz"}
	}
	call := sdk.Call{Request: sdk.Request{Job: sdk.JobInfo{ID: "1"}, Block: sdk.Block{Params: params},
		Dispatcher: sdk.Dispatcher{NFSRoot: nfs, WorkDir: filepath.Join(base, "work")}}}
	ctx := context.Background()
	bootflow.SetString(host, fileKey("nfsrootfs"), writeTarGz(t, filepath.Join(base, "rootfs.tar.gz"), tc.rootfs(out, rel)...))
	if err := extractNFS(ctx, call, host); err != nil {
		return root, out, err
	}
	if tc.modules != nil {
		bootflow.SetString(host, fileKey("modules"), writeTarGz(t, filepath.Join(base, "modules.tar.gz"), tc.modules(out, rel)...))
		if err := extractModules(ctx, call, host); err != nil {
			return root, out, err
		}
	}
	if tc.overlay != nil {
		bootflow.SetString(host, bootflow.KeyOverlay, writeTarGz(t, filepath.Join(base, "overlay.tar.gz"), tc.overlay(out, rel)...))
		if err := applyOverlay(ctx, call, host); err != nil {
			return root, out, err
		}
	}
	return root, out, nil
}

// outsideUntouched fails when anything but the planted secret is in out.
func outsideUntouched(t *testing.T, out string) {
	t.Helper()
	es, _ := os.ReadDir(out)
	for _, e := range es {
		if e.Name() != "shadow" {
			t.Errorf("written outside the NFS root: %s", filepath.Join(out, e.Name()))
		}
	}
	if b, _ := os.ReadFile(filepath.Join(out, "shadow")); string(b) != "root:$6$secret\n" {
		t.Errorf("the file outside was changed: %q", b)
	}
}

func TestDeploy_HostileArchives(t *testing.T) {
	cases := []deployCase{
		{
			name:   "AbsoluteDirSymlinkInRootfsThenModulesWriteThrough",
			rootfs: func(out, _ string) []entry { return []entry{dir("lib/"), symlink("lib/modules", out)} },
			modules: func(string, string) []entry {
				return []entry{dir("lib/"), dir("lib/modules/"), file("lib/modules/evil.ko", "x")}
			},
			wantErr: "extract-modules: modules.tar.gz: lib/modules",
		},
		{
			name:   "AbsoluteSymlinkRootThenOverlayAuthorizedKeys",
			rootfs: func(out, _ string) []entry { return []entry{symlink("root", out)} },
			overlay: func(string, string) []entry {
				return []entry{dir("root/.ssh/"), file("root/.ssh/authorized_keys", "ssh-ed25519 AAAA evil")}
			},
			wantErr: "apply-overlay-tftp: overlay.tar.gz: root/.ssh",
		},
		{
			name:    "RelativeDotDotSymlinkThenModulesWriteThrough",
			rootfs:  func(_, rel string) []entry { return []entry{dir("lib/"), symlink("lib/modules", "../"+rel)} },
			modules: func(string, string) []entry { return []entry{file("lib/modules/evil.ko", "x")} },
			wantErr: "extract-nfsrootfs: rootfs.tar.gz: lib/modules: refused: symbolic link target",
		},
		{
			name: "SymlinkToSymlinkChainEscaping",
			rootfs: func(_, rel string) []entry {
				// a/b/up is the root itself (allowed); lib/modules climbs out through it.
				return []entry{dir("a/b/"), symlink("a/b/up", "../.."), dir("lib/"), symlink("lib/modules", "../a/b/up/"+rel)}
			},
			modules: func(string, string) []entry { return []entry{file("lib/modules/evil.ko", "x")} },
			wantErr: "lib/modules: refused: symbolic link target",
		},
		{
			name:    "HardLinkToEtcShadowThroughRootfsSymlink",
			rootfs:  func(out, _ string) []entry { return []entry{symlink("etc", out)} },
			modules: func(string, string) []entry { return []entry{hardlink("lib/shadow", "etc/shadow")} },
			wantErr: "extract-modules: modules.tar.gz: lib/shadow",
		},
		{
			name:    "PrefixIsASymlinkOutOfTheRootfs",
			rootfs:  func(out, _ string) []entry { return []entry{symlink("sub", out)} },
			prefix:  "sub",
			modules: func(string, string) []entry { return []entry{file("evil.ko", "x")} },
			wantErr: "nfsrootfs prefix: \"sub\": refused: sub is a symbolic link",
		},
		{
			name:    "AbsoluteMemberName",
			rootfs:  func(out, _ string) []entry { return []entry{file(out+"/evil", "x")} },
			wantErr: "refused: absolute member name",
		},
		{
			name:    "DotDotMemberName",
			rootfs:  func(_, rel string) []entry { return []entry{file(rel+"/evil", "x")} },
			wantErr: "refused: member name climbs out",
		},
		{
			name: "DeviceNodeInModules",
			rootfs: func(string, string) []entry {
				return []entry{dir("dev/")}
			},
			modules: func(string, string) []entry {
				return []entry{{name: "dev/mem", typ: tar.TypeChar, mode: 0o666, major: 1, minor: 1}, {name: "dev/fifo", typ: tar.TypeFifo, mode: 0o666}}
			},
			check: func(t *testing.T, root, _ string) {
				for _, n := range []string{"dev/mem", "dev/fifo"} {
					if _, err := os.Lstat(filepath.Join(root, n)); err == nil {
						t.Errorf("%s was created on the dispatcher", n)
					}
				}
			},
		},
		{
			name: "SetuidFileInRootfs",
			rootfs: func(string, string) []entry {
				return []entry{{name: "bin/sh", body: "x", typ: tar.TypeReg, mode: 0o6755}}
			},
			check: func(t *testing.T, root, _ string) {
				fi, err := os.Stat(filepath.Join(root, "bin/sh"))
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode()&(os.ModeSetuid|os.ModeSetgid) != 0 || fi.Mode().Perm() != 0o755 {
					t.Errorf("bin/sh has mode %v, want -rwxr-xr-x", fi.Mode())
				}
			},
		},
		{
			name: "MergedUsrStillWorks",
			rootfs: func(string, string) []entry {
				return []entry{dir("usr/"), dir("usr/lib/"), symlink("lib", "usr/lib"), symlink("etc/localtime", "/usr/share/zoneinfo/UTC")}
			},
			modules: func(string, string) []entry {
				return []entry{dir("lib/"), dir("lib/modules/"), dir("lib/modules/6.1/"), file("lib/modules/6.1/modules.dep", "x\n")}
			},
			overlay: func(string, string) []entry {
				return []entry{dir("root/.ssh/"), file("root/.ssh/authorized_keys", "k")}
			},
			check: func(t *testing.T, root, _ string) {
				if l, err := os.Readlink(filepath.Join(root, "lib")); err != nil || l != "usr/lib" {
					t.Errorf("lib is no longer the link to usr/lib: %q %v", l, err)
				}
				if _, err := os.Stat(filepath.Join(root, "usr/lib/modules/6.1/modules.dep")); err != nil {
					t.Error(err)
				}
				if l, _ := os.Readlink(filepath.Join(root, "etc/localtime")); l != "/usr/share/zoneinfo/UTC" {
					t.Errorf("etc/localtime -> %q", l)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root, out, err := runDeploy(t, tc)
			outsideUntouched(t, out)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("deploy failed: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("got %v, want an error with %q", err, tc.wantErr)
			}
			if tc.check != nil {
				tc.check(t, root, out)
			}
			// Nothing in the tree is the secret's inode.
			var sec syscall.Stat_t
			syscall.Stat(filepath.Join(out, "shadow"), &sec)
			filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
				if err != nil {
					return nil
				}
				if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Ino == sec.Ino && st.Dev == sec.Dev {
					t.Errorf("%s is a hard link to a file outside the tree", p)
				}
				return nil
			})
		})
	}
}

// TestCleanupLeavesNothingInNFSRoot: after an NFS deploy with and without
// a prefix, tftp-deploy's cleanup leaves the lab's NFS root as it was (no
// empty <job id>/ directory).
func TestCleanupLeavesNothingInNFSRoot(t *testing.T) {
	for _, prefix := range []string{"", "rootfs"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			base := t.TempDir()
			nfs := filepath.Join(base, "nfs")
			os.MkdirAll(nfs, 0o755)
			host := sdktest.NewHost("")
			params := map[string]any{"nfsrootfs": map[string]any{"url": "http://x/rootfs.tar.gz", "prefix": prefix}}
			call := sdk.Call{Request: sdk.Request{Job: sdk.JobInfo{ID: "7"}, Block: sdk.Block{Params: params},
				Dispatcher: sdk.Dispatcher{NFSRoot: nfs, WorkDir: filepath.Join(base, "work")}}}
			bootflow.SetString(host, fileKey("nfsrootfs"), writeTarGz(t, filepath.Join(base, "rootfs.tar.gz"),
				file("rootfs/etc/hostname", "board\n")))
			if err := extractNFS(context.Background(), call, host); err != nil {
				t.Fatal(err)
			}
			if err := (tftpDeploy{}).Cleanup(context.Background(), call, host); err != nil {
				t.Fatal(err)
			}
			if es, _ := os.ReadDir(nfs); len(es) != 0 {
				t.Errorf("left in the NFS root: %v", es)
			}
		})
	}
}
