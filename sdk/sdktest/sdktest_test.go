package sdktest_test

import (
	"context"
	"testing"

	"github.com/lavacore/lavacore/plugins/grub"
	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/sdktest"
)

// TestGrubInterruptOverTheWire drives the real grub-efi method's
// bootloader-interrupt and bootloader-commands actions through go-plugin's
// gRPC test connection against a scripted GRUB.
func TestGrubInterruptOverTheWire(t *testing.T) {
	m := sdktest.Serve(t, grub.New())[0]
	host := sdktest.NewHost("Press enter to boot the selected OS\r\n",
		sdktest.Step{Expect: "^c$", Reply: "grub> "},
		sdktest.Step{Expect: "^insmod", Reply: "grub> "},
		sdktest.Step{Expect: "^linux", Reply: "grub> "},
		sdktest.Step{Expect: "^boot", Reply: "Linux version 6.1\r\n"})
	dev := sdk.Device{Name: "b", Type: "mustang", Method: map[string]any{
		"bootloader_prompt": "grub>", "interrupt_prompt": "Press enter to boot the selected OS", "interrupt_char": "c",
		"commands": map[string]any{"nfs": []any{"insmod gzio", "linux (tftp,{SERVER_IP})/{KERNEL}", "boot"}}}}
	req := sdk.Request{Device: dev, Block: sdk.Block{Section: sdk.SectionBoot, Method: "grub-efi", Params: map[string]any{"commands": "nfs"}},
		Dispatcher: sdk.Dispatcher{IP: "10.0.0.1"}}
	ctx := context.Background()
	if err := host.Set("download-action", "file", "kernel", `"1/tftp/kernel/vmlinuz"`); err != nil {
		t.Fatal(err)
	}
	for _, action := range []string{"bootloader-overlay", "bootloader-interrupt", "bootloader-commands"} {
		if err := m.Run(ctx, sdk.Call{Request: req, Action: action, Level: "2.1"}, host); err != nil {
			t.Fatalf("%s: %v (sent %q)", action, err, host.Sent)
		}
	}
	want := []string{"c", "insmod gzio", "linux (tftp,10.0.0.1)/1/tftp/kernel/vmlinuz", "boot"}
	if len(host.Sent) != len(want) {
		t.Fatalf("sent %q, want %q", host.Sent, want)
	}
	for i := range want {
		if host.Sent[i] != want[i] {
			t.Errorf("line %d: sent %q, want %q", i, host.Sent[i], want[i])
		}
	}
}
