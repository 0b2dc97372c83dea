package qemu

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
	"github.com/lavacore/lavacore/sdk/shlex"
)

// fakeHost keeps namespace data; it has no console.
type fakeHost struct {
	data map[string]string
	logs []string
}

func newFakeHost() *fakeHost { return &fakeHost{data: map[string]string{}} }

func (h *fakeHost) Console(context.Context) (sdk.Console, error) {
	return nil, sdk.JobErrorf("no console")
}
func (h *fakeHost) OpenConsole(context.Context, sdk.ConsoleSpec) (sdk.Console, error) {
	return nil, sdk.JobErrorf("no console")
}
func (h *fakeHost) CloseConsole(context.Context) error   { return nil }
func (h *fakeHost) Power(context.Context, string) error  { return nil }
func (h *fakeHost) Log(_ sdk.LogLevel, msg string) error { h.logs = append(h.logs, msg); return nil }
func (h *fakeHost) Result(sdk.Result) error              { return nil }
func (h *fakeHost) Protocol(context.Context, string, map[string]any) (map[string]any, error) {
	return nil, nil
}
func (h *fakeHost) Get(a, l, k string) (string, bool, error) {
	v, ok := h.data[a+"/"+l+"/"+k]
	return v, ok, nil
}
func (h *fakeHost) Set(a, l, k, v string) error { h.data[a+"/"+l+"/"+k] = v; return nil }

func (h *fakeHost) setString(k [3]string, v string) {
	b, _ := json.Marshal(v)
	h.data[k[0]+"/"+k[1]+"/"+k[2]] = string(b)
}

func qemuDevice() sdk.Device {
	q := map[string]any{"command": "qemu-system-x86_64",
		"options": []any{"-nographic", "-net nic,model=virtio,macaddr=52:54:00:12:34:59 -net user", "-m 1024", "-monitor none"},
		"append":  map[string]any{"console": "ttyAMA0", "root": "/dev/nfs", "nfsrootargs": "nfsroot={NFS_SERVER_IP}:{NFSROOTFS},tcp,hard", "ipargs": "ip=dhcp"}}
	return sdk.Device{Type: "qemu", Constants: map[string]any{"kernel-start-message": "Linux version [0-9]"},
		Methods: map[string]map[string]any{"boot/qemu": q, "boot/qemu-nfs": q, "deploy/image": {}, "deploy/nfs": {}}}
}

func request(tests bool) sdk.Request {
	deploy := sdk.Block{Section: sdk.SectionDeploy, Method: "tmpfs", Namespace: "common", Params: map[string]any{
		"images": map[string]any{
			"kernel": map[string]any{"url": "http://x/vmlinuz", "image_arg": "-kernel {kernel} -append \"console=ttyS0 root=/dev/ram0\""},
			"initrd": map[string]any{"url": "http://x/ramdisk.cpio.gz", "image_arg": "-initrd {initrd}"},
		}}, Order: map[string][]string{"images": {"kernel", "initrd"}}}
	bt := sdk.Block{Section: sdk.SectionBoot, Method: "qemu", Index: 1, Namespace: "common",
		Params: map[string]any{"prompts": []any{"root@stretch:"}}}
	req := sdk.Request{Device: qemuDevice(), Job: sdk.JobInfo{ID: "7", Context: map[string]any{"arch": "amd64"}}}
	req.Job.Blocks = []sdk.Block{deploy, bt}
	if tests {
		req.Job.Blocks = append(req.Job.Blocks, sdk.Block{Section: sdk.SectionTest, Method: "definitions", Index: 2, Namespace: "common",
			Params: map[string]any{"definitions": []any{map[string]any{"from": "inline", "name": "smoke", "path": "inline/smoke.yaml"}}}})
	}
	return req
}

func names(s sdk.ActionSpec) string {
	var out []string
	for _, c := range s.Children {
		n := c.Name
		if len(c.Children) > 0 {
			n += "(" + names(c) + ")"
		}
		out = append(out, n)
	}
	return strings.Join(out, " ")
}

func TestDescribe(t *testing.T) {
	cases := []struct {
		name   string
		method sdk.Method
		block  int
		tests  bool
		want   string
	}{
		{"tmpfs with a test", NewTmpfs(), 0, true,
			"lava-overlay(lava-vland-overlay lava-multinode-overlay test-definition(inline-repo-action test-overlay test-install-overlay test-runscript-overlay) compress-overlay) deploy-device-env download-retry(http-download) download-retry(http-download) apply-overlay-guest"},
		{"tmpfs without a test", NewTmpfs(), 0, false, "download-retry(http-download) download-retry(http-download)"},
		{"boot with a test", NewBoot("qemu"), 1, true,
			"boot-qemu-image(execute-qemu) auto-login-action(login-action) expect-shell-connection export-device-env"},
		{"boot without a test", NewBoot("qemu"), 1, false, "boot-qemu-image(execute-qemu) auto-login-action(login-action)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := request(c.tests)
			req.Block = req.Job.Blocks[c.block]
			if ok, why := c.method.Accepts(req); !ok {
				t.Fatalf("not accepted: %s", why)
			}
			top, err := c.method.Describe(req)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(top); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
			sdktest.CheckActions(t, c.method, req)
			if d := c.method.Validate(context.Background(), req); d.HasErrors() {
				t.Errorf("validate: %v", d)
			}
		})
	}
}

// bootCommand runs execute-qemu's command builder after a deploy of the
// request's images, downloaded to files.
func bootCommand(t *testing.T, name string, req sdk.Request, files map[string]string, guest string) ([]string, error) {
	t.Helper()
	h := newFakeHost()
	labels := []string{}
	for _, k := range req.Job.Blocks[0].Keys("images") {
		labels = append(labels, k)
		img := req.Job.Blocks[0].Params["images"].(map[string]any)[k].(map[string]any)
		h.setString(fileKey(k), files[k])
		if a, ok := img["image_arg"].(string); ok {
			h.setString(argKey(k), a)
		}
	}
	b, _ := json.Marshal(labels)
	h.data["deployimages/image/labels"] = string(b)
	if guest != "" {
		h.setString(keyGuest, guest)
	}
	call := sdk.Call{Request: req, Action: "execute-qemu", Level: "2.1.1"}
	call.Block = req.Job.Blocks[1]
	return executeQemu{name}.Command(call, h)
}

func TestCommand(t *testing.T) {
	req := request(true)
	words, err := bootCommand(t, "qemu", req, map[string]string{"kernel": "/w/7/kernel/vmlinuz", "initrd": "/w/7/initrd/ramdisk.cpio.gz"}, "/w/7/lava-guest.img")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"qemu-system-x86_64", "-nographic", "-net", "nic,model=virtio,macaddr=52:54:00:12:34:59", "-net", "user", "-m", "1024", "-monitor", "none",
		"-kernel", "/w/7/kernel/vmlinuz", "-append", "console=ttyS0 root=/dev/ram0", "-initrd", "/w/7/initrd/ramdisk.cpio.gz",
		"-drive", "format=raw,file=/w/7/lava-guest.img,media=disk,if=ide,id=lavatest"}
	if !slices.Equal(words, want) {
		t.Errorf("got  %q\nwant %q", words, want)
	}
	back, err := shlex.Split(shlex.Join(words))
	if err != nil || !slices.Equal(back, words) {
		t.Errorf("the host would run %q", back)
	}
}

// A downloaded file's name comes from the job's url: spaces, quotes or
// shell syntax in it stay inside its one word of the QEMU command line.
func TestCommand_FileNameCannotAddOptions(t *testing.T) {
	req := request(false)
	evil := "/w/7/kernel/vmlinuz -monitor tcp:0.0.0.0:4444,server '$(reboot)'"
	words, err := bootCommand(t, "qemu", req, map[string]string{"kernel": evil, "initrd": "/w/7/initrd/r"}, "")
	if err != nil {
		t.Fatal(err)
	}
	back, err := shlex.Split(shlex.Join(words))
	if err != nil {
		t.Fatal(err)
	}
	if slices.Index(back, evil) < 0 || slices.Contains(back, "tcp:0.0.0.0:4444,server") {
		t.Errorf("the file name was split: %q", back)
	}
}

// A job's image_arg may attach its own images, nothing else of the host.
func TestImageArg_HostAccessRefused(t *testing.T) {
	cases := []struct {
		arg string
		ok  bool
	}{
		{"-drive format=raw,file={rootfs}", true},
		{"-kernel {kernel} -append \"root=/dev/ram0 console=ttyAMA0 115200 qemu=1\"", true},
		{"-device virtio-blk-device,drive=system -drive if=mtd,id=system,file={system}", true},
		{"-drive file={iso},index=2,media=cdrom,readonly", true},
		{"-monitor tcp:0.0.0.0:4444,server,nowait", false},     // a monitor anyone can drive
		{"-drive format=raw,file=/etc/shadow", false},          // reads a host file
		{"-kernel /boot/vmlinuz", false},                       // idem
		{"-device loader,file=/etc/passwd,addr=0x1000", false}, // idem through a device
		{"-device virtio-net,romfile=../../secret", false},     // idem, relative
		{"-chardev socket,id=c,path=/run/docker.sock", false},  // talks to a host socket
		{"-drive format=raw,file={rootfs} -virtfs local,path=/", false},
		{"-drive", false},
		{"{rootfs}", false},
		{"-drive format=raw,file={rootfs},snapshot=on,backing=/x", false},
	}
	for _, c := range cases {
		_, err := imageArgWords(c.arg)
		if (err == nil) != c.ok {
			t.Errorf("imageArgWords(%q) = %v, want ok=%v", c.arg, err, c.ok)
		}
	}
}

func TestNFSAppend(t *testing.T) {
	app := qemuDevice().Methods["boot/qemu-nfs"]["append"].(map[string]any)
	got := nfsAppend(app, map[string]string{"{NFS_SERVER_IP}": "10.0.0.1", "{NFSROOTFS}": "/srv/nfs/7/root"})
	want := "console=ttyAMA0 root=/dev/nfs nfsroot=10.0.0.1:/srv/nfs/7/root,tcp,hard rw ip=dhcp"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestValidate_Arch(t *testing.T) {
	req := request(true)
	req.Block = req.Job.Blocks[1]
	req.Job.Context = nil
	if d := NewBoot("qemu").Validate(context.Background(), req); !strings.Contains(fmt.Sprint(d), "Missing 'arch' in job context") {
		t.Errorf("no arch: %v", d)
	}
	req.Job.Context = map[string]any{"arch": "vax"}
	req.Device.Methods["boot/qemu"]["available_architectures"] = []any{"amd64", "arm64"}
	if d := NewBoot("qemu").Validate(context.Background(), req); !strings.Contains(fmt.Sprint(d), "Non existing architecture") {
		t.Errorf("arch vax: %v", d)
	}
}
